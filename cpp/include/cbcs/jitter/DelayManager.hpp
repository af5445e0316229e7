// Target playout delay from quantiles of the relative arrival delay, with forgetting.
#pragma once

#include <cstdint>
#include <vector>

#include "cbcs/jitter/JitterTypes.hpp"

namespace cbcs::jitter {

// Every packet contributes its relative arrival delay r = arrival_ms - timestamp_ms (the
// network delay up to an unknown constant, the sender's clock offset). The values go into
// a 1 ms histogram whose old mass is forgotten exponentially with time constant forget_ms
// (implemented by growing the weight of new entries, so an update is O(1)). Two quantiles
// are tracked incrementally: the high one (config.quantile) is where playout should sit,
// the low one (2 %) stands for the fastest packets, so target - low is the buffering delay.
//
// Rising is fast by construction: a spike adds heavy fresh mass above the quantile. Falling
// is slow: old spike mass must decay below 1 - quantile, a few forget_ms.
//
// Sender clock drift makes r a ramp (+-10 ms per second at 1 %). Quantiles of a ramp
// under forgetting lag it (by seconds' worth of the slope), which would leave playout
// chasing a target that is always behind. So the drift is estimated (least-squares slope
// of per-second minima over the last ten seconds) and values enter the histogram
// detrended; queries add the trend back at the latest arrival time.
class DelayManager {
 public:
  explicit DelayManager(const JitterConfig& config);

  // One packet of `duration_ms` that arrived at `arrival_ms` with relative arrival delay
  // `relative_ms`.
  void Update(double relative_ms, double duration_ms, double arrival_ms) noexcept;
  // Forget everything (new stream).
  void Reset() noexcept;
  // Moves the whole distribution by shift_ms (a stream reset keeps its jitter profile).
  void Shift(double shift_ms) noexcept;

  bool HasData() const noexcept { return has_data_; }
  // Where playout should sit, in relative-delay units (compare with now - timestamp_ms).
  double TargetRelativeMs() const noexcept;
  // The fastest packets' relative delay (low quantile).
  double LowRelativeMs() const noexcept;
  double HighRelativeMs() const noexcept;
  // Buffering target: TargetRelativeMs() - LowRelativeMs().
  double TargetDelayMs() const noexcept { return TargetRelativeMs() - LowRelativeMs(); }

  // Estimated drift of the relative delay, ms per ms (0 until 5 s of packets).
  double DriftSlope() const noexcept { return slope_; }

  static constexpr int kBins = 4096;
  static constexpr int kDriftPoints = 11;       // one per second
  static constexpr double kMaxDrift = 0.02;
  static constexpr double kLowQuantile = 0.02;

 private:
  struct Tracker {
    double q = 0.5;
    int k = 0;           // quantile bin
    double below = 0.0;  // mass in bins < k
  };
  void Rebalance(Tracker& t) noexcept;
  void Recompute(Tracker& t) noexcept;
  void Renormalize() noexcept;
  void Recenter() noexcept;
  double BinValue(int k) const noexcept { return anchor_ + (k - kAnchorBin + 0.5); }

  static constexpr int kAnchorBin = kBins / 4;

  std::vector<double> hist_;
  double total_ = 0.0;
  double weight_ = 1.0;
  double anchor_ = 0.0;  // relative delay of bin kAnchorBin's lower edge
  bool has_data_ = false;
  Tracker high_;
  Tracker low_;
  double forget_ms_;
  double margin_ms_;
  double min_delay_ms_;
  double max_delay_ms_;
  double TrendAt(double t) const noexcept { return trend_base_ + slope_ * (t - trend_ref_ms_); }
  void UpdateDrift(double relative_ms, double arrival_ms) noexcept;

  double drift_points_[kDriftPoints] = {};
  int drift_count_ = 0;
  bool bucket_open_ = false;
  double bucket_min_ = 0.0;
  double next_drift_ms_ = 0.0;
  double slope_ = 0.0;
  double trend_base_ = 0.0;    // trend value at trend_ref_ms_
  double trend_ref_ms_ = 0.0;
  double last_arrival_ms_ = 0.0;
};

}  // namespace cbcs::jitter
