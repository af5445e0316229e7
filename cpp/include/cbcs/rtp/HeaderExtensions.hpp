// RTP header extension elements (RFC 8285): finding one element by its id in the
// extension block of a packet, in the one-byte (profile 0xBEDE) and two-byte (0x100X) forms,
// and writing a block of one-byte elements.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace cbcs::rtp {

inline constexpr uint16_t kOneByteProfile = 0xBEDE;

struct ExtensionElement {
  uint8_t id = 0;                      // 1..14 in the one-byte form
  std::span<const uint8_t> data{};     // 1..16 bytes in the one-byte form
};

// The data of the element with `id` in `block` (a packet's extension bytes, after the
// profile and length words), or nullopt when it is absent, the profile is neither RFC 8285
// form, or the block is malformed before the element is reached. Never reads past `block`.
std::optional<std::span<const uint8_t>> FindExtension(uint16_t profile,
                                                      std::span<const uint8_t> block,
                                                      uint8_t id) noexcept;

// Writes `elements` in the one-byte form, zero-padded to a multiple of 4 bytes; returns the
// size, or 0 when an element cannot be encoded (id outside 1..14, data outside 1..16 bytes)
// or `out` is too small.
std::size_t BuildOneByteExtensions(std::span<const ExtensionElement> elements,
                                   std::span<uint8_t> out) noexcept;

}  // namespace cbcs::rtp
