// Loss concealment: continue the last pitch period, then fade into background noise.
#pragma once

#include <cstdint>
#include <vector>

#include "cbcs/jitter/ComfortNoise.hpp"
#include "cbcs/jitter/PitchEstimator.hpp"

namespace cbcs::jitter {

// Start() analyses the audio played last: its pitch period T and how periodic it is, and
// the spectral shape of what is not periodic. Generate() then repeats the last period
// (its seam smoothed so the loop is click-free) mixed with shaped noise in proportion to
// the periodicity. After 30 ms the concealment fades linearly over 80 ms into the
// background noise passed by the caller (a typical 2-3 packet loss burst is bridged at
// full level, which measured better in PESQ than NetEq-like faster fades): long gaps end in the talker's room tone, not in
// a buzz and not in digital silence.
class Expand {
 public:
  Expand(int sample_rate, int max_history);

  // history: the last n samples played (n >= 25 ms worth gives a pitch estimate).
  void Start(const int16_t* history, int n) noexcept;
  // Writes count samples; background holds count samples of background noise to fade to.
  void Generate(const float* background, int16_t* out, int count) noexcept;
  // The same, into floats (for Merge, which cross-fades from the concealment).
  void GenerateFloat(const float* background, float* out, int count) noexcept;

  // Samples generated since Start().
  int Elapsed() const noexcept { return elapsed_; }
  // True once only background noise is left.
  bool Faded() const noexcept { return elapsed_ >= hold_ + fade_; }
  int Period() const noexcept { return period_; }
  float Voicing() const noexcept { return voicing_; }

 private:
  int sample_rate_;
  int hold_;   // samples at full level
  int fade_;   // samples of the fade to background
  int min_lag_;
  int max_lag_;
  PitchEstimator pitch_;
  ComfortNoise noise_;
  std::vector<float> period_buf_;
  std::vector<float> noise_tmp_;
  int period_ = 1;
  int phase_ = 0;
  int elapsed_ = 0;
  float voicing_ = 0.0f;
  float noise_gain_ = 0.0f;
};

}  // namespace cbcs::jitter
