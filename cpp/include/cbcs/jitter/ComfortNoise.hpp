// Background-noise model: tracks the noise floor and its spectral shape, and synthesises it.
#pragma once

#include <array>
#include <cstdint>

namespace cbcs::jitter {

// White noise through an all-pole (LPC) filter. The shape and level come either from a
// given signal (Analyze: used by Expand to continue the last unvoiced sound) or from the
// quietest blocks seen (Observe: minimum statistics, used for DTX gaps and to end a long
// concealment in the same background the talker was in, rather than in digital silence).
class ComfortNoise {
 public:
  static constexpr int kOrder = 10;

  explicit ComfortNoise(uint32_t seed = 0x9E3779B9u) : rng_(seed) {}

  // Fits filter and level to x[0, n) (n >= kOrder + 1).
  void Analyze(const int16_t* x, int n) noexcept;
  // Feeds one played block into the noise-floor tracker (cheap; refits the shape only for
  // blocks near the floor, and only every few of them).
  void Observe(const int16_t* x, int n) noexcept;
  // The same, when the caller already has the block's mean square.
  void Observe(const int16_t* x, int n, double mean_square) noexcept;
  // Adds gain * noise to out[0, n).
  void Generate(float* out, int n, float gain) noexcept;
  // Mean square (int16 units^2) of what Generate(gain = 1) produces.
  float Level() const noexcept { return level_; }
  // Adopts the floor tracked by Observe() as the model to generate.
  void UseBackground() noexcept;

 private:
  void Fit(const std::array<double, kOrder + 1>& r) noexcept;
  float NextGaussian() noexcept;

  std::array<float, kOrder> lpc_{};         // y[n] = e[n] - sum lpc_[i] y[n-1-i]
  std::array<float, kOrder> state_{};
  std::array<double, kOrder + 1> bg_r_{};   // smoothed autocorrelation of floor blocks
  float excitation_rms_ = 0.0f;
  float level_ = 0.0f;
  double floor_ = -1.0;  // tracked noise floor (mean square), < 0 until the first block
  int floor_blocks_ = 0;
  uint32_t rng_;
};

}  // namespace cbcs::jitter
