// Scalar, SSSE3, AVX2, AVX-512BW and GFNI GF(2^8) dot-product kernels with run-time dispatch.
#include "cbcs/fec/GfKernels.hpp"

#include <algorithm>
#include <cstring>

#include "cbcs/fec/GaloisField.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CBCS_FEC_X86 1
#else
#define CBCS_FEC_X86 0
#endif

namespace cbcs::fec {

GfCoefficient ExpandCoefficient(uint8_t c) noexcept {
  GfCoefficient k{};
  for (unsigned x = 0; x < 16; ++x) {
    k.lo[x] = GaloisField::Mul(c, static_cast<uint8_t>(x));
    k.hi[x] = GaloisField::Mul(c, static_cast<uint8_t>(x << 4));
  }
  k.affine = GaloisField::AffineMatrix(c);
  k.value = c;
  return k;
}

namespace {

// Scalar reference: one 256-byte table row per coefficient, byte at a time.
void ScalarRows(const GfCoefficient* coeffs, const uint8_t* const* in, std::size_t n_in,
                uint8_t* const* out, std::size_t n_out, std::size_t begin,
                std::size_t end) noexcept {
  for (std::size_t r = 0; r < n_out; ++r) {
    uint8_t* o = out[r];
    const uint8_t* row0 = GaloisField::MulRow(coeffs[r * n_in].value);
    for (std::size_t i = begin; i < end; ++i) o[i] = row0[in[0][i]];
    for (std::size_t j = 1; j < n_in; ++j) {
      const uint8_t* row = GaloisField::MulRow(coeffs[r * n_in + j].value);
      const uint8_t* src = in[j];
      for (std::size_t i = begin; i < end; ++i) o[i] ^= row[src[i]];
    }
  }
}

void ScalarDot(const GfCoefficient* coeffs, const uint8_t* const* in, std::size_t n_in,
               uint8_t* const* out, std::size_t n_out, std::size_t len) noexcept {
  if (n_in == 0) {
    for (std::size_t r = 0; r < n_out; ++r) std::memset(out[r], 0, len);
    return;
  }
  ScalarRows(coeffs, in, n_in, out, n_out, 0, len);
}

#if CBCS_FEC_X86

// GCC 12 reports the intrinsics' internal _mm512_undefined_* values as uninitialised.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

// Each SIMD kernel keeps R output rows in registers while it streams the inputs once per
// vector position, so every input byte is loaded once per group of R rows. Positions are
// recomputed from scratch (outputs are not accumulated), which lets the last vector overlap
// the previous one instead of falling back to a scalar tail.

template <int R>
__attribute__((target("ssse3"))) void Ssse3Group(const GfCoefficient* coeffs,
                                                  const uint8_t* const* in, std::size_t n_in,
                                                  uint8_t* const* out, std::size_t len) {
  const __m128i nibble = _mm_set1_epi8(0x0f);
  std::size_t pos = 0;
  for (;;) {
    if (pos + 16 > len) pos = len - 16;
    __m128i acc[R];
    for (int t = 0; t < R; ++t) acc[t] = _mm_setzero_si128();
    for (std::size_t j = 0; j < n_in; ++j) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in[j] + pos));
      const __m128i lo = _mm_and_si128(x, nibble);
      const __m128i hi = _mm_and_si128(_mm_srli_epi64(x, 4), nibble);
      for (int t = 0; t < R; ++t) {
        const GfCoefficient& c = coeffs[t * n_in + j];
        const __m128i tl = _mm_load_si128(reinterpret_cast<const __m128i*>(c.lo));
        const __m128i th = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c.hi));
        acc[t] = _mm_xor_si128(acc[t], _mm_xor_si128(_mm_shuffle_epi8(tl, lo),
                                                      _mm_shuffle_epi8(th, hi)));
      }
    }
    for (int t = 0; t < R; ++t) _mm_storeu_si128(reinterpret_cast<__m128i*>(out[t] + pos), acc[t]);
    pos += 16;
    if (pos >= len) break;
  }
}

template <int R>
__attribute__((target("avx2"))) void Avx2Group(const GfCoefficient* coeffs,
                                                const uint8_t* const* in, std::size_t n_in,
                                                uint8_t* const* out, std::size_t len) {
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  std::size_t pos = 0;
  for (;;) {
    if (pos + 32 > len) pos = len - 32;
    __m256i acc[R];
    for (int t = 0; t < R; ++t) acc[t] = _mm256_setzero_si256();
    for (std::size_t j = 0; j < n_in; ++j) {
      const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in[j] + pos));
      const __m256i lo = _mm256_and_si256(x, nibble);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi64(x, 4), nibble);
      for (int t = 0; t < R; ++t) {
        const GfCoefficient& c = coeffs[t * n_in + j];
        const __m256i tl =
            _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(c.lo)));
        const __m256i th =
            _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c.hi)));
        acc[t] = _mm256_xor_si256(acc[t], _mm256_xor_si256(_mm256_shuffle_epi8(tl, lo),
                                                           _mm256_shuffle_epi8(th, hi)));
      }
    }
    for (int t = 0; t < R; ++t) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[t] + pos), acc[t]);
    }
    pos += 32;
    if (pos >= len) break;
  }
}

// AVX-512 handles the tail with byte masks, so any length runs without overlap.
template <int R>
__attribute__((target("avx512f,avx512bw"))) void Avx512Group(const GfCoefficient* coeffs,
                                                              const uint8_t* const* in,
                                                              std::size_t n_in,
                                                              uint8_t* const* out,
                                                              std::size_t len) {
  const __m512i nibble = _mm512_set1_epi8(0x0f);
  for (std::size_t pos = 0; pos < len; pos += 64) {
    const std::size_t left = len - pos;
    const __mmask64 mask = left >= 64 ? ~__mmask64{0} : ((__mmask64{1} << left) - 1);
    __m512i acc[R];
    for (int t = 0; t < R; ++t) acc[t] = _mm512_setzero_si512();
    for (std::size_t j = 0; j < n_in; ++j) {
      const __m512i x = _mm512_maskz_loadu_epi8(mask, in[j] + pos);
      const __m512i lo = _mm512_and_si512(x, nibble);
      const __m512i hi = _mm512_and_si512(_mm512_srli_epi64(x, 4), nibble);
      for (int t = 0; t < R; ++t) {
        const GfCoefficient& c = coeffs[t * n_in + j];
        const __m512i tl =
            _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(c.lo)));
        const __m512i th =
            _mm512_broadcast_i32x4(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c.hi)));
        acc[t] = _mm512_xor_si512(acc[t], _mm512_xor_si512(_mm512_shuffle_epi8(tl, lo),
                                                           _mm512_shuffle_epi8(th, hi)));
      }
    }
    for (int t = 0; t < R; ++t) _mm512_mask_storeu_epi8(out[t] + pos, mask, acc[t]);
  }
}

// GFNI: one GF2P8AFFINEQB multiplies 64 bytes by a constant under any field polynomial.
template <int R>
__attribute__((target("avx512f,avx512bw,gfni"))) void GfniGroup(const GfCoefficient* coeffs,
                                                                 const uint8_t* const* in,
                                                                 std::size_t n_in,
                                                                 uint8_t* const* out,
                                                                 std::size_t len) {
  for (std::size_t pos = 0; pos < len; pos += 64) {
    const std::size_t left = len - pos;
    const __mmask64 mask = left >= 64 ? ~__mmask64{0} : ((__mmask64{1} << left) - 1);
    __m512i acc[R];
    for (int t = 0; t < R; ++t) acc[t] = _mm512_setzero_si512();
    for (std::size_t j = 0; j < n_in; ++j) {
      const __m512i x = _mm512_maskz_loadu_epi8(mask, in[j] + pos);
      for (int t = 0; t < R; ++t) {
        const __m512i matrix =
            _mm512_set1_epi64(static_cast<long long>(coeffs[t * n_in + j].affine));
        acc[t] = _mm512_xor_si512(acc[t], _mm512_gf2p8affine_epi64_epi8(x, matrix, 0));
      }
    }
    for (int t = 0; t < R; ++t) _mm512_mask_storeu_epi8(out[t] + pos, mask, acc[t]);
  }
}

// Splits the output rows into register-sized groups and calls the kernel for each.
#define CBCS_FEC_DRIVER(NAME, MAXR, MINLEN)                                                  \
  void NAME##Dot(const GfCoefficient* coeffs, const uint8_t* const* in, std::size_t n_in,   \
                 uint8_t* const* out, std::size_t n_out, std::size_t len) noexcept {        \
    if (n_in == 0 || len < (MINLEN)) {                                                       \
      ScalarDot(coeffs, in, n_in, out, n_out, len);                                          \
      return;                                                                                \
    }                                                                                        \
    std::size_t r = 0;                                                                       \
    while (r < n_out) {                                                                      \
      const std::size_t rows = std::min<std::size_t>(MAXR, n_out - r);                       \
      const GfCoefficient* c = coeffs + r * n_in;                                            \
      uint8_t* const* o = out + r;                                                           \
      switch (rows) {                                                                        \
        case 1: NAME##Group<1>(c, in, n_in, o, len); break;                                  \
        case 2: NAME##Group<2>(c, in, n_in, o, len); break;                                  \
        case 3: NAME##Group<3>(c, in, n_in, o, len); break;                                  \
        case 4: NAME##Group<4>(c, in, n_in, o, len); break;                                  \
        case 5: NAME##Group<(MAXR >= 5 ? 5 : 1)>(c, in, n_in, o, len); break;                \
        case 6: NAME##Group<(MAXR >= 6 ? 6 : 1)>(c, in, n_in, o, len); break;                \
        case 7: NAME##Group<(MAXR >= 7 ? 7 : 1)>(c, in, n_in, o, len); break;                \
        default: NAME##Group<(MAXR >= 8 ? 8 : 1)>(c, in, n_in, o, len); break;               \
      }                                                                                      \
      r += rows;                                                                             \
    }                                                                                        \
  }

CBCS_FEC_DRIVER(Ssse3, 4, 16)
CBCS_FEC_DRIVER(Avx2, 4, 32)
CBCS_FEC_DRIVER(Avx512, 8, 1)
CBCS_FEC_DRIVER(Gfni, 8, 1)
#undef CBCS_FEC_DRIVER

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif  // CBCS_FEC_X86

}  // namespace

bool GfKernelSupported(GfKernel kernel) noexcept {
  switch (kernel) {
    case GfKernel::kAuto:
    case GfKernel::kScalar:
      return true;
#if CBCS_FEC_X86
    case GfKernel::kSsse3:
      return __builtin_cpu_supports("ssse3");
    case GfKernel::kAvx2:
      return __builtin_cpu_supports("avx2");
    case GfKernel::kAvx512Bw:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    case GfKernel::kGfni:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("gfni");
#else
    default:
      return false;
#endif
  }
  return false;
}

GfKernel GfBestKernel() noexcept {
  static const GfKernel best = [] {
    // AVX2 before AVX-512BW: with nibble tables the 512-bit kernel measured ~10 % slower
    // than the 256-bit one here (`cbcs bench fec` kernel table), while GFNI is ~2x AVX2.
    for (GfKernel k : {GfKernel::kGfni, GfKernel::kAvx2, GfKernel::kAvx512Bw, GfKernel::kSsse3}) {
      if (GfKernelSupported(k)) return k;
    }
    return GfKernel::kScalar;
  }();
  return best;
}

GfDotProduct GfKernelFunction(GfKernel kernel) noexcept {
  if (kernel == GfKernel::kAuto) kernel = GfBestKernel();
  if (!GfKernelSupported(kernel)) return nullptr;
  switch (kernel) {
#if CBCS_FEC_X86
    case GfKernel::kSsse3: return &Ssse3Dot;
    case GfKernel::kAvx2: return &Avx2Dot;
    case GfKernel::kAvx512Bw: return &Avx512Dot;
    case GfKernel::kGfni: return &GfniDot;
#endif
    default: return &ScalarDot;
  }
}

std::string_view GfKernelName(GfKernel kernel) noexcept {
  switch (kernel) {
    case GfKernel::kAuto: return "auto";
    case GfKernel::kScalar: return "scalar";
    case GfKernel::kSsse3: return "ssse3";
    case GfKernel::kAvx2: return "avx2";
    case GfKernel::kAvx512Bw: return "avx512bw";
    case GfKernel::kGfni: return "gfni";
  }
  return "unknown";
}

}  // namespace cbcs::fec
