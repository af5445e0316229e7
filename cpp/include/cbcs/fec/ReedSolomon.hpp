// Systematic MDS Reed-Solomon erasure code over GF(2^8): k data shards, m parity shards.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cbcs/fec/GfKernels.hpp"

namespace cbcs::fec {

enum class DecodeStatus {
  kOk,
  kTooManyLosses,  // fewer than k shards present: nothing can be recovered
};

// The generator is [I_k ; C] with C the m x k Cauchy matrix C[i][j] = 1 / (x_i + y_j),
// x_i = k + i, y_j = j. Every square submatrix of a Cauchy matrix is invertible, so any k
// of the k + m shards determine the data (MDS), for every k + m <= 256; we cap at 255 as
// the usual RS(255) bound the API promises.
//
// Encode/Decode never allocate or throw: the decode matrices for loss patterns are kept in
// a cache sized in the constructor (least recently used entry replaced on a miss).
// Not thread-safe: one owner per object (the decode cache is mutable state).
class ReedSolomon {
 public:
  static constexpr std::size_t kMaxShards = 255;

  ReedSolomon(std::size_t data_shards, std::size_t parity_shards,
              GfKernel kernel = GfKernel::kAuto);

  std::size_t DataShards() const noexcept { return k_; }
  std::size_t ParityShards() const noexcept { return m_; }
  GfKernel Kernel() const noexcept { return kernel_; }

  // Coefficient of the generator matrix row `row` (0..k+m-1), column `col` (0..k-1).
  uint8_t GeneratorCoefficient(std::size_t row, std::size_t col) const noexcept;

  // parity[i] (i < m) from data[j] (j < k), each `len` bytes.
  void Encode(const uint8_t* const* data, uint8_t* const* parity, std::size_t len) const noexcept;

  // shards[i] for i < k + m, nullptr when lost. Writes the k data shards to out[j]; out[j]
  // may equal shards[j] (then nothing is copied for it) but must not alias another shard.
  DecodeStatus Decode(const uint8_t* const* shards, uint8_t* const* out,
                      std::size_t len) noexcept;

  // Decode-matrix cache statistics (for tests and benchmarks).
  uint64_t CacheHits() const noexcept { return cache_hits_; }
  uint64_t CacheMisses() const noexcept { return cache_misses_; }

 private:
  using ShardMask = std::array<uint64_t, 4>;
  struct CacheEntry {
    ShardMask key{};
    uint64_t last_use = 0;
    bool valid = false;
    std::size_t rows = 0;  // number of lost data shards this entry rebuilds
    std::vector<GfCoefficient> coeffs;  // rows x k, sized once in the constructor
  };

  CacheEntry& LookUp(const ShardMask& key, const uint8_t* chosen_rows,
                     const uint8_t* lost_data, std::size_t lost) noexcept;

  std::size_t k_;
  std::size_t m_;
  GfKernel kernel_;
  GfDotProduct dot_;
  std::vector<uint8_t> generator_;         // (k + m) x k
  std::vector<GfCoefficient> parity_coeffs_;  // m x k, expanded for the kernels
  std::vector<CacheEntry> cache_;
  uint64_t clock_ = 0;
  uint64_t cache_hits_ = 0;
  uint64_t cache_misses_ = 0;
  // Scratch for a cache miss, sized once.
  std::vector<uint8_t> sub_matrix_;
  std::vector<uint8_t> inverse_scratch_;
};

}  // namespace cbcs::fec
