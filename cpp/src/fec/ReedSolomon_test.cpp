#include "cbcs/fec/ReedSolomon.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "AllocationCounter.hpp"
#include "cbcs/common/ConfigError.hpp"
#include "cbcs/fec/GaloisField.hpp"

namespace cbcs::fec {
namespace {

struct Shards {
  std::vector<std::vector<uint8_t>> rows;
  std::vector<uint8_t*> Ptrs() {
    std::vector<uint8_t*> p;
    for (auto& r : rows) p.push_back(r.data());
    return p;
  }
};

Shards RandomShards(std::size_t n, std::size_t len, std::mt19937& rng) {
  Shards s{std::vector<std::vector<uint8_t>>(n, std::vector<uint8_t>(len))};
  for (auto& r : s.rows) for (auto& v : r) v = static_cast<uint8_t>(rng());
  return s;
}

TEST(ReedSolomon, RejectsImpossibleShapes) {
  EXPECT_THROW(ReedSolomon(0, 4), ConfigError);
  EXPECT_THROW(ReedSolomon(200, 56), ConfigError);
  EXPECT_NO_THROW(ReedSolomon(200, 55));
  EXPECT_NO_THROW(ReedSolomon(1, 0));
}

TEST(ReedSolomon, IsSystematicCauchy) {
  ReedSolomon rs(4, 2);
  for (std::size_t j = 0; j < 4; ++j)
    for (std::size_t c = 0; c < 4; ++c) EXPECT_EQ(rs.GeneratorCoefficient(j, c), j == c ? 1 : 0);
  // Row k + i, column j is 1 / ((k + i) xor j): row 4, column 0 is 1/4.
  EXPECT_EQ(GaloisField::Mul(rs.GeneratorCoefficient(4, 0), 4), 1);
  EXPECT_EQ(GaloisField::Mul(rs.GeneratorCoefficient(5, 3), 5 ^ 3), 1);
}

TEST(ReedSolomon, RecoversEveryLossPatternOfASmallCode) {
  std::mt19937 rng(3);
  const std::size_t k = 4, m = 3, len = 37;
  ReedSolomon rs(k, m);
  Shards data = RandomShards(k, len, rng);
  Shards parity = RandomShards(m, len, rng);
  auto dp = data.Ptrs();
  auto pp = parity.Ptrs();
  rs.Encode(reinterpret_cast<const uint8_t* const*>(dp.data()), pp.data(), len);
  for (unsigned lost_mask = 0; lost_mask < (1u << (k + m)); ++lost_mask) {
    const int losses = __builtin_popcount(lost_mask);
    std::vector<const uint8_t*> in(k + m);
    for (std::size_t i = 0; i < k + m; ++i)
      in[i] = (lost_mask >> i) & 1u ? nullptr : (i < k ? data.rows[i].data() : parity.rows[i - k].data());
    Shards out{std::vector<std::vector<uint8_t>>(k, std::vector<uint8_t>(len, 0))};
    auto op = out.Ptrs();
    const DecodeStatus st = rs.Decode(in.data(), op.data(), len);
    if (losses > static_cast<int>(m)) {
      EXPECT_EQ(st, DecodeStatus::kTooManyLosses) << lost_mask;
    } else {
      ASSERT_EQ(st, DecodeStatus::kOk) << lost_mask;
      EXPECT_EQ(out.rows, data.rows) << lost_mask;
    }
  }
}

TEST(ReedSolomon, AllKernelsProduceIdenticalParityAndRecovery) {
  std::mt19937 rng(9);
  for (auto [k, m] : {std::pair<std::size_t, std::size_t>{10, 4}, {20, 10}, {4, 2}, {100, 30}}) {
    for (std::size_t len : {1u, 160u, 1200u, 1333u}) {
      Shards data = RandomShards(k, len, rng);
      auto dp = data.Ptrs();
      std::vector<std::vector<uint8_t>> reference;
      for (GfKernel kern : {GfKernel::kScalar, GfKernel::kSsse3, GfKernel::kAvx2,
                            GfKernel::kAvx512Bw, GfKernel::kGfni}) {
        if (!GfKernelSupported(kern)) continue;
        ReedSolomon rs(k, m, kern);
        Shards parity = RandomShards(m, len, rng);
        auto pp = parity.Ptrs();
        rs.Encode(reinterpret_cast<const uint8_t* const*>(dp.data()), pp.data(), len);
        if (reference.empty()) reference = parity.rows;
        ASSERT_EQ(parity.rows, reference) << GfKernelName(kern) << " k=" << k << " len=" << len;
        // Lose the first m data shards: the hardest pattern (all parity used).
        std::vector<const uint8_t*> in(k + m);
        for (std::size_t i = 0; i < k + m; ++i)
          in[i] = i < m ? nullptr : (i < k ? data.rows[i].data() : parity.rows[i - k].data());
        Shards out{std::vector<std::vector<uint8_t>>(k, std::vector<uint8_t>(len))};
        auto op = out.Ptrs();
        ASSERT_EQ(rs.Decode(in.data(), op.data(), len), DecodeStatus::kOk);
        ASSERT_EQ(out.rows, data.rows) << GfKernelName(kern);
      }
    }
  }
}

TEST(ReedSolomon, DecodeCachesMatricesPerLossPatternAndAllocatesNothing) {
  std::mt19937 rng(1);
  const std::size_t k = 10, m = 4, len = 1200;
  ReedSolomon rs(k, m);
  Shards data = RandomShards(k, len, rng), parity = RandomShards(m, len, rng);
  auto dp = data.Ptrs();
  auto pp = parity.Ptrs();
  rs.Encode(reinterpret_cast<const uint8_t* const*>(dp.data()), pp.data(), len);
  Shards out{std::vector<std::vector<uint8_t>>(k, std::vector<uint8_t>(len))};
  auto op = out.Ptrs();
  std::vector<const uint8_t*> in(k + m);
  for (std::size_t i = 0; i < k + m; ++i) in[i] = i < k ? data.rows[i].data() : parity.rows[i - k].data();
  in[2] = nullptr;
  in[7] = nullptr;
  const uint64_t before = testing::AllocationCount();
  for (int rep = 0; rep < 100; ++rep) ASSERT_EQ(rs.Decode(in.data(), op.data(), len), DecodeStatus::kOk);
  rs.Encode(reinterpret_cast<const uint8_t* const*>(dp.data()), pp.data(), len);
  EXPECT_EQ(testing::AllocationCount(), before);
  EXPECT_EQ(rs.CacheMisses(), 1u);
  EXPECT_EQ(rs.CacheHits(), 99u);
  EXPECT_EQ(out.rows, data.rows);
}

TEST(ReedSolomon, CacheEvictionKeepsResultsExact) {
  std::mt19937 rng(2);
  const std::size_t k = 30, m = 8, len = 64;
  ReedSolomon rs(k, m);
  Shards data = RandomShards(k, len, rng), parity = RandomShards(m, len, rng);
  auto dp = data.Ptrs();
  auto pp = parity.Ptrs();
  rs.Encode(reinterpret_cast<const uint8_t* const*>(dp.data()), pp.data(), len);
  for (int trial = 0; trial < 300; ++trial) {  // more patterns than cache entries
    std::vector<std::size_t> idx(k + m);
    std::iota(idx.begin(), idx.end(), 0);
    std::shuffle(idx.begin(), idx.end(), rng);
    std::vector<const uint8_t*> in(k + m);
    for (std::size_t i = 0; i < k + m; ++i) in[i] = i < k ? data.rows[i].data() : parity.rows[i - k].data();
    for (std::size_t t = 0; t < m; ++t) in[idx[t]] = nullptr;
    Shards out{std::vector<std::vector<uint8_t>>(k, std::vector<uint8_t>(len))};
    auto op = out.Ptrs();
    ASSERT_EQ(rs.Decode(in.data(), op.data(), len), DecodeStatus::kOk);
    ASSERT_EQ(out.rows, data.rows) << trial;
  }
}

}  // namespace
}  // namespace cbcs::fec
