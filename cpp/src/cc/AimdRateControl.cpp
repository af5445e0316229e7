// AIMD rate control.
#include "cbcs/cc/AimdRateControl.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::cc {
namespace {
constexpr double kCapacityAlpha = 0.05;
constexpr double kPacketBits = 1200 * 8;
constexpr double kDrainMs = 1000;
constexpr double kQueueDrainFloorMs = 50;
constexpr double kFillFraction = 0.95;
constexpr double kGrownRatio = 1.3;
constexpr double kFillTimeS = 0.5;
}  // namespace

AimdRateControl::AimdRateControl(const AimdConfig& config) : config_(config), current_(config.start_bps) {
  if (!(config.min_bps > 0 && config.min_bps <= config.start_bps && config.start_bps <= config.max_bps)) {
    throw ConfigError("bitrates: expected 0 < min_bps <= start_bps <= max_bps, got min " +
                      std::to_string(config.min_bps) + ", start " + std::to_string(config.start_bps) +
                      ", max " + std::to_string(config.max_bps));
  }
  if (!(config.beta > 0 && config.beta < 1)) {
    throw ConfigError("beta: expected (0, 1), got " + std::to_string(config.beta));
  }
}

void AimdRateControl::SetMinMax(double min_bps, double max_bps) noexcept {
  config_.min_bps = min_bps;
  config_.max_bps = max_bps;
  current_ = std::clamp(current_, min_bps, max_bps);
}

std::optional<double> AimdRateControl::link_capacity_bps() const noexcept {
  if (capacity_kbps_ < 0) return std::nullopt;
  return capacity_kbps_ * 1000;
}

double AimdRateControl::UpperCapacityBound() const noexcept {
  return (capacity_kbps_ + 3 * std::sqrt(capacity_var_ * capacity_kbps_)) * 1000;
}
double AimdRateControl::LowerCapacityBound() const noexcept {
  return (capacity_kbps_ - 3 * std::sqrt(capacity_var_ * capacity_kbps_)) * 1000;
}

void AimdRateControl::OnCapacitySample(double bps) noexcept {
  // Well clear of the estimate, not merely past its spread: on a shared link our pairs at
  // times come through at a little more than our share, and resetting on those would switch
  // the larger flows to multiplicative increase and away from a fair share.
  if (capacity_kbps_ >= 0 && bps > std::max(UpperCapacityBound(), kGrownRatio * capacity_kbps_ * 1000)) {
    capacity_kbps_ = -1;
  }
}

void AimdRateControl::OnOveruseCapacity(double acked_bps) noexcept {
  const double x = acked_bps / 1000;
  if (capacity_kbps_ < 0) {
    capacity_kbps_ = x;
  } else {
    capacity_kbps_ = (1 - kCapacityAlpha) * capacity_kbps_ + kCapacityAlpha * x;
  }
  const double norm = std::max(capacity_kbps_, 1.0);
  const double err = capacity_kbps_ - x;
  capacity_var_ = (1 - kCapacityAlpha) * capacity_var_ + kCapacityAlpha * err * err / norm;
  capacity_var_ = std::clamp(capacity_var_, 0.4, 2.5);
}

double AimdRateControl::near_max_increase_bps_per_s() const noexcept {
  // One full-size packet per response time (RTT + 100 ms), the same for every flow whatever
  // its rate: additive increase that does not depend on the rate is what makes AIMD flows
  // converge to a fair share.
  const double response_ms = rtt_ms_ + 100;
  return std::max(config_.min_additive_bps_per_s, kPacketBits * 1000 / response_ms);
}

void AimdRateControl::ChangeState(BandwidthUsage usage, double now_ms) noexcept {
  switch (usage) {
    case BandwidthUsage::kNormal:
      if (state_ == State::kHold) {
        last_change_ms_ = now_ms;
        state_ = State::kIncrease;
      }
      break;
    case BandwidthUsage::kOverusing:
      state_ = State::kDecrease;
      break;
    case BandwidthUsage::kUnderusing:
      state_ = State::kHold;
      break;
  }
}

bool AimdRateControl::TimeToReduceFurther(double now_ms, std::optional<double> acked_bps) const noexcept {
  // A decrease already accounts for the queue it saw; wait for it to show in the feedback.
  const double interval = std::max(rtt_ms_, 300.0);
  (void)acked_bps;
  return last_decrease_ms_ < 0 || now_ms - last_decrease_ms_ >= interval;
}

void AimdRateControl::SetEstimate(double bps, double now_ms) noexcept {
  current_ = std::clamp(bps, config_.min_bps, config_.max_bps);
  last_change_ms_ = now_ms;
}

double AimdRateControl::Update(BandwidthUsage usage, std::optional<double> acked_bps,
                               double now_ms) noexcept {
  ChangeState(usage, now_ms);
  double next = current_;
  if (restore_bps_ > 0 && state_ != State::kDecrease && queue_ms_ < kQueueDrainFloorMs / 2) {
    // The queue is gone: the extra cut below beta did its job, return to beta x capacity.
    next = std::max(next, restore_bps_);
    restore_bps_ = 0;
    last_change_ms_ = now_ms;
  }
  switch (state_) {
    case State::kHold:
      current_ = std::clamp(next, config_.min_bps, config_.max_bps);
      return current_;
    case State::kIncrease: {
      if (acked_bps && capacity_kbps_ >= 0 && *acked_bps > UpperCapacityBound()) {
        capacity_kbps_ = -1;  // got through more than we thought the link had: it changed
      }
      const double dt_s = last_change_ms_ < 0 ? 0 : std::min(now_ms - last_change_ms_, 1000.0) / 1000;
      double increase;
      if (capacity_kbps_ >= 0) {
        increase = near_max_increase_bps_per_s() * dt_s;
        // Well below the known capacity (just after a back-off) one packet per response time
        // would take seconds per 100 kbit/s at high rates; close most of the gap to just below
        // the capacity within about kFillTimeS instead, and probe the last part additively.
        const double fill_to = kFillFraction * capacity_kbps_ * 1000;
        if (refill_ && current_ < fill_to) {
          increase = std::max(increase, (fill_to - current_) * (1 - std::exp(-dt_s / kFillTimeS)));
        }
      } else {
        increase = std::max(current_ * (std::pow(config_.multiplicative_per_s, dt_s) - 1), 1000 * dt_s);
      }
      next = current_ + increase;
      // Never run far ahead of what the path has shown it delivers.
      if (acked_bps) next = std::min(next, std::max(current_, 1.5 * *acked_bps + 10'000));
      last_change_ms_ = now_ms;
      break;
    }
    case State::kDecrease: {
      if (acked_bps) {
        // Drain a standing queue of q ms in about kDrainMs: send at (1 - q / kDrainMs) of what
        // gets through, never below half of it.
        const double drain = queue_ms_ > kQueueDrainFloorMs ? 1 - queue_ms_ / kDrainMs : 1.0;
        const double factor = std::max(0.5, std::min(config_.beta, drain));
        double decreased = factor * *acked_bps;
        restore_bps_ = factor < config_.beta ? config_.beta * *acked_bps : 0;
        if (decreased > current_ && capacity_kbps_ >= 0) decreased = config_.beta * capacity_kbps_ * 1000;
        if (decreased < current_) next = decreased;
        if (capacity_kbps_ >= 0 && *acked_bps < LowerCapacityBound()) capacity_kbps_ = -1;
        OnOveruseCapacity(*acked_bps);
      } else {
        next = current_ * config_.beta;  // nothing acknowledged yet: plain multiplicative backoff
      }
      state_ = State::kHold;
      last_change_ms_ = now_ms;
      last_decrease_ms_ = now_ms;
      break;
    }
  }
  current_ = std::clamp(next, config_.min_bps, config_.max_bps);
  return current_;
}

}  // namespace cbcs::cc
