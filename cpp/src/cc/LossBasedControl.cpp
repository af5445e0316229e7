// Loss-based rate bound.
#include "cbcs/cc/LossBasedControl.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::cc {

LossBasedControl::LossBasedControl(const LossBasedConfig& config, double start_bps, double max_bps)
    : config_(config), bound_(max_bps), max_(max_bps) {
  (void)start_bps;
  if (!(config.low_loss >= 0 && config.low_loss <= config.high_loss && config.high_loss <= 1)) {
    throw ConfigError("loss thresholds: expected 0 <= low <= high <= 1, got " +
                      std::to_string(config.low_loss) + ", " + std::to_string(config.high_loss));
  }
  if (config.min_packets < 1) {
    throw ConfigError("min_packets: expected >= 1, got " + std::to_string(config.min_packets));
  }
}

void LossBasedControl::OnPacketResults(int64_t received, int64_t lost) noexcept {
  received_ += received;
  lost_ += lost;
  if (received_ + lost_ >= config_.min_packets) {
    last_loss_ = static_cast<double>(lost_) / static_cast<double>(received_ + lost_);
    received_ = lost_ = 0;
    has_new_measurement_ = true;
  }
}

double LossBasedControl::Update(double current_target_bps, double rtt_ms, double now_ms,
                                bool delay_cut_recently) noexcept {
  if (!has_new_measurement_) return bound_;
  has_new_measurement_ = false;
  // Growth is paced by the time between measurements, not between calls.
  const double dt_s = last_update_ms_ < 0 ? 0 : std::min(now_ms - last_update_ms_, 1000.0) / 1000;
  last_update_ms_ = now_ms;
  if (last_loss_ <= config_.low_loss) {
    // Low loss: the bound stops limiting; grow it from where the target is.
    const double base = std::min(bound_, std::max(current_target_bps, 1.0));
    bound_ = std::max(bound_, base * std::pow(config_.increase_per_s, dt_s) + 1000 * dt_s);
    if (bound_ >= current_target_bps * 1.5) bound_ = max_;  // far above: release entirely
  } else if (last_loss_ > config_.high_loss) {
    if (!delay_cut_recently && now_ms - last_decrease_ms_ >= config_.decrease_interval_ms + rtt_ms) {
      bound_ = std::min(bound_, current_target_bps) * (1 - 0.5 * last_loss_);
      last_decrease_ms_ = now_ms;
    }
  } else {
    bound_ = std::min(bound_, std::max(current_target_bps, 1.0));
  }
  bound_ = std::min(bound_, max_);
  return bound_;
}

}  // namespace cbcs::cc
