// Sender side of packet-level Reed-Solomon: m repair payloads per group of k media frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cbcs/fec/ReedSolomon.hpp"

namespace cbcs::fec {

// Wire format of a repair payload (carried in RTP with its own payload type):
//   base sequence (16) | k (8) | m (8) | index (8, 0..m-1) | reserved (8) | RS shard
// Source shard j of a group is [timestamp (32) | length (16) | payload | zero padding] for
// the frame with sequence base + j, padded to the longest frame of the group; the repair
// shards are the Reed-Solomon parity of those k shards, so any k of the k + m packets give
// back every frame with its timestamp and exact length.
class FecGroupEncoder {
 public:
  static constexpr std::size_t kRepairHeaderSize = 6;
  static constexpr std::size_t kShardHeaderSize = 6;

  FecGroupEncoder(std::size_t k, std::size_t m, std::size_t max_payload);

  // Adds the next media frame. Returns m when this frame completes a group (repairs are
  // then available through Repair(i) until the next call), else 0. A sequence gap or a
  // too-long frame restarts the group (the frames before it stay unprotected).
  std::size_t AddFrame(uint16_t sequence, uint32_t timestamp,
                       std::span<const uint8_t> payload) noexcept;
  std::span<const uint8_t> Repair(std::size_t index) const noexcept;

  std::size_t K() const noexcept { return k_; }
  std::size_t M() const noexcept { return m_; }

 private:
  std::size_t k_, m_, max_payload_;
  ReedSolomon rs_;
  std::size_t stride_;            // repair header + longest possible shard
  std::vector<uint8_t> sources_;  // k shards of stride_ - kRepairHeaderSize bytes
  std::vector<uint8_t> repairs_;  // m payloads of stride_ bytes
  std::vector<std::size_t> repair_size_;
  std::size_t filled_ = 0;
  std::size_t longest_ = 0;
  uint16_t base_ = 0;
  uint16_t next_ = 0;
};

}  // namespace cbcs::fec
