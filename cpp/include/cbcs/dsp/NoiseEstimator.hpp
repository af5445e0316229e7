// Per-bin noise power tracking driven by a speech-presence probability (Gerkmann-Hendriks).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace cbcs::dsp {

// The noise PSD is updated every frame with the MMSE estimate of the noise power given the
// observed power, weighted by the posterior probability that speech is absent in that bin.
// Unlike minimum statistics it has no bias to correct and follows rising noise within a
// few hundred milliseconds; the probability is capped when it stays high so the estimate
// cannot freeze under a sudden, lasting noise step.
class NoiseEstimator {
 public:
  static constexpr std::size_t kSubwindows = 8;
  static constexpr std::size_t kSubwindowFrames = 12;

  explicit NoiseEstimator(std::size_t bins);

  // power: |Y|^2 of the current frame. Updates Noise() and Presence().
  void Update(std::span<const float> power) noexcept;
  void Reset() noexcept;

  std::span<const float> Noise() const noexcept { return noise_; }
  // Posterior probability of speech presence per bin for the current frame.
  std::span<const float> Presence() const noexcept { return presence_; }

 private:
  std::vector<float> noise_;
  std::vector<float> presence_;
  std::vector<float> presence_smooth_;
  // Minimum of the smoothed power over the last kSubwindows x kSubwindowFrames frames (about
  // 1 s, Martin's sub-window scheme): the noise estimate never goes above it times a bias,
  // which stops sustained speech from leaking into the estimate.
  std::vector<float> smoothed_;
  std::vector<float> sub_min_;      // bins x kSubwindows, ring of finished sub-window minima
  std::vector<float> current_min_;
  std::size_t sub_frame_ = 0;
  std::size_t sub_index_ = 0;
  std::size_t frames_ = 0;
};

}  // namespace cbcs::dsp
