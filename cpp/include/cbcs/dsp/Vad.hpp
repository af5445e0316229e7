// Voice activity detector: the denoiser's speech probability per 10 ms frame, with hangover.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cbcs/dsp/Denoiser.hpp"

namespace cbcs::dsp {

struct VadConfig {
  int sample_rate = 16000;           // 16000 or 48000
  float threshold = 0.5f;            // probability above which a frame is speech
  std::size_t hangover_frames = 8;   // frames a speech decision is held after the last hit
  bool allow_simd = true;
  std::span<const std::uint8_t> model{};  // GainModel blob; empty: statistical presence
};

// Runs the denoiser's analysis (noise tracking and, with a model, its VAD output) and
// keeps the last probability and a held decision. The denoised audio is discarded.
class Vad {
 public:
  explicit Vad(const VadConfig& config);

  std::size_t FrameSamples() const noexcept { return denoiser_.FrameSamples(); }
  // Probability for this frame (0..1); -1 if the frame has the wrong size.
  float Process(std::span<const float> frame) noexcept;
  float Process(std::span<const int16_t> frame) noexcept;
  float Probability() const noexcept { return probability_; }
  bool IsSpeech() const noexcept { return speech_; }
  void Reset() noexcept;

 private:
  void Decide(float p) noexcept;

  VadConfig config_;
  Denoiser denoiser_;
  std::vector<float> scratch_;
  std::vector<int16_t> scratch16_;
  float probability_ = 0.0f;
  bool speech_ = false;
  std::size_t hold_ = 0;
};

}  // namespace cbcs::dsp
