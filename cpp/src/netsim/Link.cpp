#include "cbcs/netsim/Link.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::netsim {
namespace {

void Check(bool ok, const char* field, const char* expected, double got) {
  if (!ok) {
    throw ConfigError(std::string(field) + ": expected " + expected + ", got " + std::to_string(got));
  }
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

void Validate(const LinkParams& p) {
  Check(std::isfinite(p.base_delay_ms) && p.base_delay_ms >= 0 && p.base_delay_ms <= 60000,
        "base_delay_ms", "0..60000", p.base_delay_ms);
  Check(std::isfinite(p.jitter_ms) && p.jitter_ms >= 0 && p.jitter_ms <= 10000, "jitter_ms", "0..10000",
        p.jitter_ms);
  Check(p.spike_probability >= 0 && p.spike_probability <= 1, "spike_probability", "0..1",
        p.spike_probability);
  Check(std::isfinite(p.spike_ms) && p.spike_ms >= 0 && p.spike_ms <= 60000, "spike_ms", "0..60000",
        p.spike_ms);
  Check(p.loss_rate >= 0 && p.loss_rate < 1, "loss_rate", "0 <= loss_rate < 1", p.loss_rate);
  Check(std::isfinite(p.mean_burst) && p.mean_burst >= 1, "mean_burst", "a finite value >= 1 packet",
        p.mean_burst);
  Check(std::isfinite(p.bandwidth_bps) && p.bandwidth_bps >= 0, "bandwidth_bps",
        "0 (no cap) or a positive rate", p.bandwidth_bps);
  Check(p.bandwidth_bps == 0 || p.bandwidth_bps >= 1000, "bandwidth_bps", "at least 1000 bit/s",
        p.bandwidth_bps);
  Check(std::isfinite(p.queue_ms) && p.queue_ms >= 0 && p.queue_ms <= 60000, "queue_ms", "0..60000",
        p.queue_ms);
}

Link::Link(const LinkParams& params, uint64_t seed)
    : params_((Validate(params), params)),
      loss_(params.loss_rate, params.mean_burst, seed ^ 0x3c6ef372fe94f82bull),
      delay_(params, seed) {
  if (params.bandwidth_bps > 0) bottleneck_.emplace(params.bandwidth_bps, params.queue_ms);
}

double Link::Send(double send_ms, int32_t size_bytes) noexcept {
  if (!std::isfinite(send_ms) || send_ms < 0 || size_bytes <= 0 || size_bytes > kMaxPacketBytes) {
    ++stats_.invalid;
    return kNaN;
  }
  ++stats_.sent;
  send_ms = std::max(send_ms, last_send_ms_);
  last_send_ms_ = send_ms;
  double depart_ms = send_ms;
  if (bottleneck_) {
    depart_ms = bottleneck_->Enqueue(send_ms, size_bytes);
    if (depart_ms < 0) {
      ++stats_.dropped;
      return kNaN;
    }
  }
  if (loss_.Lose()) {
    ++stats_.lost;
    return kNaN;
  }
  ++stats_.delivered;
  return delay_.Arrival(depart_ms);
}

void Link::Transmit(std::span<const double> send_ms, std::span<const int32_t> size_bytes,
                    std::span<double> arrival_ms) noexcept {
  const size_t n = std::min({send_ms.size(), size_bytes.size(), arrival_ms.size()});
  for (size_t i = 0; i < n; ++i) arrival_ms[i] = Send(send_ms[i], size_bytes[i]);
}

}  // namespace cbcs::netsim
