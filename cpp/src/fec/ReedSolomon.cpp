// Reed-Solomon encode/decode on top of the GF(2^8) dot-product kernels.
#include "cbcs/fec/ReedSolomon.hpp"

#include <algorithm>
#include <cstring>
#include <span>
#include <string>

#include "cbcs/common/ConfigError.hpp"
#include "cbcs/fec/GaloisField.hpp"

namespace cbcs::fec {
namespace {

// Enough entries for the loss patterns a live stream cycles through, bounded in bytes so
// that a 200 + 55 code does not reserve hundreds of megabytes.
constexpr std::size_t kMaxCacheEntries = 64;
constexpr std::size_t kCacheBudgetBytes = 8u << 20;

}  // namespace

ReedSolomon::ReedSolomon(std::size_t data_shards, std::size_t parity_shards, GfKernel kernel)
    : k_(data_shards), m_(parity_shards) {
  if (k_ < 1 || k_ + m_ > kMaxShards) {
    throw ConfigError("k, m: expected k >= 1, m >= 0 and k + m <= 255, got k=" +
                      std::to_string(k_) + ", m=" + std::to_string(m_));
  }
  if (!GfKernelSupported(kernel)) {
    throw ConfigError("kernel: " + std::string(GfKernelName(kernel)) +
                      " is not supported by this CPU");
  }
  kernel_ = kernel == GfKernel::kAuto ? GfBestKernel() : kernel;
  dot_ = GfKernelFunction(kernel_);

  generator_.assign((k_ + m_) * k_, 0);
  for (std::size_t j = 0; j < k_; ++j) generator_[j * k_ + j] = 1;
  parity_coeffs_.resize(m_ * k_);
  for (std::size_t i = 0; i < m_; ++i) {
    for (std::size_t j = 0; j < k_; ++j) {
      const auto x = static_cast<uint8_t>(k_ + i);
      const auto y = static_cast<uint8_t>(j);
      const uint8_t c = GaloisField::Inv(GaloisField::Add(x, y));
      generator_[(k_ + i) * k_ + j] = c;
      parity_coeffs_[i * k_ + j] = ExpandCoefficient(c);
    }
  }

  const std::size_t max_rows = std::min(k_, m_);
  const std::size_t entry_bytes = std::max<std::size_t>(1, max_rows * k_ * sizeof(GfCoefficient));
  const std::size_t entries =
      m_ == 0 ? 0 : std::clamp<std::size_t>(kCacheBudgetBytes / entry_bytes, 1, kMaxCacheEntries);
  cache_.resize(entries);
  for (CacheEntry& e : cache_) e.coeffs.resize(max_rows * k_);
  sub_matrix_.resize(k_ * k_);
  inverse_scratch_.resize(k_ * k_);
}

uint8_t ReedSolomon::GeneratorCoefficient(std::size_t row, std::size_t col) const noexcept {
  if (row >= k_ + m_ || col >= k_) return 0;
  return generator_[row * k_ + col];
}

void ReedSolomon::Encode(const uint8_t* const* data, uint8_t* const* parity,
                         std::size_t len) const noexcept {
  if (m_ == 0 || len == 0) return;
  dot_(parity_coeffs_.data(), data, k_, parity, m_, len);
}

ReedSolomon::CacheEntry& ReedSolomon::LookUp(const ShardMask& key, const uint8_t* chosen_rows,
                                             const uint8_t* lost_data,
                                             std::size_t lost) noexcept {
  ++clock_;
  CacheEntry* victim = &cache_[0];
  for (CacheEntry& e : cache_) {
    if (e.valid && e.key == key) {
      ++cache_hits_;
      e.last_use = clock_;
      return e;
    }
    if (!e.valid || (victim->valid && e.last_use < victim->last_use)) victim = &e;
  }
  ++cache_misses_;
  // Rows of the generator for the k shards we decode from; its inverse maps those shards
  // back to the data. Only the rows for the lost data shards are kept.
  for (std::size_t i = 0; i < k_; ++i) {
    std::memcpy(&sub_matrix_[i * k_], &generator_[chosen_rows[i] * k_], k_);
  }
  // Cauchy-based generators make every k x k submatrix invertible, so this cannot fail.
  GaloisField::InvertMatrix(std::span<uint8_t>(sub_matrix_), k_,
                            std::span<uint8_t>(inverse_scratch_));
  for (std::size_t r = 0; r < lost; ++r) {
    for (std::size_t i = 0; i < k_; ++i) {
      victim->coeffs[r * k_ + i] = ExpandCoefficient(sub_matrix_[lost_data[r] * k_ + i]);
    }
  }
  victim->key = key;
  victim->rows = lost;
  victim->valid = true;
  victim->last_use = clock_;
  return *victim;
}

DecodeStatus ReedSolomon::Decode(const uint8_t* const* shards, uint8_t* const* out,
                                 std::size_t len) noexcept {
  std::array<uint8_t, kMaxShards> chosen{};
  std::array<const uint8_t*, kMaxShards> inputs{};
  std::array<uint8_t, kMaxShards> lost_data{};
  std::array<uint8_t*, kMaxShards> lost_out{};
  ShardMask key{};
  std::size_t have = 0;
  std::size_t lost = 0;
  // Prefer data shards (they come first), so a pattern with few data losses reads the
  // fewest parity shards and the cache key only names what is used.
  for (std::size_t i = 0; i < k_ + m_ && have < k_; ++i) {
    if (shards[i] == nullptr) {
      if (i < k_) {
        lost_data[lost] = static_cast<uint8_t>(i);
        lost_out[lost] = out[i];
        ++lost;
      }
      continue;
    }
    chosen[have] = static_cast<uint8_t>(i);
    inputs[have] = shards[i];
    key[i / 64] |= uint64_t{1} << (i % 64);
    ++have;
  }
  if (have < k_) return DecodeStatus::kTooManyLosses;
  if (lost > 0 && len > 0) {
    const CacheEntry& entry = LookUp(key, chosen.data(), lost_data.data(), lost);
    dot_(entry.coeffs.data(), inputs.data(), k_, lost_out.data(), lost, len);
  }
  for (std::size_t j = 0; j < k_; ++j) {
    if (shards[j] != nullptr && shards[j] != out[j] && len > 0) {
      std::memmove(out[j], shards[j], len);
    }
  }
  return DecodeStatus::kOk;
}

}  // namespace cbcs::fec
