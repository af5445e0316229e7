// Accelerate and preemptive expand: change duration by whole pitch periods, not the pitch.
#pragma once

#include <cstdint>

#include "cbcs/jitter/PitchEstimator.hpp"

namespace cbcs::jitter {

// Pitch-synchronous overlap-add on one output block of `block` samples. The block is
// cross-faded from the audio at the read position into the same audio shifted by one
// period T (found by PitchEstimator), so the next block continues T samples further on
// (accelerate: block + T consumed) or T samples back (preemptive expand: block - T
// consumed). Because the shift is one period of the waveform, pitch is unchanged.
class TimeStretch {
 public:
  TimeStretch(int sample_rate, int block_samples, int max_signal);

  // x holds `history` samples already played (in source order) followed by `available`
  // samples from the read position. Writes `block` samples to out and returns the source
  // samples consumed, or 0 when the audio is not periodic enough to stretch cleanly
  // (unless force). The shortest period is 2.5 ms, the longest 15 ms (accelerate) or
  // 90 % of a block (preemptive expand), and never more than limit (so a stretch does
  // not overshoot the delay it is correcting).
  int Accelerate(const int16_t* x, int history, int available, int16_t* out, bool force,
                 int limit) noexcept;
  int PreemptiveExpand(const int16_t* x, int history, int available, int16_t* out,
                       bool force, int limit) noexcept;

  int MinLag() const noexcept { return min_lag_; }
  int MaxLag() const noexcept { return max_lag_; }

  // Periodicity a stretch needs unless the audio is quiet (then anything goes).
  static constexpr float kMinCorrelation = 0.55f;
  static constexpr float kQuietEnergy = 1.0e5f;  // mean square, about -40 dBFS

 private:
  void CrossFade(const int16_t* a, const int16_t* b, int16_t* out) const noexcept;
  int block_;
  int min_lag_;
  int max_lag_;
  PitchEstimator pitch_;
};

}  // namespace cbcs::jitter
