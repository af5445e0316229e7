// Portable and AVX2 inner loops (dot product, elementwise product) with matching results.
#include "cbcs/dsp/Kernels.hpp"

#include <immintrin.h>

namespace cbcs::dsp {
namespace {

float DotPortable(const float* a, const float* b, std::size_t n) noexcept {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (std::size_t i = 0; i < n; i += 8) {
    for (std::size_t l = 0; l < 8; ++l) lane[l] = lane[l] + a[i + l] * b[i + l];
  }
  const float s0 = lane[0] + lane[4], s1 = lane[1] + lane[5];
  const float s2 = lane[2] + lane[6], s3 = lane[3] + lane[7];
  return (s0 + s2) + (s1 + s3);
}

void MultiplyPortable(const float* a, const float* b, float* out, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}

__attribute__((target("avx2"))) float DotAvx2(const float* a, const float* b, std::size_t n) noexcept {
  __m256 acc = _mm256_setzero_ps();
  for (std::size_t i = 0; i < n; i += 8) {
    acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
  }
  // Same tree as the portable version: (l0+l4, l1+l5, l2+l6, l3+l7), then (0+2) + (1+3).
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}

__attribute__((target("avx2"))) void MultiplyAvx2(const float* a, const float* b, float* out,
                                                  std::size_t n) noexcept {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
  }
  for (; i < n; ++i) out[i] = a[i] * b[i];
}

const Kernels kPortable{&DotPortable, &MultiplyPortable, "portable"};
const Kernels kAvx2{&DotAvx2, &MultiplyAvx2, "avx2"};

}  // namespace

const Kernels& Kernels::Portable() noexcept { return kPortable; }

const Kernels& Kernels::Select(bool allow_simd) noexcept {
  if (allow_simd && __builtin_cpu_supports("avx2")) return kAvx2;
  return kPortable;
}

}  // namespace cbcs::dsp
