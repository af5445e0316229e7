// Loss-based rate bound: under 2 % loss it lets the rate grow (8 %/s), above 10 % it cuts by
// half the loss fraction at most once per RTT + 300 ms, in between it holds.
#pragma once

#include <algorithm>
#include <cstdint>

namespace cbcs::cc {

struct LossBasedConfig {
  double low_loss = 0.02;
  double high_loss = 0.10;
  double increase_per_s = 1.08;
  int64_t min_packets = 20;  // per loss measurement
  double decrease_interval_ms = 300;
};

class LossBasedControl {
 public:
  explicit LossBasedControl(const LossBasedConfig& config, double start_bps, double max_bps);

  // Counts from one feedback; a measurement is taken once min_packets have accumulated.
  void OnPacketResults(int64_t received, int64_t lost) noexcept;
  // Updates and returns the bound given the current overall target and RTT. When the
  // delay-based control has just cut for the same congestion (delay_cut_recently), losses from
  // the queue overflow it reacted to do not cut a second time.
  double Update(double current_target_bps, double rtt_ms, double now_ms,
                bool delay_cut_recently = false) noexcept;
  double bound_bps() const noexcept { return bound_; }
  double last_loss_fraction() const noexcept { return last_loss_; }
  void SetMax(double max_bps) noexcept { max_ = max_bps; }
  // A probe the path carried at bps: the bound, held down by losses of an earlier congestion,
  // need not crawl back up at 8 %/s to a rate the path has just shown it delivers.
  void OnProbeResult(double bps) noexcept { bound_ = std::min(std::max(bound_, bps), max_); }

 private:
  LossBasedConfig config_;
  double bound_;
  double max_;
  int64_t received_ = 0;
  int64_t lost_ = 0;
  bool has_new_measurement_ = false;
  double last_loss_ = 0;
  double last_update_ms_ = -1;
  double last_decrease_ms_ = -1e9;
};

}  // namespace cbcs::cc
