// Least-squares slope of the smoothed accumulated one-way delay variation over the last 20
// group deltas: the delay gradient that tells a filling queue from a steady one.
#pragma once

#include <cstddef>
#include <vector>

namespace cbcs::cc {

struct TrendlineConfig {
  size_t window = 20;
  double smoothing = 0.9;       // exponential smoothing of the accumulated delay
  double threshold_gain = 4.0;  // scales the slope into the detector's ms domain
};

class TrendlineEstimator {
 public:
  static constexpr int kDeltaCounterMax = 60;

  explicit TrendlineEstimator(const TrendlineConfig& config = {});  // ConfigError on window < 2

  void Update(double arrival_delta_ms, double send_delta_ms, double arrival_ms) noexcept;
  void Reset() noexcept;

  // Slope of delay against time (ms per ms), 0 until the window has filled once.
  double trend() const noexcept { return trend_; }
  // trend * min(deltas seen, 60) * gain: what the overuse detector compares to its threshold.
  double modified_trend() const noexcept;
  int num_deltas() const noexcept { return num_deltas_; }
  bool window_full() const noexcept { return count_ == config_.window; }

 private:
  TrendlineConfig config_;
  std::vector<double> x_;  // ring of arrival times (ms since the first)
  std::vector<double> y_;  // ring of smoothed accumulated delay
  size_t head_ = 0;
  size_t count_ = 0;
  int num_deltas_ = 0;
  double first_arrival_ms_ = -1;
  double accumulated_ms_ = 0;
  double smoothed_ms_ = 0;
  double trend_ = 0;
};

}  // namespace cbcs::cc
