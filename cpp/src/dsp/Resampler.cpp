// Kaiser-windowed sinc lowpass split into polyphase branches; one dot product per output.
#include "cbcs/dsp/Resampler.hpp"

#include <cmath>
#include <numbers>
#include <numeric>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::dsp {
namespace {

// Stopband attenuation the prototype is designed for: aliases and images stay ~100 dB
// down, so a round trip is limited by the passband ripple, not by leakage.
constexpr double kStopbandDb = 100.0;
// The passband ends at 45 % of the lower rate and the stopband starts at 55 %.
constexpr double kTransitionFraction = 0.10;

double BesselI0(double x) {
  double sum = 1.0, term = 1.0;
  for (int k = 1; k < 50; ++k) {
    term *= (x / (2.0 * k)) * (x / (2.0 * k));
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

bool ValidRate(int rate) { return rate == 8000 || rate == 16000 || rate == 48000; }

}  // namespace

Resampler::Resampler(int input_rate, int output_rate, bool allow_simd)
    : input_rate_(input_rate), output_rate_(output_rate), kernels_(&Kernels::Select(allow_simd)) {
  if (!ValidRate(input_rate)) {
    throw ConfigError("input_rate: expected one of 8000, 16000, 48000, got " + std::to_string(input_rate));
  }
  if (!ValidRate(output_rate)) {
    throw ConfigError("output_rate: expected one of 8000, 16000, 48000, got " + std::to_string(output_rate));
  }
  const int g = std::gcd(input_rate, output_rate);
  up_ = static_cast<std::size_t>(output_rate / g);
  down_ = static_cast<std::size_t>(input_rate / g);
  const double high_rate = static_cast<double>(input_rate) * static_cast<double>(up_);
  const double low_rate = std::min(input_rate, output_rate);
  if (up_ == 1 && down_ == 1) {
    taps_per_phase_ = 8;  // identity: one tap, padded
    phases_.assign(8, 0.0f);
    phases_[7] = 1.0f;
  } else {
    const double transition = 2.0 * std::numbers::pi * kTransitionFraction * low_rate / high_rate;
    std::size_t taps = static_cast<std::size_t>(std::ceil((kStopbandDb - 8.0) / (2.285 * transition))) + 1;
    taps_per_phase_ = (taps + up_ - 1) / up_;
    taps_per_phase_ = (taps_per_phase_ + 7) / 8 * 8;
    taps = taps_per_phase_ * up_;
    const double beta = 0.1102 * (kStopbandDb - 8.7);
    const double cutoff = 0.5 * low_rate / high_rate;  // cycles per high-rate sample
    const double centre = 0.5 * static_cast<double>(taps - 1);
    std::vector<double> h(taps);
    for (std::size_t i = 0; i < taps; ++i) {
      const double t = static_cast<double>(i) - centre;
      const double sinc = t == 0.0 ? 2.0 * cutoff
                                   : std::sin(2.0 * std::numbers::pi * cutoff * t) / (std::numbers::pi * t);
      const double r = t / centre;
      const double window = BesselI0(beta * std::sqrt(std::max(0.0, 1.0 - r * r))) / BesselI0(beta);
      // Gain up_ restores the level lost to the inserted zeros.
      h[i] = sinc * window * static_cast<double>(up_);
    }
    // Branch p holds h[p + j * up_], stored newest-input-last so it lines up with history.
    phases_.assign(up_ * taps_per_phase_, 0.0f);
    for (std::size_t p = 0; p < up_; ++p) {
      for (std::size_t j = 0; j < taps_per_phase_; ++j) {
        phases_[p * taps_per_phase_ + (taps_per_phase_ - 1 - j)] = static_cast<float>(h[p + j * up_]);
      }
    }
    delay_high_rate_ = centre;
  }
  history_.assign(2 * taps_per_phase_, 0.0f);
}

std::size_t Resampler::DelaySamples() const noexcept {
  return static_cast<std::size_t>(delay_high_rate_ / static_cast<double>(down_));
}

double Resampler::DelaySeconds() const noexcept {
  return delay_high_rate_ / (static_cast<double>(input_rate_) * static_cast<double>(up_));
}

std::size_t Resampler::OutputCount(std::size_t input_count) const noexcept {
  // Outputs sit at high-rate positions next_output_ + k * down_ (relative to the next input
  // at 0); input i covers [i * up_, (i + 1) * up_).
  const std::size_t end = input_count * up_;
  if (next_output_ >= end) return 0;
  return (end - next_output_ + down_ - 1) / down_;
}

std::size_t Resampler::Process(std::span<const float> in, std::span<float> out) noexcept {
  std::size_t written = 0;
  const std::size_t n = taps_per_phase_;
  for (float x : in) {
    history_[history_pos_] = x;
    history_[history_pos_ + n] = x;
    history_pos_ = history_pos_ + 1 == n ? 0 : history_pos_ + 1;
    const float* window = history_.data() + history_pos_;  // oldest .. newest
    while (next_output_ < up_) {
      if (written < out.size()) {
        out[written] = kernels_->dot(phases_.data() + next_output_ * n, window, n);
      }
      ++written;
      next_output_ += down_;
    }
    next_output_ -= up_;
  }
  return written < out.size() ? written : out.size();
}

void Resampler::Reset() noexcept {
  std::fill(history_.begin(), history_.end(), 0.0f);
  history_pos_ = 0;
  next_output_ = 0;
}

}  // namespace cbcs::dsp
