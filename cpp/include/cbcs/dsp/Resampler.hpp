// Streaming polyphase resampler between 8, 16 and 48 kHz, in both directions.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "cbcs/dsp/Kernels.hpp"

namespace cbcs::dsp {

class Resampler {
 public:
  // Rates: 8000, 16000 or 48000 each (equal rates pass through). Throws ConfigError.
  Resampler(int input_rate, int output_rate, bool allow_simd = true);

  int InputRate() const noexcept { return input_rate_; }
  int OutputRate() const noexcept { return output_rate_; }
  // Group delay of the filter, in output samples (rounded down) and exactly in seconds.
  std::size_t DelaySamples() const noexcept;
  double DelaySeconds() const noexcept;

  // Number of outputs the next Process() of input_count samples will produce.
  std::size_t OutputCount(std::size_t input_count) const noexcept;
  // Resamples in into out (out must hold OutputCount(in.size())); returns samples written.
  std::size_t Process(std::span<const float> in, std::span<float> out) noexcept;
  void Reset() noexcept;
  const char* KernelName() const noexcept { return kernels_->name; }

 private:
  int input_rate_;
  int output_rate_;
  std::size_t up_;    // L: zeros inserted per input sample plus one
  std::size_t down_;  // M: high-rate samples per output
  std::size_t taps_per_phase_;     // multiple of 8
  std::vector<float> phases_;      // up_ filters of taps_per_phase_, oldest input first
  std::vector<float> history_;     // written twice so a window is always contiguous
  std::size_t history_pos_ = 0;
  std::size_t next_output_ = 0;    // high-rate position of the next output, relative to the
                                   // newest input sample times up_
  double delay_high_rate_ = 0.0;
  const Kernels* kernels_;
};

}  // namespace cbcs::dsp
