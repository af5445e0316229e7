// RTP payload for redundant audio (RFC 2198), laid out as Chrome's `red/48000/2` sends it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace cbcs::rtp {

// One block of a RED payload. The primary block has timestamp_offset 0 and comes last.
struct RedBlock {
  uint8_t payload_type = 0;        // 7 bits
  uint32_t timestamp_offset = 0;   // 14 bits: primary timestamp minus this block's
  std::span<const uint8_t> data{};
};

enum class RedParseStatus {
  kOk,
  kTooShort,        // headers or block lengths run past the end
  kTooManyBlocks,   // more blocks than the caller's array holds
};

// RFC 2198 section 3: each redundant block has a 4-byte header
//   F=1 | block PT (7) | timestamp offset (14) | block length (10)
// and the primary block a 1-byte header F=0 | block PT; block data follows all headers in
// the same order. Chrome (libwebrtc's RED for Opus) puts the oldest redundancy first.
class RedPayload {
 public:
  static constexpr uint32_t kMaxTimestampOffset = (1u << 14) - 1;
  static constexpr std::size_t kMaxBlockLength = (1u << 10) - 1;

  // Fills blocks[0..count) (redundant blocks in wire order, then the primary) and sets
  // `count`. Views point into `payload`.
  static RedParseStatus Parse(std::span<const uint8_t> payload, std::span<RedBlock> blocks,
                              std::size_t& count) noexcept;

  // Size Build would write for these redundant blocks and primary.
  static std::size_t BuildSize(std::span<const RedBlock> redundant,
                               std::size_t primary_size) noexcept;
  // Writes redundant blocks (in the given order) then the primary. Returns the size, or 0
  // when a redundant block cannot be expressed (offset > 16383, length > 1023, PT > 127)
  // or `out` is too small.
  static std::size_t Build(std::span<const RedBlock> redundant, uint8_t primary_payload_type,
                           std::span<const uint8_t> primary, std::span<uint8_t> out) noexcept;
};

}  // namespace cbcs::rtp
