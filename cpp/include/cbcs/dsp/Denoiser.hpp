// Causal single-channel noise suppressor on 10 ms frames at 16 or 48 kHz.
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "cbcs/dsp/BandLayout.hpp"
#include "cbcs/dsp/Fft.hpp"
#include "cbcs/dsp/GainModel.hpp"
#include "cbcs/dsp/Kernels.hpp"
#include "cbcs/dsp/NoiseEstimator.hpp"
#include "cbcs/dsp/SpectralGain.hpp"

namespace cbcs::dsp {

struct DenoiserConfig {
  int sample_rate = 16000;       // 16000 or 48000
  float suppression_db = 20.0f;  // attenuation where only noise is present, 0..60 dB
  bool allow_simd = true;
  // Weights of the learned band-gain model (GainModel blob); empty: statistical gains only.
  std::span<const std::uint8_t> model{};
};

enum class FrameStatus : int { kOk = 0, kWrongSize = 1 };

// 20 ms sqrt-Hann analysis/synthesis windows at 50 % overlap (delay: one 10 ms frame),
// noise tracked by NoiseEstimator. Gains: with a model, a small GRU turns band energies of
// the frame and of the tracked noise into 22 band gains (0-8 kHz) and a speech probability,
// refined per bin by the OM-LSA rule of SpectralGain; above 8 kHz (48 kHz streams) and
// without a model, the OM-LSA rule alone. On clean input (the tracked noise 30-40 dB or
// more below the speech) no bin is cut by more than 3 dB. All
// buffers are sized in the constructor; Process() allocates nothing and never throws.
class Denoiser {
 public:
  explicit Denoiser(const DenoiserConfig& config);

  int SampleRate() const noexcept { return config_.sample_rate; }
  std::size_t FrameSamples() const noexcept { return hop_; }
  // Algorithmic delay: output sample i corresponds to input sample i - DelaySamples().
  std::size_t DelaySamples() const noexcept { return hop_; }
  float SuppressionDb() const noexcept { return config_.suppression_db; }
  void SetSuppressionDb(float db) noexcept;  // clamped to 0..60
  // Probability that the last frame held speech (0..1).
  float SpeechProbability() const noexcept { return speech_probability_; }
  const char* KernelName() const noexcept { return kernels_->name; }

  static constexpr std::size_t kFeatures = 2 * BandLayout::kBands;
  static constexpr std::size_t kModelOutputs = BandLayout::kBands + 1;
  bool HasModel() const noexcept { return model_ != nullptr; }
  // Model inputs of the last frame: log10 band energies of the frame, then of the noise.
  std::span<const float> Features() const noexcept { return features_; }

  FrameStatus Process(std::span<const float> in, std::span<float> out) noexcept;
  FrameStatus Process(std::span<const int16_t> in, std::span<int16_t> out) noexcept;
  void Reset() noexcept;

 private:
  void ProcessFrame(const float* in, float* out) noexcept;
  void GuardCleanInput(float frame_energy, float noise_energy) noexcept;

  DenoiserConfig config_;
  std::size_t hop_;
  std::size_t size_;
  std::size_t bins_;
  const Kernels* kernels_;
  Fft fft_;
  NoiseEstimator noise_;
  SpectralGain gain_rule_;
  std::vector<float> window_;
  std::vector<float> analysis_;   // last 2 hops of input
  std::vector<float> windowed_;
  std::vector<std::complex<float>> spectrum_;
  std::vector<float> power_;
  std::vector<float> gain_;
  std::vector<float> synthesis_;
  std::vector<float> overlap_;
  std::vector<float> scratch_in_;
  std::vector<float> scratch_out_;
  std::unique_ptr<GainModel> model_;
  std::vector<float> band_energy_;
  std::vector<float> features_;
  std::vector<float> model_out_;
  std::vector<float> model_gain_;
  float floor_gain_ = 0.1f;
  std::size_t speech_lo_ = 0, speech_hi_ = 0;  // bins 300..3400 Hz
  float speech_probability_ = 0.0f;
  float speech_energy_ = 0.0f;  // band energy of speech frames, smoothed over ~0.5 s of speech
};

}  // namespace cbcs::dsp
