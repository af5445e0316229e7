// Decides when to probe for more capacity: at start-up (3x and 6x the start rate), further
// while probes keep succeeding, again when the estimate has been stable and the source is
// application limited (or periodically, if enabled), and on request when the estimate is
// ramping up into spare capacity. Clusters go to the pacer, which sends them with padding if
// media is short.
#pragma once

#include <array>
#include <cstddef>

namespace cbcs::cc {

struct ProbeCluster {
  int id = -1;
  double bitrate_bps = 0;
  int min_packets = 5;
  double min_duration_ms = 15;
};

struct ProbeControllerConfig {
  bool initial_probing = true;
  double first_exponential_scale = 3.0;
  double second_exponential_scale = 6.0;
  double further_scale = 2.0;       // probe again at this x the result while probes succeed
  double further_threshold = 0.7;   // a probe succeeded when the estimate reached this x its rate
  double probe_interval_ms = 5000;  // application-limited / periodic probing interval
  bool periodic_probing = false;    // probe every interval even when not application limited
  double periodic_scale = 2.0;
  double max_probe_bps = 0;         // 0: the estimator's max
  // Ramp-up probes (RequestRampProbe) and the chain that follows them go up in smaller steps
  // than start-up probes: a ramp happens on a path that has shown congestion before.
  double ramp_scale = 1.5;
  double ramp_success_fraction = 0.85;  // a ramp probe succeeded when the estimate reached this x its rate
};

class ProbeController {
 public:
  static constexpr size_t kMaxPending = 4;

  explicit ProbeController(const ProbeControllerConfig& config, double max_bps);

  // Called whenever the estimate changes (and periodically through Process).
  void OnEstimate(double estimate_bps, double now_ms) noexcept;
  void OnApplicationLimited(bool limited) noexcept { app_limited_ = limited; }
  void OnMaxChanged(double max_bps) noexcept { max_bps_ = max_bps; }
  void Process(double estimate_bps, double now_ms) noexcept;
  // Starts a ramp-up probe at ramp_scale x the estimate unless a probe is already out;
  // returns whether one was started.
  bool RequestRampProbe(double estimate_bps, double now_ms) noexcept;
  bool waiting() const noexcept { return waiting_; }
  // Moves pending clusters out; returns how many were written.
  size_t TakeClusters(ProbeCluster* out, size_t capacity) noexcept;

 private:
  void Start(double bitrate_bps, double now_ms, double scale, double success_fraction) noexcept;

  ProbeControllerConfig config_;
  double max_bps_;
  std::array<ProbeCluster, kMaxPending> pending_{};
  size_t num_pending_ = 0;
  int next_id_ = 1;
  bool started_ = false;
  bool waiting_ = false;           // a probe is out, further probing depends on its result
  bool further_ = false;           // and the chain may go on (the probe was below the cap)
  double min_expected_bps_ = 0;    // estimate a successful probe should reach
  double chain_scale_ = 2.0;       // next probe of the chain at this x the estimate
  double chain_success_ = 0.7;
  double waiting_since_ms_ = 0;
  double last_probe_ms_ = -1e9;
  double last_probe_bps_ = 0;
  bool app_limited_ = false;
};

}  // namespace cbcs::cc
