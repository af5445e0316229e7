// RFC 2198 block headers: parse into views, build from blocks.
#include "cbcs/rtp/RedPayload.hpp"

#include <cstring>

#include "cbcs/rtp/ByteIo.hpp"

namespace cbcs::rtp {

RedParseStatus RedPayload::Parse(std::span<const uint8_t> payload, std::span<RedBlock> blocks,
                                 std::size_t& count) noexcept {
  count = 0;
  const uint8_t* p = payload.data();
  const std::size_t n = payload.size();
  // Pass 1: the headers (4 bytes while F is set, then the 1-byte primary header) give the
  // number of blocks and where the data starts.
  std::size_t headers = 0;
  std::size_t blocks_seen = 0;
  std::size_t data_total = 0;
  for (;;) {
    if (headers >= n) return RedParseStatus::kTooShort;
    ++blocks_seen;
    if ((p[headers] & 0x80) == 0) {
      ++headers;
      break;
    }
    if (headers + 4 > n) return RedParseStatus::kTooShort;
    data_total += ReadU24(p + headers + 1) & 0x3ff;
    headers += 4;
  }
  if (blocks_seen > blocks.size()) return RedParseStatus::kTooManyBlocks;
  if (data_total > n - headers) return RedParseStatus::kTooShort;
  // Pass 2: views into the data, in header order; the primary takes the rest.
  std::size_t data_pos = headers;
  for (std::size_t i = 0; i + 1 < blocks_seen; ++i) {
    const uint32_t word = ReadU24(p + 4 * i + 1);
    const std::size_t len = word & 0x3ff;
    blocks[i] = RedBlock{static_cast<uint8_t>(p[4 * i] & 0x7f), word >> 10,
                         payload.subspan(data_pos, len)};
    data_pos += len;
  }
  blocks[blocks_seen - 1] =
      RedBlock{static_cast<uint8_t>(p[headers - 1] & 0x7f), 0, payload.subspan(data_pos)};
  count = blocks_seen;
  return RedParseStatus::kOk;
}

std::size_t RedPayload::BuildSize(std::span<const RedBlock> redundant,
                                  std::size_t primary_size) noexcept {
  std::size_t size = 1 + primary_size;
  for (const RedBlock& b : redundant) size += 4 + b.data.size();
  return size;
}

std::size_t RedPayload::Build(std::span<const RedBlock> redundant, uint8_t primary_payload_type,
                              std::span<const uint8_t> primary, std::span<uint8_t> out) noexcept {
  if (primary_payload_type > 127) return 0;
  for (const RedBlock& b : redundant) {
    if (b.payload_type > 127 || b.timestamp_offset > kMaxTimestampOffset ||
        b.data.size() > kMaxBlockLength) {
      return 0;
    }
  }
  const std::size_t size = BuildSize(redundant, primary.size());
  if (out.size() < size) return 0;
  uint8_t* p = out.data();
  std::size_t pos = 0;
  for (const RedBlock& b : redundant) {
    p[pos] = static_cast<uint8_t>(0x80 | b.payload_type);
    const uint32_t word = (b.timestamp_offset << 10) | static_cast<uint32_t>(b.data.size());
    p[pos + 1] = static_cast<uint8_t>(word >> 16);
    p[pos + 2] = static_cast<uint8_t>(word >> 8);
    p[pos + 3] = static_cast<uint8_t>(word);
    pos += 4;
  }
  p[pos++] = primary_payload_type;
  for (const RedBlock& b : redundant) {
    if (!b.data.empty()) std::memmove(p + pos, b.data.data(), b.data.size());
    pos += b.data.size();
  }
  if (!primary.empty()) std::memmove(p + pos, primary.data(), primary.size());
  return pos + primary.size();
}

}  // namespace cbcs::rtp
