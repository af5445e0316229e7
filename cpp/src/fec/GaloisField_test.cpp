#include "cbcs/fec/GaloisField.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace cbcs::fec {
namespace {

TEST(GaloisField, KnownProductsUnderPolynomial0x11D) {
  struct Case { uint8_t a, b, product; };
  // 2 * 0x80 overflows and reduces by 0x1D; the others follow from it.
  for (const Case c : {Case{0, 7, 0}, Case{1, 0xAB, 0xAB}, Case{2, 0x80, 0x1D},
                       Case{2, 0x40, 0x80}, Case{3, 0x80, 0x9D}, Case{0x80, 0x80, 0x13}}) {
    EXPECT_EQ(GaloisField::Mul(c.a, c.b), c.product) << int(c.a) << "*" << int(c.b);
    EXPECT_EQ(GaloisField::Mul(c.b, c.a), c.product);
  }
}

TEST(GaloisField, EveryNonZeroElementHasAnInverse) {
  for (unsigned a = 1; a < 256; ++a) {
    EXPECT_EQ(GaloisField::Mul(static_cast<uint8_t>(a), GaloisField::Inv(static_cast<uint8_t>(a))), 1)
        << a;
  }
}

TEST(GaloisField, MultiplicationDistributesOverAddition) {
  for (unsigned a = 0; a < 256; a += 7) {
    for (unsigned b = 0; b < 256; b += 5) {
      for (unsigned c = 0; c < 256; c += 11) {
        const auto x = static_cast<uint8_t>(a), y = static_cast<uint8_t>(b), z = static_cast<uint8_t>(c);
        EXPECT_EQ(GaloisField::Mul(x, y ^ z), GaloisField::Mul(x, y) ^ GaloisField::Mul(x, z));
      }
    }
  }
}

TEST(GaloisField, InvertedMatrixTimesOriginalIsIdentity) {
  std::mt19937 rng(5);
  for (std::size_t n : {1u, 2u, 5u, 17u}) {
    std::vector<uint8_t> a(n * n), inv, scratch(n * n);
    bool ok = false;
    while (!ok) {
      for (auto& v : a) v = static_cast<uint8_t>(rng());
      inv = a;
      ok = GaloisField::InvertMatrix(inv, n, scratch);
    }
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) {
        uint8_t sum = 0;
        for (std::size_t t = 0; t < n; ++t) sum ^= GaloisField::Mul(a[i * n + t], inv[t * n + j]);
        EXPECT_EQ(sum, i == j ? 1 : 0);
      }
    }
  }
}

TEST(GaloisField, SingularMatrixIsReported) {
  std::vector<uint8_t> a = {1, 2, 1, 2}, scratch(4);  // two equal rows
  EXPECT_FALSE(GaloisField::InvertMatrix(a, 2, scratch));
}

}  // namespace
}  // namespace cbcs::fec
