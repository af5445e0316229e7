// Gilbert-Elliott loss model and the candidate search behind ProtectionPolicy::Decide.
#include "cbcs/fec/ProtectionPolicy.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace cbcs::fec {
namespace {

struct Chain {
  double p, r, q;
  Chain(double loss_rate, double mean_burst) {
    p = std::clamp(loss_rate, 0.0, 0.999);
    r = 1.0 / std::max(1.0, mean_burst);
    q = p >= 1.0 ? 1.0 : std::min(1.0, p * r / (1.0 - p));
  }
  // P(lost at t | lost at 0).
  double LostAfterLost(double t) const { return p + (1 - p) * std::pow(1 - r - q, t); }
};

constexpr std::size_t kMaxGroup = 24;
// RedEncoder's limit. Deeper copies only pay on long bursts; the bitrate cap (checked per
// candidate) keeps them off thin links.
constexpr std::size_t kMaxRedDepth = 8;

}  // namespace

double ProtectionPolicy::RedResidual(double loss_rate, double mean_burst, std::size_t depth,
                                     std::size_t spacing) noexcept {
  const Chain c(loss_rate, mean_burst);
  return c.p * std::pow(c.LostAfterLost(static_cast<double>(spacing)), static_cast<double>(depth));
}

double ProtectionPolicy::FecResidual(double loss_rate, double mean_burst, std::size_t k,
                                     std::size_t m) noexcept {
  const Chain c(loss_rate, mean_burst);
  const std::size_t n = k + m;
  if (k == 0 || n > kMaxGroup) return c.p;
  // dp[state][losses][source losses]: probability after the packets seen so far.
  // The first packet's state follows the stationary distribution.
  using Table = std::array<std::array<std::array<double, kMaxGroup + 1>, kMaxGroup + 1>, 2>;
  Table dp{};
  dp[0][0][0] = 1 - c.p;
  dp[1][1][1] = c.p;
  for (std::size_t i = 1; i < n; ++i) {
    Table next{};
    const bool source = i < k;
    for (int s = 0; s < 2; ++s) {
      for (std::size_t l = 0; l <= i; ++l) {
        for (std::size_t sl = 0; sl <= l; ++sl) {
          const double v = dp[s][l][sl];
          if (v == 0) continue;
          const double to_bad = s ? 1 - c.r : c.q;
          next[0][l][sl] += v * (1 - to_bad);
          next[1][l + 1][sl + (source ? 1 : 0)] += v * to_bad;
        }
      }
    }
    dp = next;
  }
  double unrecovered = 0;
  for (int s = 0; s < 2; ++s) {
    for (std::size_t l = m + 1; l <= n; ++l) {
      for (std::size_t sl = 0; sl <= l; ++sl) unrecovered += dp[s][l][sl] * static_cast<double>(sl);
    }
  }
  return unrecovered / static_cast<double>(k);
}

double ProtectionPolicy::NackResidual(double loss_rate, double mean_burst, double rtt_ms,
                                      double window_ms, double packet_interval_ms) noexcept {
  const Chain c(loss_rate, mean_burst);
  const double detect = packet_interval_ms;
  if (window_ms < detect + rtt_ms) return c.p;
  const double tries = std::floor((window_ms - detect) / std::max(rtt_ms, 1.0));
  const double retry_loss = c.LostAfterLost(std::max(1.0, rtt_ms / packet_interval_ms));
  return c.p * std::pow(retry_loss, std::min(tries, 10.0));
}

ProtectionDecision ProtectionPolicy::Decide(const ProtectionInputs& in) noexcept {
  ProtectionDecision best;
  const double p = std::clamp(std::isfinite(in.loss_rate) ? in.loss_rate : 0.0, 0.0, 0.999);
  best.predicted_residual = p;
  if (p <= 0) return best;
  const double interval = in.packet_interval_ms > 0 ? in.packet_interval_ms : 20;
  const double slack = std::max(0.0, in.playout_slack_ms);
  const double budget = std::max(0.0, in.max_added_delay_ms);
  // Bytes on the wire per media packet, and what each protection adds to it.
  const double frame = std::max(1.0, in.media_bitrate_bps * interval / 8000.0);
  const double header = std::max(0.0, in.packet_overhead_bytes);
  const double wire = frame + header;
  const double wire_bps = wire * 8000.0 / interval;
  const double headroom = in.allowed_bitrate_bps / wire_bps - 1;

  bool have = false;
  auto consider = [&](ProtectionDecision d) {
    if (d.added_delay_ms > budget + 1e-9 || d.overhead > headroom + 1e-9) return;
    const bool d_meets = d.predicted_residual <= in.target_residual;
    const bool b_meets = have && best.predicted_residual <= in.target_residual;
    bool better;
    if (!have) {
      better = true;
    } else if (d_meets != b_meets) {
      better = d_meets;
    } else if (d_meets) {
      better = d.overhead < best.overhead - 1e-9 ||
               (std::abs(d.overhead - best.overhead) <= 1e-9 && d.added_delay_ms < best.added_delay_ms);
    } else {
      better = d.predicted_residual < best.predicted_residual * 0.98 ||
               (d.predicted_residual <= best.predicted_residual && d.overhead < best.overhead);
    }
    if (better) {
      best = d;
      have = true;
    }
  };

  ProtectionDecision none;
  none.predicted_residual = p;
  consider(none);

  for (std::size_t depth = 1; depth <= kMaxRedDepth; ++depth) {
    for (std::size_t spacing = 1; spacing <= 4; ++spacing) {
      ProtectionDecision d;
      d.mode = ProtectionMode::kRed;
      d.red_depth = depth;
      d.red_spacing = spacing;
      d.added_delay_ms = std::max(0.0, static_cast<double>(depth * spacing) * interval - slack);
      d.predicted_residual = RedResidual(p, in.mean_burst, depth, spacing);
      d.overhead = static_cast<double>(depth) * (frame + 4) / wire;
      consider(d);
    }
  }
  for (std::size_t k = 2; k <= 12; ++k) {
    for (std::size_t m = 1; m <= std::min<std::size_t>(k, 8); ++m) {
      ProtectionDecision d;
      d.mode = ProtectionMode::kFec;
      d.fec_k = k;
      d.fec_m = m;
      d.added_delay_ms = std::max(0.0, static_cast<double>(k - 1) * interval - slack);
      d.predicted_residual = FecResidual(p, in.mean_burst, k, m);
      d.overhead = static_cast<double>(m) * (wire + 12) / (static_cast<double>(k) * wire);
      consider(d);
    }
  }
  {
    ProtectionDecision d;
    d.mode = ProtectionMode::kNack;
    d.added_delay_ms = std::max(0.0, interval + in.rtt_ms - slack);
    d.predicted_residual =
        NackResidual(p, in.mean_burst, in.rtt_ms, slack + std::max(d.added_delay_ms, 0.0), interval);
    // Resent packets (2 bytes of OSN more) plus one NACK (about 16 + header bytes) each.
    d.overhead = p * (wire + 2 + 16 + header) / wire;
    consider(d);
  }
  return best;
}

}  // namespace cbcs::fec
