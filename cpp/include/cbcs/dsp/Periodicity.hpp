// How periodic the last 40 ms of input are at speech pitch: the gain model's voicing cue.
#pragma once

#include <complex>
#include <cstddef>
#include <span>
#include <vector>

#include "cbcs/dsp/Fft.hpp"
#include "cbcs/dsp/Resampler.hpp"

namespace cbcs::dsp {

// The best normalised autocorrelation of the last 40 ms of 0-4 kHz input at lags of
// 2.5-12.5 ms (pitch 80-400 Hz). Voiced speech scores near 1; keyboard clicks, clatter, hiss
// and the sum of many talkers score low. Band energies alone cannot tell a key stroke from
// a speech onset; this can, from the same frame, so the gain needs no lookahead.
//
// Input is first resampled to 8 kHz (cheap, and the same cue at both rates). The 40 ms
// Hann-windowed history (two periods of an 80 Hz voice) is zero-padded to twice its length,
// and its autocorrelation is the inverse FFT of its power spectrum. Each lag is
// divided by the window's own autocorrelation there, undoing the taper's bias toward short
// lags. All buffers are sized in the constructor; Push() allocates nothing.
class Periodicity {
 public:
  // sample_rate: 16000 or 48000. Throws ConfigError otherwise.
  explicit Periodicity(int sample_rate, bool allow_simd = true);

  // hop: the newest 10 ms of input at the stream's rate. Returns 0..1.
  float Push(std::span<const float> hop) noexcept;
  void Reset() noexcept;

 private:
  Resampler to_8k_;
  std::vector<float> hop_8k_;
  std::vector<float> history_;  // last 40 ms at 8 kHz, oldest first
  std::vector<float> window_;
  std::vector<float> padded_;
  Fft fft_;
  std::vector<std::complex<float>> spectrum_;
  std::vector<float> autocorr_;
  std::vector<float> window_corr_;  // window autocorrelation / its value at lag 0
};

}  // namespace cbcs::dsp
