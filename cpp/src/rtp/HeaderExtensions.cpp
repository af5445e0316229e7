// RFC 8285 header extension elements. One-byte form: a byte of id (4 bits) and length - 1
// (4 bits), then the data; id 0 is padding, id 15 ends the block. Two-byte form: a byte of
// id, a byte of length (0 allowed), then the data; id 0 is padding.
#include "cbcs/rtp/HeaderExtensions.hpp"

#include <cstring>

namespace cbcs::rtp {

std::optional<std::span<const uint8_t>> FindExtension(uint16_t profile,
                                                      std::span<const uint8_t> block,
                                                      uint8_t id) noexcept {
  const bool one_byte = profile == kOneByteProfile;
  const bool two_byte = (profile & 0xFFF0) == 0x1000;
  if ((!one_byte && !two_byte) || id == 0) return std::nullopt;
  std::size_t pos = 0;
  while (pos < block.size()) {
    const uint8_t first = block[pos];
    if (first == 0) {  // padding between elements
      ++pos;
      continue;
    }
    uint8_t element_id = 0;
    std::size_t length = 0;
    if (one_byte) {
      element_id = first >> 4;
      if (element_id == 15) return std::nullopt;  // the rest of the block is not to be read
      length = static_cast<std::size_t>(first & 0x0F) + 1;
      pos += 1;
    } else {
      if (pos + 2 > block.size()) return std::nullopt;
      element_id = first;
      length = block[pos + 1];
      pos += 2;
    }
    if (pos + length > block.size()) return std::nullopt;
    if (element_id == id) return block.subspan(pos, length);
    pos += length;
  }
  return std::nullopt;
}

std::size_t BuildOneByteExtensions(std::span<const ExtensionElement> elements,
                                   std::span<uint8_t> out) noexcept {
  std::size_t size = 0;
  for (const auto& e : elements) {
    if (e.id < 1 || e.id > 14 || e.data.empty() || e.data.size() > 16) return 0;
    size += 1 + e.data.size();
  }
  const std::size_t padded = (size + 3) / 4 * 4;
  if (padded > out.size()) return 0;
  std::size_t pos = 0;
  for (const auto& e : elements) {
    out[pos++] = static_cast<uint8_t>(e.id << 4 | (e.data.size() - 1));
    std::memcpy(out.data() + pos, e.data.data(), e.data.size());
    pos += e.data.size();
  }
  std::memset(out.data() + pos, 0, padded - pos);
  return padded;
}

}  // namespace cbcs::rtp
