// Inner loops of the dsp area with an AVX2 and a portable version giving identical results.
#pragma once

#include <cstddef>

namespace cbcs::dsp {

// The AVX2 versions keep the portable versions' order of operations (eight lanes summed
// in a fixed tree, no fused multiply-add), so both give bit-identical results; the choice
// is made once, when an object is built.
struct Kernels {
  // Sum of a[i] * b[i] for i < n; n must be a multiple of 8.
  float (*dot)(const float* a, const float* b, std::size_t n) noexcept;
  // out[i] = a[i] * b[i] for i < n.
  void (*multiply)(const float* a, const float* b, float* out, std::size_t n) noexcept;
  const char* name;

  // AVX2 when the CPU has it (and allow_simd), else the portable kernels.
  static const Kernels& Select(bool allow_simd = true) noexcept;
  static const Kernels& Portable() noexcept;
};

}  // namespace cbcs::dsp
