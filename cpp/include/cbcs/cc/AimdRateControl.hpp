// Additive-increase / multiplicative-decrease rate control driven by the overuse signal and
// anchored on the acknowledged bitrate: on overuse back off to beta x what actually got
// through; far from the last known link capacity grow 8 %/s, near it grow by about one packet
// per response time.
#pragma once

#include <optional>

#include "cbcs/cc/BandwidthUsage.hpp"

namespace cbcs::cc {

struct AimdConfig {
  double start_bps = 300'000;
  double min_bps = 30'000;
  double max_bps = 5'000'000;
  double beta = 0.85;
  double multiplicative_per_s = 1.08;
  double min_additive_bps_per_s = 4'000;
};

class AimdRateControl {
 public:
  enum class State { kHold, kIncrease, kDecrease };

  explicit AimdRateControl(const AimdConfig& config);  // ConfigError on min > start > max etc.

  // One control step; acked_bps is the acknowledged bitrate if known. Returns the new rate.
  double Update(BandwidthUsage usage, std::optional<double> acked_bps, double now_ms) noexcept;
  // Overrides the estimate (probe results, REMB resets). Clamped to [min, max].
  void SetEstimate(double bps, double now_ms) noexcept;
  void SetRtt(double rtt_ms) noexcept { rtt_ms_ = rtt_ms; }
  // Standing queueing delay seen in the feedback (one-way delay above its recent minimum). A
  // decrease with a deep queue goes below beta so the queue drains within about a second,
  // instead of lingering for many seconds at beta x capacity.
  void SetQueueDelay(double queue_ms) noexcept { queue_ms_ = queue_ms; }
  // While overusing, decrease again only after about an RTT or when throughput has halved.
  bool TimeToReduceFurther(double now_ms, std::optional<double> acked_bps) const noexcept;
  void SetMinMax(double min_bps, double max_bps) noexcept;
  // A rate the path has just shown it carries (packets sent faster than the target arrived
  // this close together): above the link-capacity estimate's upper bound the link has grown,
  // and the estimate is dropped so the rate increases multiplicatively again.
  void OnCapacitySample(double bps) noexcept;
  // Whether the link looks unshared, so that after a back-off the rate may refill quickly
  // towards the known capacity (off: one packet per response time, which shares fairly).
  void SetRefill(bool refill) noexcept { refill_ = refill; }
  // The bottleneck's rate, measured directly (a probe the path could not carry in full).
  void SetLinkCapacity(double bps) noexcept { capacity_kbps_ = bps / 1000; }

  double target_bps() const noexcept { return current_; }
  State state() const noexcept { return state_; }
  std::optional<double> link_capacity_bps() const noexcept;
  double near_max_increase_bps_per_s() const noexcept;

 private:
  void ChangeState(BandwidthUsage usage, double now_ms) noexcept;
  void OnOveruseCapacity(double acked_bps) noexcept;
  double UpperCapacityBound() const noexcept;
  double LowerCapacityBound() const noexcept;

  AimdConfig config_;
  double current_;
  State state_ = State::kHold;
  double last_change_ms_ = -1;
  double last_decrease_ms_ = -1;
  double rtt_ms_ = 200;
  double queue_ms_ = 0;
  bool refill_ = true;
  double restore_bps_ = 0;  // beta x capacity, to return to once a drained queue is empty
  // Link capacity seen at the last overuses (kbit/s), with a normalised variance.
  double capacity_kbps_ = -1;
  double capacity_var_ = 0.4;
};

}  // namespace cbcs::cc
