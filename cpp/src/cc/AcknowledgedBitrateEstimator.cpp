// Acknowledged-bitrate estimator.
#include "cbcs/cc/AcknowledgedBitrateEstimator.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::cc {

AcknowledgedBitrateEstimator::AcknowledgedBitrateEstimator(const AcknowledgedBitrateConfig& config)
    : config_(config) {
  if (!(config.window_ms > 0 && config.initial_window_ms > 0)) {
    throw ConfigError("window_ms: expected > 0, got " + std::to_string(config.window_ms));
  }
  if (!(config.recent_window_ms > 0)) {
    throw ConfigError("recent_window_ms: expected > 0, got " +
                      std::to_string(config.recent_window_ms));
  }
}

void AcknowledgedBitrateEstimator::ResetTo(double bps) noexcept {
  if (!(bps > 0)) return;
  estimate_kbps_ = bps / 1000;
  variance_ = 50;
}

std::optional<double> AcknowledgedBitrateEstimator::recent_bps() const noexcept {
  if (recent_count_ < 2) return std::nullopt;
  const size_t last = (recent_head_ + kRecent - 1) % kRecent;
  const double end = recent_[last].ms;
  double bytes = 0, start = end;
  for (size_t k = 1; k < recent_count_; ++k) {
    const Arrival& a = recent_[(last + kRecent - k) % kRecent];
    if (end - a.ms > config_.recent_window_ms) break;
    // The oldest packet inside the window opens the span; its bytes arrived before it.
    bytes += recent_[(last + kRecent - k + 1) % kRecent].bytes;
    start = a.ms;
  }
  const double span = end - start;
  if (span < config_.recent_window_ms / 2) return std::nullopt;
  return bytes * 8000 / span;
}

void AcknowledgedBitrateEstimator::Reset() noexcept {
  window_start_ms_ = prev_ms_ = -1;
  bytes_ = 0;
  estimate_kbps_ = last_sample_kbps_ = -1;
  variance_ = 50;
  recent_head_ = recent_count_ = 0;
}

void AcknowledgedBitrateEstimator::OnPacket(double arrival_ms, size_t size_bytes) noexcept {
  const double window = estimate_kbps_ < 0 ? config_.initial_window_ms : config_.window_ms;
  if (prev_ms_ >= 0 && arrival_ms < prev_ms_) return;  // reordered: already counted past it
  recent_[recent_head_] = Arrival{arrival_ms, static_cast<double>(size_bytes)};
  recent_head_ = (recent_head_ + 1) % kRecent;
  recent_count_ = std::min(recent_count_ + 1, kRecent);
  if (window_start_ms_ < 0 || arrival_ms - prev_ms_ > window) {
    // First packet, or a silence longer than a window: a new window starts here.
    window_start_ms_ = arrival_ms;
    bytes_ = 0;
  }
  prev_ms_ = arrival_ms;
  double sample_kbps = -1;
  if (arrival_ms - window_start_ms_ > window) {
    sample_kbps = bytes_ * 8.0 / window;  // bits per ms = kbit/s
    window_start_ms_ += window * std::floor((arrival_ms - window_start_ms_) / window);
    bytes_ = 0;
  }
  bytes_ += static_cast<double>(size_bytes);
  if (sample_kbps < 0) return;
  last_sample_kbps_ = sample_kbps;
  if (estimate_kbps_ < 0) {
    estimate_kbps_ = sample_kbps;
    return;
  }
  const double uncertainty =
      config_.uncertainty_scale * std::fabs(estimate_kbps_ - sample_kbps) / std::max(estimate_kbps_, 1.0);
  const double sample_var = uncertainty * uncertainty;
  const double pred_var = variance_ + config_.process_noise_kbps2;
  estimate_kbps_ = (sample_var * estimate_kbps_ + pred_var * sample_kbps) / (sample_var + pred_var);
  variance_ = sample_var * pred_var / (sample_var + pred_var);
}

std::optional<double> AcknowledgedBitrateEstimator::bitrate_bps() const noexcept {
  if (estimate_kbps_ < 0) return std::nullopt;
  return estimate_kbps_ * 1000.0;
}

std::optional<double> AcknowledgedBitrateEstimator::last_sample_bps() const noexcept {
  if (last_sample_kbps_ < 0) return std::nullopt;
  return last_sample_kbps_ * 1000.0;
}

}  // namespace cbcs::cc
