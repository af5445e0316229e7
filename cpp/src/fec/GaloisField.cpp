// GF(2^8) tables (built at compile time) and dense matrix inversion.
#include "cbcs/fec/GaloisField.hpp"

#include <cstring>

namespace cbcs::fec {
const GaloisField::TableSet& GaloisField::Tables() noexcept {
  // Built once on first use (a function-local static: thread-safe, and after that only a
  // guard check). Not constexpr: the 64 Ki products exceed clang's constant-evaluation
  // step limit. Products come from log/exp tables (x = 2 generates the group).
  static const TableSet kTables = [] {
    std::array<uint8_t, 512> exp{};
    std::array<unsigned, 256> log{};
    unsigned x = 1;
    for (unsigned i = 0; i < 255; ++i) {
      exp[i] = static_cast<uint8_t>(x);
      exp[i + 255] = static_cast<uint8_t>(x);
      log[x] = i;
      x <<= 1;
      if (x & 0x100u) x ^= kPolynomial;
    }
    TableSet t{};
    for (unsigned a = 1; a < 256; ++a) {
      for (unsigned b = 1; b < 256; ++b) t.mul[a][b] = exp[log[a] + log[b]];
      t.inv[a] = exp[255 - log[a]];
    }
    return t;
  }();
  return kTables;
}

uint64_t GaloisField::AffineMatrix(uint8_t c) noexcept {
  uint64_t matrix = 0;
  for (unsigned out_bit = 0; out_bit < 8; ++out_bit) {
    uint64_t row = 0;
    for (unsigned in_bit = 0; in_bit < 8; ++in_bit) {
      // Multiplication is GF(2)-linear: column in_bit is c * x^in_bit.
      if ((Mul(c, static_cast<uint8_t>(1u << in_bit)) >> out_bit) & 1u) row |= 1u << in_bit;
    }
    matrix |= row << (8 * (7 - out_bit));
  }
  return matrix;
}

bool GaloisField::InvertMatrix(std::span<uint8_t> matrix, std::size_t n,
                               std::span<uint8_t> scratch) noexcept {
  if (matrix.size() < n * n || scratch.size() < n * n) return false;
  uint8_t* a = matrix.data();
  uint8_t* inv = scratch.data();
  std::memset(inv, 0, n * n);
  for (std::size_t i = 0; i < n; ++i) inv[i * n + i] = 1;
  for (std::size_t col = 0; col < n; ++col) {
    std::size_t pivot = col;
    while (pivot < n && a[pivot * n + col] == 0) ++pivot;
    if (pivot == n) return false;
    if (pivot != col) {
      for (std::size_t j = 0; j < n; ++j) {
        std::swap(a[pivot * n + j], a[col * n + j]);
        std::swap(inv[pivot * n + j], inv[col * n + j]);
      }
    }
    const uint8_t* scale = MulRow(Inv(a[col * n + col]));
    for (std::size_t j = 0; j < n; ++j) {
      a[col * n + j] = scale[a[col * n + j]];
      inv[col * n + j] = scale[inv[col * n + j]];
    }
    for (std::size_t row = 0; row < n; ++row) {
      const uint8_t factor = a[row * n + col];
      if (row == col || factor == 0) continue;
      const uint8_t* f = MulRow(factor);
      for (std::size_t j = 0; j < n; ++j) {
        a[row * n + j] ^= f[a[col * n + j]];
        inv[row * n + j] ^= f[inv[col * n + j]];
      }
    }
  }
  std::memcpy(a, inv, n * n);
  return true;
}

}  // namespace cbcs::fec
