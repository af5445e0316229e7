// Arithmetic in GF(2^8) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D), table driven.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace cbcs::fec {

// All tables are built once (constexpr) and shared; every function is pure.
class GaloisField {
 public:
  static constexpr unsigned kPolynomial = 0x11D;

  static uint8_t Mul(uint8_t a, uint8_t b) noexcept { return Tables().mul[a][b]; }
  static uint8_t Add(uint8_t a, uint8_t b) noexcept { return static_cast<uint8_t>(a ^ b); }
  // Multiplicative inverse; Inv(0) is 0 by convention (callers never divide by zero).
  static uint8_t Inv(uint8_t a) noexcept { return Tables().inv[a]; }
  static uint8_t Div(uint8_t a, uint8_t b) noexcept { return Mul(a, Inv(b)); }
  // Row of the full multiplication table: MulRow(c)[x] == Mul(c, x).
  static const uint8_t* MulRow(uint8_t c) noexcept { return Tables().mul[c].data(); }

  // 8x8 bit matrix of "multiply by c" in the layout of the x86 GF2P8AFFINEQB instruction:
  // byte 7 - i holds the input bits that feed output bit i.
  static uint64_t AffineMatrix(uint8_t c) noexcept;

  // Inverts the n x n row-major matrix in place (Gauss-Jordan); `scratch` must hold
  // n * n bytes. Returns false when the matrix is singular (contents then undefined).
  static bool InvertMatrix(std::span<uint8_t> matrix, std::size_t n,
                           std::span<uint8_t> scratch) noexcept;

 private:
  struct TableSet {
    std::array<std::array<uint8_t, 256>, 256> mul;
    std::array<uint8_t, 256> inv;
  };
  static const TableSet& Tables() noexcept;
};

}  // namespace cbcs::fec
