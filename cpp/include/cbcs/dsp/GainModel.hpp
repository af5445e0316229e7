// Small recurrent network (dense + GRU) mapping band features to band gains and a VAD value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cbcs/dsp/Kernels.hpp"

namespace cbcs::dsp {

// Weights come as one little-endian blob (written by tools/train_denoise_model.py):
//   "CBGM" magic, uint32 version (1), uint32 inputs, dense, hidden, outputs; then float32
//   arrays: input mean[inputs], input scale[inputs], dense W[dense][inputs], dense b[dense],
//   GRU W_ih[3*hidden][dense], W_hh[3*hidden][hidden], b_ih[3*hidden], b_hh[3*hidden]
//   (gate order r, z, n as in PyTorch), out W[outputs][hidden], out b[outputs].
// Outputs pass through a sigmoid: band gains first, the voice activity value last.
// Rows are stored padded to multiples of 8 so the dot products run in 8-lane blocks.
class GainModel {
 public:
  // Parses and validates the blob; throws ConfigError on any mismatch.
  GainModel(std::span<const std::uint8_t> blob, const Kernels& kernels);

  std::size_t Inputs() const noexcept { return inputs_; }
  std::size_t Outputs() const noexcept { return outputs_; }

  // One frame: features[Inputs()] -> out[Outputs()]; updates the recurrent state.
  void Run(std::span<const float> features, std::span<float> out) noexcept;
  void Reset() noexcept;

 private:
  std::size_t inputs_, dense_, hidden_, outputs_;
  std::size_t inputs_pad_, dense_pad_, hidden_pad_;
  std::vector<float> mean_, scale_;
  std::vector<float> dense_w_, dense_b_;
  std::vector<float> w_ih_, w_hh_, b_ih_, b_hh_;
  std::vector<float> out_w_, out_b_;
  std::vector<float> x_, d_, h_, h_new_;
  const Kernels* kernels_;
};

}  // namespace cbcs::dsp
