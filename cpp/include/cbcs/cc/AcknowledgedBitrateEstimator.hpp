// Throughput the receiver actually got, from acknowledged packets in arrival order: windowed
// rate samples fused by a scalar Bayesian (Kalman-like) update, so one bursty window does not
// swing the estimate the rate control anchors on.
#pragma once

#include <cstddef>
#include <optional>

namespace cbcs::cc {

struct AcknowledgedBitrateConfig {
  double initial_window_ms = 500;  // longer first window: the first packets come in a burst
  double window_ms = 150;
  double uncertainty_scale = 10;   // sample noise grows with its distance from the estimate
  double process_noise_kbps2 = 5;  // how fast the true rate may drift between samples
};

class AcknowledgedBitrateEstimator {
 public:
  explicit AcknowledgedBitrateEstimator(const AcknowledgedBitrateConfig& config = {});

  void OnPacket(double arrival_ms, size_t size_bytes) noexcept;
  // Smoothed acknowledged bitrate (bit/s); empty until the first window completed.
  std::optional<double> bitrate_bps() const noexcept;
  // Raw rate of the last completed window (bit/s), for ramp-up decisions.
  std::optional<double> last_sample_bps() const noexcept;
  void Reset() noexcept;

 private:
  AcknowledgedBitrateConfig config_;
  double window_start_ms_ = -1;
  double prev_ms_ = -1;
  double bytes_ = 0;
  double estimate_kbps_ = -1;
  double variance_ = 50;
  double last_sample_kbps_ = -1;
};

}  // namespace cbcs::cc
