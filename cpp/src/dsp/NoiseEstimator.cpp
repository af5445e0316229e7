// Speech-presence-probability noise tracker (Gerkmann & Hendriks, IEEE TASLP 2012).
#include "cbcs/dsp/NoiseEstimator.hpp"

#include <algorithm>
#include <cmath>

namespace cbcs::dsp {
namespace {

// Typical a-priori SNR when speech is present (15 dB); fixing it keeps the probability
// independent of the (biased) decision-directed estimate.
constexpr float kXiH1 = 31.62f;
constexpr float kLogOnePlusXi = 3.4843f;  // ln(1 + kXiH1)
constexpr float kXiRatio = kXiH1 / (1.0f + kXiH1);
constexpr float kPresenceSmoothing = 0.9f;
constexpr float kStagnationCap = 0.99f;
constexpr float kNoiseSmoothing = 0.8f;
// Frames averaged to initialise the noise floor (the first 50 ms are taken as noise).
constexpr std::size_t kInitFrames = 5;
constexpr float kPowerFloor = 1e-12f;
constexpr float kPowerSmoothing = 0.8f;
// Ratio of the noise mean to the minimum of its smoothed periodogram over ~1 s, with margin.
constexpr float kMinimumBias = 4.0f;
constexpr float kHuge = 3.0e38f;

}  // namespace

NoiseEstimator::NoiseEstimator(std::size_t bins)
    : noise_(bins, 0.0f),
      presence_(bins, 0.0f),
      presence_smooth_(bins, 0.0f),
      smoothed_(bins, 0.0f),
      sub_min_(bins * kSubwindows, kHuge),
      current_min_(bins, kHuge) {}

void NoiseEstimator::Reset() noexcept {
  std::fill(noise_.begin(), noise_.end(), 0.0f);
  std::fill(presence_.begin(), presence_.end(), 0.0f);
  std::fill(presence_smooth_.begin(), presence_smooth_.end(), 0.0f);
  std::fill(smoothed_.begin(), smoothed_.end(), 0.0f);
  std::fill(sub_min_.begin(), sub_min_.end(), kHuge);
  std::fill(current_min_.begin(), current_min_.end(), kHuge);
  sub_frame_ = 0;
  sub_index_ = 0;
  frames_ = 0;
}

void NoiseEstimator::Update(std::span<const float> power) noexcept {
  const std::size_t n = noise_.size();
  for (std::size_t k = 0; k < n; ++k) {
    smoothed_[k] = frames_ == 0 ? power[k] : kPowerSmoothing * smoothed_[k] + (1.0f - kPowerSmoothing) * power[k];
    current_min_[k] = std::min(current_min_[k], smoothed_[k]);
  }
  if (++sub_frame_ == kSubwindowFrames) {
    sub_frame_ = 0;
    for (std::size_t k = 0; k < n; ++k) {
      sub_min_[k * kSubwindows + sub_index_] = current_min_[k];
      current_min_[k] = kHuge;
    }
    sub_index_ = (sub_index_ + 1) % kSubwindows;
  }
  if (frames_ < kInitFrames) {
    const float w = 1.0f / static_cast<float>(frames_ + 1);
    for (std::size_t k = 0; k < n; ++k) {
      noise_[k] = std::max(kPowerFloor, noise_[k] + w * (power[k] - noise_[k]));
      presence_[k] = 0.0f;
    }
    ++frames_;
    return;
  }
  for (std::size_t k = 0; k < n; ++k) {
    const float snr = power[k] / noise_[k];
    // P(H1 | Y) = 1 / (1 + (1 + xi) exp(-snr * xi / (1 + xi))), computed in the log domain.
    const float exponent = std::min(kLogOnePlusXi - snr * kXiRatio, 30.0f);
    float p = 1.0f / (1.0f + std::exp(exponent));
    presence_smooth_[k] = kPresenceSmoothing * presence_smooth_[k] + (1.0f - kPresenceSmoothing) * p;
    if (presence_smooth_[k] > kStagnationCap) p = std::min(p, kStagnationCap);
    presence_[k] = p;
    const float noise_estimate = (1.0f - p) * power[k] + p * noise_[k];
    float ceiling = current_min_[k];
    for (std::size_t j = 0; j < kSubwindows; ++j) ceiling = std::min(ceiling, sub_min_[k * kSubwindows + j]);
    const float tracked = kNoiseSmoothing * noise_[k] + (1.0f - kNoiseSmoothing) * noise_estimate;
    noise_[k] = std::max(kPowerFloor, std::min(tracked, kMinimumBias * ceiling));
  }
  ++frames_;
}

}  // namespace cbcs::dsp
