// Vectorised GF(2^8) dot products (the inner loop of Reed-Solomon), chosen once at run time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cbcs::fec {

// One matrix coefficient expanded for every kernel: the raw byte (scalar path), its two
// 16-entry nibble product tables (PSHUFB paths) and its GF2P8AFFINEQB bit matrix (GFNI).
struct GfCoefficient {
  alignas(16) uint8_t lo[16];  // c * x for x = 0..15
  uint8_t hi[16];              // c * (x << 4) for x = 0..15
  uint64_t affine;
  uint8_t value;
};

GfCoefficient ExpandCoefficient(uint8_t c) noexcept;

// Which instruction set computes the products. Every kernel gives byte-identical output.
enum class GfKernel { kAuto, kScalar, kSsse3, kAvx2, kAvx512Bw, kGfni };

// out[r][i] = XOR over j of coeffs[r * n_in + j] * in[j][i], for r < n_out, i < len.
// Outputs are overwritten, never accumulated into; they must not alias the inputs.
using GfDotProduct = void (*)(const GfCoefficient* coeffs, const uint8_t* const* in,
                              std::size_t n_in, uint8_t* const* out, std::size_t n_out,
                              std::size_t len) noexcept;

// True when this CPU (and this build) can run the kernel; kAuto and kScalar always can.
bool GfKernelSupported(GfKernel kernel) noexcept;
// The fastest supported kernel, decided once per process.
GfKernel GfBestKernel() noexcept;
// The function for a supported kernel (kAuto resolves to GfBestKernel()), else nullptr.
GfDotProduct GfKernelFunction(GfKernel kernel) noexcept;
std::string_view GfKernelName(GfKernel kernel) noexcept;

}  // namespace cbcs::fec
