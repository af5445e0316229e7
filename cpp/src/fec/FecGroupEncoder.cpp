// Packs media frames into RS source shards and emits repair payloads per full group.
#include "cbcs/fec/FecGroupEncoder.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "cbcs/common/ConfigError.hpp"
#include "cbcs/rtp/ByteIo.hpp"

namespace cbcs::fec {

FecGroupEncoder::FecGroupEncoder(std::size_t k, std::size_t m, std::size_t max_payload)
    : k_(k), m_(m), max_payload_(max_payload), rs_(k, m) {
  if (m < 1) throw ConfigError("m: expected >= 1 repair packets per group, got 0");
  if (k + m > 255) throw ConfigError("k, m: expected k + m <= 255");
  if (max_payload < 1 || max_payload > 8192) {
    throw ConfigError("max_payload: expected 1..8192 bytes, got " + std::to_string(max_payload));
  }
  stride_ = kRepairHeaderSize + kShardHeaderSize + max_payload;
  sources_.assign(k * (stride_ - kRepairHeaderSize), 0);
  repairs_.assign(m * stride_, 0);
  repair_size_.assign(m, 0);
}

std::size_t FecGroupEncoder::AddFrame(uint16_t sequence, uint32_t timestamp,
                                      std::span<const uint8_t> payload) noexcept {
  if (payload.size() > max_payload_) {
    filled_ = 0;
    return 0;
  }
  if (filled_ > 0 && sequence != next_) filled_ = 0;
  if (filled_ == 0) {
    base_ = sequence;
    longest_ = 0;
  }
  const std::size_t shard_stride = stride_ - kRepairHeaderSize;
  uint8_t* shard = &sources_[filled_ * shard_stride];
  rtp::WriteU32(shard, timestamp);
  rtp::WriteU16(shard + 4, static_cast<uint16_t>(payload.size()));
  if (!payload.empty()) std::memcpy(shard + kShardHeaderSize, payload.data(), payload.size());
  longest_ = std::max(longest_, kShardHeaderSize + payload.size());
  next_ = static_cast<uint16_t>(sequence + 1);
  if (++filled_ < k_) return 0;

  // Zero the padding of every shard up to the group's longest, then encode in place.
  std::array<const uint8_t*, ReedSolomon::kMaxShards> in{};
  std::array<uint8_t*, ReedSolomon::kMaxShards> out{};
  for (std::size_t j = 0; j < k_; ++j) {
    uint8_t* s = &sources_[j * shard_stride];
    const std::size_t used = kShardHeaderSize + rtp::ReadU16(s + 4);
    if (used < longest_) std::memset(s + used, 0, longest_ - used);
    in[j] = s;
  }
  for (std::size_t i = 0; i < m_; ++i) {
    uint8_t* r = &repairs_[i * stride_];
    rtp::WriteU16(r, base_);
    r[2] = static_cast<uint8_t>(k_);
    r[3] = static_cast<uint8_t>(m_);
    r[4] = static_cast<uint8_t>(i);
    r[5] = 0;
    out[i] = r + kRepairHeaderSize;
    repair_size_[i] = kRepairHeaderSize + longest_;
  }
  rs_.Encode(in.data(), out.data(), longest_);
  filled_ = 0;
  return m_;
}

std::span<const uint8_t> FecGroupEncoder::Repair(std::size_t index) const noexcept {
  if (index >= m_) return {};
  return std::span<const uint8_t>(&repairs_[index * stride_], repair_size_[index]);
}

}  // namespace cbcs::fec
