#include "cbcs/fec/GfKernels.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "cbcs/fec/GaloisField.hpp"

namespace cbcs::fec {
namespace {

constexpr GfKernel kAll[] = {GfKernel::kScalar, GfKernel::kSsse3, GfKernel::kAvx2,
                             GfKernel::kAvx512Bw, GfKernel::kGfni};

// Byte-at-a-time reference written straight from the definition.
std::vector<std::vector<uint8_t>> Reference(const std::vector<uint8_t>& c,
                                            const std::vector<std::vector<uint8_t>>& in,
                                            std::size_t n_out, std::size_t len) {
  std::vector<std::vector<uint8_t>> out(n_out, std::vector<uint8_t>(len, 0));
  for (std::size_t r = 0; r < n_out; ++r)
    for (std::size_t j = 0; j < in.size(); ++j)
      for (std::size_t i = 0; i < len; ++i) out[r][i] ^= GaloisField::Mul(c[r * in.size() + j], in[j][i]);
  return out;
}

TEST(GfKernels, AffineMatrixMultipliesLikeTheTable) {
  // Emulates GF2P8AFFINEQB in software so the matrix layout is checked even without GFNI.
  for (unsigned c = 0; c < 256; c += 3) {
    const uint64_t m = GaloisField::AffineMatrix(static_cast<uint8_t>(c));
    for (unsigned x = 0; x < 256; ++x) {
      unsigned y = 0;
      for (unsigned bit = 0; bit < 8; ++bit) {
        const unsigned row = static_cast<unsigned>((m >> (8 * (7 - bit))) & 0xff);
        y |= static_cast<unsigned>(__builtin_parity(row & x)) << bit;
      }
      ASSERT_EQ(y, GaloisField::Mul(static_cast<uint8_t>(c), static_cast<uint8_t>(x)));
    }
  }
}

TEST(GfKernels, EverySupportedKernelMatchesTheReference) {
  std::mt19937 rng(11);
  int ran = 0;
  for (GfKernel kernel : kAll) {
    if (!GfKernelSupported(kernel)) continue;
    ++ran;
    const GfDotProduct dot = GfKernelFunction(kernel);
    ASSERT_NE(dot, nullptr);
    for (std::size_t n_in : {1u, 3u, 10u, 20u}) {
      for (std::size_t n_out : {1u, 2u, 4u, 5u, 9u, 10u}) {
        for (std::size_t len : {0u, 1u, 15u, 16u, 17u, 31u, 32u, 33u, 63u, 64u, 65u, 160u, 1200u, 1201u}) {
          std::vector<uint8_t> c(n_out * n_in);
          for (auto& v : c) v = static_cast<uint8_t>(rng());
          std::vector<GfCoefficient> expanded;
          for (uint8_t v : c) expanded.push_back(ExpandCoefficient(v));
          std::vector<std::vector<uint8_t>> in(n_in, std::vector<uint8_t>(len));
          for (auto& row : in) for (auto& v : row) v = static_cast<uint8_t>(rng());
          std::vector<std::vector<uint8_t>> out(n_out, std::vector<uint8_t>(len, 0xEE));
          std::vector<const uint8_t*> ip;
          std::vector<uint8_t*> op;
          for (auto& row : in) ip.push_back(row.data());
          for (auto& row : out) op.push_back(row.data());
          dot(expanded.data(), ip.data(), n_in, op.data(), n_out, len);
          ASSERT_EQ(out, Reference(c, in, n_out, len))
              << GfKernelName(kernel) << " n_in=" << n_in << " n_out=" << n_out << " len=" << len;
        }
      }
    }
  }
  EXPECT_GE(ran, 1);
}

TEST(GfKernels, BestKernelIsSupportedAndNamed) {
  EXPECT_TRUE(GfKernelSupported(GfBestKernel()));
  EXPECT_NE(GfKernelName(GfBestKernel()), "auto");
}

}  // namespace
}  // namespace cbcs::fec
