// Transport-wide feedback generator (receiver side).
#include "cbcs/cc/FeedbackGenerator.hpp"

#include <cmath>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::cc {

FeedbackGenerator::FeedbackGenerator(const FeedbackGeneratorConfig& config)
    : config_(config), feedback_(config.max_packets_per_feedback) {
  if (config.history < 64 || (config.history & (config.history - 1)) != 0 || config.history > (1u << 16)) {
    throw ConfigError("history: expected a power of two in 64..65536, got " + std::to_string(config.history));
  }
  if (!(config.interval_ms > 0)) {
    throw ConfigError("interval_ms: expected > 0, got " + std::to_string(config.interval_ms));
  }
  arrival_us_.assign(config.history, -1);
  seq_of_.assign(config.history, -1);
}

void FeedbackGenerator::OnPacket(uint16_t seq, double arrival_ms) noexcept {
  if (!std::isfinite(arrival_ms)) return;
  const int64_t s = unwrapper_.Unwrap(seq);
  const auto mask = static_cast<int64_t>(config_.history - 1);
  if (highest_ >= 0 && s <= highest_ - static_cast<int64_t>(config_.history)) {
    ++dropped_old_;  // older than anything we still remember
    return;
  }
  if (s > highest_) highest_ = s;
  const int64_t slot = s & mask;
  seq_of_[slot] = s;
  arrival_us_[slot] = std::llround(arrival_ms * 1000);
  if (window_start_ < 0 || s < window_start_) window_start_ = s;
  // Never report further back than the history holds.
  if (window_start_ <= highest_ - static_cast<int64_t>(config_.history)) {
    window_start_ = highest_ - static_cast<int64_t>(config_.history) + 1;
  }
  if (next_send_ms_ < 0) next_send_ms_ = arrival_ms + config_.interval_ms;
}

size_t FeedbackGenerator::Poll(double now_ms, std::span<uint8_t> out) noexcept {
  if (window_start_ < 0 || window_start_ > highest_) {
    more_pending_ = false;
    return 0;
  }
  if (!more_pending_ && (next_send_ms_ < 0 || now_ms < next_send_ms_)) return 0;
  const auto mask = static_cast<int64_t>(config_.history - 1);
  // The reference time comes from the first packet actually received in the window.
  int64_t first = window_start_;
  while (first <= highest_ && (seq_of_[first & mask] != first || arrival_us_[first & mask] < 0)) ++first;
  if (first > highest_) {
    window_start_ = highest_ + 1;
    more_pending_ = false;
    return 0;
  }
  feedback_.Reset(config_.sender_ssrc, config_.media_ssrc, static_cast<uint16_t>(window_start_),
                  arrival_us_[first & mask], fb_count_);
  int64_t next = window_start_;
  for (int64_t s = first; s <= highest_; ++s) {
    if (seq_of_[s & mask] != s || arrival_us_[s & mask] < 0) continue;
    if (feedback_.AddReceivedPacket(static_cast<uint16_t>(s), arrival_us_[s & mask]) != FeedbackStatus::kOk) break;
    next = s + 1;
  }
  const size_t n = feedback_.Serialize(out);
  if (n == 0) return 0;
  ++fb_count_;
  window_start_ = next;
  more_pending_ = window_start_ <= highest_;
  if (!more_pending_) next_send_ms_ = now_ms + config_.interval_ms;
  return n;
}

}  // namespace cbcs::cc
