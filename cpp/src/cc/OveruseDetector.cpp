// Adaptive-threshold overuse detector.
#include "cbcs/cc/OveruseDetector.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::cc {

OveruseDetector::OveruseDetector(const OveruseConfig& config)
    : config_(config), threshold_(config.initial_threshold_ms) {
  if (!(config.min_threshold_ms > 0 && config.min_threshold_ms <= config.initial_threshold_ms &&
        config.initial_threshold_ms <= config.max_threshold_ms)) {
    throw ConfigError("threshold: expected 0 < min <= initial <= max, got min " +
                      std::to_string(config.min_threshold_ms) + ", initial " +
                      std::to_string(config.initial_threshold_ms) + ", max " +
                      std::to_string(config.max_threshold_ms));
  }
  if (!(config.competing_min_threshold_ms >= config.min_threshold_ms &&
        config.competing_min_threshold_ms <= config.max_threshold_ms)) {
    throw ConfigError("competing_min_threshold_ms: expected min..max threshold, got " +
                      std::to_string(config.competing_min_threshold_ms));
  }
  if (config.k_up < 0 || config.k_down < 0) {
    throw ConfigError("k_up/k_down: expected >= 0, got " + std::to_string(config.k_up) + "/" +
                      std::to_string(config.k_down));
  }
}

BandwidthUsage OveruseDetector::Detect(double modified_trend, double trend, double send_delta_ms,
                                       int num_deltas, double now_ms) noexcept {
  if (num_deltas < 2) return BandwidthUsage::kNormal;
  if (modified_trend > threshold_) {
    if (time_over_using_ms_ == -1) {
      // Assume the overuse began halfway through this group.
      time_over_using_ms_ = send_delta_ms / 2;
    } else {
      time_over_using_ms_ += send_delta_ms;
    }
    ++overuse_counter_;
    if (time_over_using_ms_ > config_.overusing_time_threshold_ms && overuse_counter_ > 1 &&
        trend >= prev_trend_) {
      time_over_using_ms_ = 0;
      overuse_counter_ = 0;
      state_ = BandwidthUsage::kOverusing;
    }
  } else if (modified_trend < -threshold_) {
    time_over_using_ms_ = -1;
    overuse_counter_ = 0;
    state_ = BandwidthUsage::kUnderusing;
  } else {
    time_over_using_ms_ = -1;
    overuse_counter_ = 0;
    state_ = BandwidthUsage::kNormal;
  }
  prev_trend_ = trend;
  UpdateThreshold(modified_trend, now_ms);
  return state_;
}

void OveruseDetector::UpdateThreshold(double modified_trend, double now_ms) noexcept {
  if (last_update_ms_ < 0) last_update_ms_ = now_ms;
  const double magnitude = std::fabs(modified_trend);
  if (magnitude > threshold_ + config_.max_adapt_offset_ms) {
    // A spike (route change, radio stall): do not let it drag the threshold up.
    last_update_ms_ = now_ms;
    return;
  }
  const double k = magnitude < threshold_ ? config_.k_down : config_.k_up;
  const double dt = std::min(now_ms - last_update_ms_, 100.0);
  threshold_ += k * (magnitude - threshold_) * dt;
  const double floor = competing_ ? config_.competing_min_threshold_ms : config_.min_threshold_ms;
  threshold_ = std::clamp(threshold_, floor, config_.max_threshold_ms);
  last_update_ms_ = now_ms;
}

}  // namespace cbcs::cc
