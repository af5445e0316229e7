// Missing-packet tracking with RTT- and deadline-aware retransmission requests.
#include "cbcs/fec/NackGenerator.hpp"

#include <cmath>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::fec {

NackGenerator::NackGenerator(const NackConfig& config) : config_(config) {
  if (config.max_missing < 1 || config.max_missing > 32768) {
    throw ConfigError("max_missing: expected 1..32768, got " + std::to_string(config.max_missing));
  }
  if (!(config.packet_interval_ms > 0) || !std::isfinite(config.packet_interval_ms)) {
    throw ConfigError("packet_interval_ms: expected > 0, got " +
                      std::to_string(config.packet_interval_ms));
  }
  if (!(config.playout_delay_ms >= 0) || !(config.rtt_ms >= 0) || !(config.reorder_wait_ms >= 0) ||
      !std::isfinite(config.playout_delay_ms) || !std::isfinite(config.rtt_ms)) {
    throw ConfigError("playout_delay_ms, rtt_ms, reorder_wait_ms: expected finite values >= 0");
  }
  if (config.max_retries < 1) {
    throw ConfigError("max_retries: expected >= 1, got " + std::to_string(config.max_retries));
  }
  ring_.resize(config.max_missing);
}

void NackGenerator::SetRtt(double rtt_ms) noexcept {
  if (rtt_ms >= 0 && std::isfinite(rtt_ms)) config_.rtt_ms = rtt_ms;
}

void NackGenerator::SetPlayoutDelay(double playout_delay_ms) noexcept {
  if (playout_delay_ms >= 0 && std::isfinite(playout_delay_ms)) {
    config_.playout_delay_ms = playout_delay_ms;
  }
}

void NackGenerator::Push(int64_t seq, double nominal_arrival_ms) noexcept {
  if (count_ == ring_.size()) {  // full: the oldest gap is the least likely to still help
    if (ring_[head_].active) ++stats_.given_up;
    head_ = (head_ + 1) % ring_.size();
    --count_;
  }
  Missing& m = ring_[(head_ + count_) % ring_.size()];
  m = Missing{seq, nominal_arrival_ms, 0, 0, true};
  ++count_;
}

void NackGenerator::PopInactiveHead() noexcept {
  while (count_ > 0 && !ring_[head_].active) {
    head_ = (head_ + 1) % ring_.size();
    --count_;
  }
}

void NackGenerator::OnPacket(uint16_t sequence, double arrival_ms) noexcept {
  if (!std::isfinite(arrival_ms)) return;
  const int64_t seq = unwrapper_.Unwrap(sequence);
  if (!started_) {
    started_ = true;
    highest_ = seq;
    return;
  }
  if (seq > highest_) {
    // A jump beyond the ring can only be tracked in part; start at its newest end.
    const int64_t first = std::max<int64_t>(highest_ + 1, seq - static_cast<int64_t>(ring_.size()));
    stats_.given_up += static_cast<uint64_t>(first - (highest_ + 1));
    for (int64_t s = first; s < seq; ++s) {
      Push(s, arrival_ms - static_cast<double>(seq - s) * config_.packet_interval_ms);
    }
    highest_ = seq;
    return;
  }
  for (std::size_t i = 0; i < count_; ++i) {
    Missing& m = ring_[(head_ + i) % ring_.size()];
    if (m.seq == seq) {
      if (m.active) ++stats_.recovered;
      m.active = false;
      break;
    }
    if (m.seq > seq) break;
  }
  PopInactiveHead();
}

std::size_t NackGenerator::Nacks(double now_ms, std::span<uint16_t> out) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < count_; ++i) {
    Missing& m = ring_[(head_ + i) % ring_.size()];
    if (!m.active) continue;
    const double deadline = m.nominal_arrival_ms + config_.playout_delay_ms;
    if (now_ms + config_.rtt_ms > deadline || m.retries >= config_.max_retries) {
      m.active = false;
      ++stats_.given_up;
      continue;
    }
    if (n >= out.size()) continue;
    const bool first = m.retries == 0;
    const bool due = first ? now_ms >= m.nominal_arrival_ms + config_.reorder_wait_ms
                           : now_ms - m.last_sent_ms >= config_.rtt_ms;
    if (!due) continue;
    m.last_sent_ms = now_ms;
    ++m.retries;
    ++stats_.requested;
    out[n++] = static_cast<uint16_t>(m.seq);
  }
  PopInactiveHead();
  return n;
}

}  // namespace cbcs::fec
