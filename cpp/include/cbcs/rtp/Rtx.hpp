// RTP retransmission payload format (RFC 4588): wrap a packet for resend, unwrap on receipt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "cbcs/rtp/RtpPacket.hpp"

namespace cbcs::rtp {

// An RTX packet keeps the original header's timestamp, marker, CSRCs and extension, but
// carries the RTX stream's SSRC, payload type and sequence number; its payload starts with
// the original sequence number (OSN, 2 bytes) followed by the original payload.
class Rtx {
 public:
  static std::size_t WrapSize(const RtpPacket& original) noexcept;
  // Returns bytes written, or 0 if `out` is too small or rtx_payload_type > 127.
  static std::size_t Wrap(const RtpPacket& original, uint8_t rtx_payload_type, uint32_t rtx_ssrc,
                          uint16_t rtx_sequence, std::span<uint8_t> out) noexcept;
  // Restores the original packet into `out`. Returns bytes written, or 0 when the RTX
  // payload has no OSN (shorter than 2 bytes) or `out` is too small.
  static std::size_t Unwrap(const RtpPacket& rtx, uint8_t original_payload_type,
                            uint32_t original_ssrc, std::span<uint8_t> out) noexcept;
};

}  // namespace cbcs::rtp
