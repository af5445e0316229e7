// Throughput the receiver actually got, from acknowledged packets in arrival order: windowed
// rate samples fused by a scalar Bayesian (Kalman-like) update, so one bursty window does not
// swing the estimate the rate control anchors on. Beside it, the plain delivery rate of the
// last recent_window_ms of arrivals: after a capacity drop the smoothed estimate still holds
// traffic from before it for seconds, while a saturated path's recent delivery rate is its
// capacity now.
#pragma once

#include <array>
#include <cstddef>
#include <optional>

namespace cbcs::cc {

struct AcknowledgedBitrateConfig {
  double initial_window_ms = 500;  // longer first window: the first packets come in a burst
  double window_ms = 150;
  double uncertainty_scale = 10;   // sample noise grows with its distance from the estimate
  double process_noise_kbps2 = 5;  // how fast the true rate may drift between samples
  // Span of the recent delivery rate: several frame intervals, so one frame's burst does not
  // make a sample, and short enough to follow a capacity drop within a few hundred ms.
  double recent_window_ms = 250;
};

class AcknowledgedBitrateEstimator {
 public:
  explicit AcknowledgedBitrateEstimator(const AcknowledgedBitrateConfig& config = {});

  void OnPacket(double arrival_ms, size_t size_bytes) noexcept;
  // Smoothed acknowledged bitrate (bit/s); empty until the first window completed.
  std::optional<double> bitrate_bps() const noexcept;
  // Raw rate of the last completed window (bit/s), for ramp-up decisions.
  std::optional<double> last_sample_bps() const noexcept;
  // Delivery rate over the arrivals of the last recent_window_ms (bytes after the first
  // packet over the arrival span); empty until the span covers half the window.
  std::optional<double> recent_bps() const noexcept;
  // Restarts the smoothed estimate from bps: a saturated path has shown it delivers that
  // much now, and anchoring on the old estimate would keep traffic from before the change.
  void ResetTo(double bps) noexcept;
  void Reset() noexcept;

 private:
  AcknowledgedBitrateConfig config_;
  double window_start_ms_ = -1;
  double prev_ms_ = -1;
  double bytes_ = 0;
  double estimate_kbps_ = -1;
  double variance_ = 50;
  double last_sample_kbps_ = -1;
  // Ring of recent arrivals (fixed size: no allocation per packet). The window is cut short
  // when more packets than this arrive within it.
  static constexpr size_t kRecent = 512;
  struct Arrival {
    double ms;
    double bytes;
  };
  std::array<Arrival, kRecent> recent_{};
  size_t recent_head_ = 0;  // next slot to write
  size_t recent_count_ = 0;
};

}  // namespace cbcs::cc
