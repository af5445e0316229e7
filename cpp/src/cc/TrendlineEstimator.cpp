// Trendline (linear regression) delay-gradient estimator.
#include "cbcs/cc/TrendlineEstimator.hpp"

#include <algorithm>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::cc {

TrendlineEstimator::TrendlineEstimator(const TrendlineConfig& config) : config_(config) {
  if (config.window < 2 || config.window > 1000) {
    throw ConfigError("window: expected 2..1000 samples, got " + std::to_string(config.window));
  }
  if (!(config.smoothing >= 0 && config.smoothing < 1)) {
    throw ConfigError("smoothing: expected [0, 1), got " + std::to_string(config.smoothing));
  }
  x_.resize(config.window);
  y_.resize(config.window);
}

void TrendlineEstimator::Reset() noexcept {
  head_ = count_ = 0;
  num_deltas_ = 0;
  first_arrival_ms_ = -1;
  accumulated_ms_ = smoothed_ms_ = trend_ = 0;
}

double TrendlineEstimator::modified_trend() const noexcept {
  return std::min(num_deltas_, kDeltaCounterMax) * trend_ * config_.threshold_gain;
}

void TrendlineEstimator::Update(double arrival_delta_ms, double send_delta_ms,
                                double arrival_ms) noexcept {
  const double delta = arrival_delta_ms - send_delta_ms;
  num_deltas_ = std::min(num_deltas_ + 1, 1000);
  if (first_arrival_ms_ < 0) first_arrival_ms_ = arrival_ms;
  accumulated_ms_ += delta;
  smoothed_ms_ = config_.smoothing * smoothed_ms_ + (1 - config_.smoothing) * accumulated_ms_;

  x_[head_] = arrival_ms - first_arrival_ms_;
  y_[head_] = smoothed_ms_;
  head_ = (head_ + 1) % config_.window;
  count_ = std::min(count_ + 1, config_.window);
  if (count_ < config_.window) return;

  double sx = 0, sy = 0;
  for (size_t i = 0; i < count_; ++i) {
    sx += x_[i];
    sy += y_[i];
  }
  const double mx = sx / static_cast<double>(count_), my = sy / static_cast<double>(count_);
  double num = 0, den = 0;
  for (size_t i = 0; i < count_; ++i) {
    num += (x_[i] - mx) * (y_[i] - my);
    den += (x_[i] - mx) * (x_[i] - mx);
  }
  // All samples at one instant: no slope to learn, keep the last one.
  if (den > 1e-9) trend_ = num / den;
}

}  // namespace cbcs::cc
