// RTCP transport-layer feedback: generic NACK (RFC 4585 6.2.1), parse and build.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace cbcs::rtp {

enum class RtcpNackParseStatus {
  kOk,
  kTooShort,      // header or declared length beyond the bytes
  kNotNack,       // a valid RTCP header, but not RTPFB (205) with FMT 1: skip PacketSize()
  kBadVersion,
  kBadLength,     // length shorter than the 12 bytes of sender + media SSRC
  kTooManyLost,   // more lost sequence numbers than the caller's array holds
};

struct RtcpNackInfo {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;
  std::size_t lost_count = 0;   // sequence numbers written to the caller's array
  std::size_t packet_size = 0;  // bytes of this RTCP packet (to walk a compound packet)
};

// Wire layout: V=2 P FMT=1 | PT=205 | length (32-bit words - 1) | sender SSRC | media SSRC |
// then FCI entries of PID (16) + BLP (16): bit i of BLP set means PID + i + 1 is lost too.
class RtcpNack {
 public:
  static constexpr uint8_t kPayloadType = 205;
  static constexpr uint8_t kFormat = 1;

  // Parses the first RTCP packet of `bytes`. Lost sequence numbers go to `lost` in FCI
  // order (PID, then its BLP bits low to high). For kNotNack/kOk, packet_size is set.
  static RtcpNackParseStatus Parse(std::span<const uint8_t> bytes, std::span<uint16_t> lost,
                                   RtcpNackInfo& info) noexcept;

  // Bytes needed for `lost` (in the order given; runs within 16 of a PID share an entry).
  static std::size_t BuildSize(std::span<const uint16_t> lost) noexcept;
  // Returns the size written, or 0 if `out` is too small or `lost` is empty.
  static std::size_t Build(uint32_t sender_ssrc, uint32_t media_ssrc,
                           std::span<const uint16_t> lost, std::span<uint8_t> out) noexcept;
};

}  // namespace cbcs::rtp
