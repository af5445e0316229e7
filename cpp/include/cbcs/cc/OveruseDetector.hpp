// Compares the modified delay trend with an adaptive threshold (start 12.5 ms, k_up 0.0087,
// k_down 0.039) and signals overuse only when it persists, so lone spikes and competing
// loss-based flows do not starve us.
#pragma once

#include <algorithm>

#include "cbcs/cc/BandwidthUsage.hpp"

namespace cbcs::cc {

struct OveruseConfig {
  double initial_threshold_ms = 12.5;
  double k_up = 0.0087;    // threshold growth rate when the trend is above it
  double k_down = 0.039;   // and decay rate when below
  double overusing_time_threshold_ms = 10.0;
  double max_adapt_offset_ms = 15.0;  // jumps beyond threshold + this do not adapt it
  double min_threshold_ms = 6.0;
  double max_threshold_ms = 600.0;
  // Floor while a loss-based flow keeps a standing queue (SetCompeting): its own slow queue
  // growth plus any increase of ours would otherwise cross the 6 ms floor every few seconds
  // and every back-off would just hand the competitor more of the link.
  double competing_min_threshold_ms = 15.0;
};

class OveruseDetector {
 public:
  explicit OveruseDetector(const OveruseConfig& config = {});  // ConfigError on bad bounds

  // modified_trend and trend from TrendlineEstimator; send_delta_ms of the group; now_ms the
  // arrival time of the group (drives the threshold adaptation).
  BandwidthUsage Detect(double modified_trend, double trend, double send_delta_ms,
                        int num_deltas, double now_ms) noexcept;
  BandwidthUsage state() const noexcept { return state_; }
  void SetCompeting(bool competing) noexcept {
    competing_ = competing;
    if (competing) threshold_ = std::max(threshold_, config_.competing_min_threshold_ms);
  }
  bool competing() const noexcept { return competing_; }
  double threshold_ms() const noexcept { return threshold_; }

 private:
  void UpdateThreshold(double modified_trend, double now_ms) noexcept;

  OveruseConfig config_;
  double threshold_;
  double last_update_ms_ = -1;
  double time_over_using_ms_ = -1;
  int overuse_counter_ = 0;
  double prev_trend_ = 0;
  BandwidthUsage state_ = BandwidthUsage::kNormal;
  bool competing_ = false;
};

}  // namespace cbcs::cc
