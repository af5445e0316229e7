// Probe scheduling.
#include "cbcs/cc/ProbeController.hpp"

#include <algorithm>

namespace cbcs::cc {
namespace {
constexpr double kWaitForResultMs = 1000;
}

ProbeController::ProbeController(const ProbeControllerConfig& config, double max_bps)
    : config_(config), max_bps_(max_bps) {}

void ProbeController::Start(double bitrate_bps, double now_ms, double scale,
                            double success_fraction) noexcept {
  const double cap = config_.max_probe_bps > 0 ? std::min(config_.max_probe_bps, max_bps_) : max_bps_;
  bitrate_bps = std::min(bitrate_bps, cap);
  if (num_pending_ == kMaxPending ||
      (bitrate_bps <= last_probe_bps_ * 1.0001 && now_ms - last_probe_ms_ < 100)) {
    return;
  }
  pending_[num_pending_++] = ProbeCluster{next_id_++, bitrate_bps, 5, 15};
  // A probe at the cap is the last of its chain: an estimate that reaches 0.7 x the cap
  // would otherwise start another one at the cap after every feedback, for ever.
  further_ = bitrate_bps < cap;
  last_probe_ms_ = now_ms;
  last_probe_bps_ = bitrate_bps;
  waiting_ = true;
  waiting_since_ms_ = now_ms;
  chain_scale_ = scale;
  chain_success_ = success_fraction;
  min_expected_bps_ = bitrate_bps * success_fraction;
}

void ProbeController::OnEstimate(double estimate_bps, double now_ms) noexcept {
  if (!started_) {
    started_ = true;
    if (config_.initial_probing) {
      Start(estimate_bps * config_.first_exponential_scale, now_ms, config_.further_scale,
            config_.further_threshold);
      Start(estimate_bps * config_.second_exponential_scale, now_ms, config_.further_scale,
            config_.further_threshold);
    }
    return;
  }
  if (waiting_ && further_ && estimate_bps >= min_expected_bps_ && estimate_bps < max_bps_) {
    // The probe got through: keep going up while it does.
    Start(estimate_bps * chain_scale_, now_ms, chain_scale_, chain_success_);
  }
}

bool ProbeController::RequestRampProbe(double estimate_bps, double now_ms) noexcept {
  if (!started_ || waiting_ || estimate_bps >= max_bps_) return false;
  const size_t before = num_pending_;
  Start(estimate_bps * config_.ramp_scale, now_ms, config_.ramp_scale, config_.ramp_success_fraction);
  return num_pending_ > before;
}

void ProbeController::Process(double estimate_bps, double now_ms) noexcept {
  if (waiting_ && now_ms - waiting_since_ms_ > kWaitForResultMs) waiting_ = false;
  if (!started_) {
    OnEstimate(estimate_bps, now_ms);
    return;
  }
  if (waiting_ || estimate_bps >= max_bps_) return;
  if ((app_limited_ || config_.periodic_probing) && now_ms - last_probe_ms_ >= config_.probe_interval_ms) {
    last_probe_bps_ = 0;
    Start(estimate_bps * (app_limited_ ? config_.further_scale : config_.periodic_scale), now_ms,
          config_.further_scale, config_.further_threshold);
    // Periodic probes are one-shot: their result may raise the estimate, but do not chain.
    if (!app_limited_) waiting_ = false;
  }
}

size_t ProbeController::TakeClusters(ProbeCluster* out, size_t capacity) noexcept {
  const size_t n = std::min(capacity, num_pending_);
  for (size_t i = 0; i < n; ++i) out[i] = pending_[i];
  // Keep whatever did not fit, in order.
  for (size_t i = n; i < num_pending_; ++i) pending_[i - n] = pending_[i];
  num_pending_ -= n;
  return n;
}

}  // namespace cbcs::cc
