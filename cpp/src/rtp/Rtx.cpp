// RTX wrap/unwrap by rewriting the header fields and moving the OSN in or out of the payload.
#include "cbcs/rtp/Rtx.hpp"

#include <cstring>

#include "cbcs/rtp/ByteIo.hpp"

namespace cbcs::rtp {

std::size_t Rtx::WrapSize(const RtpPacket& original) noexcept {
  // Padding is dropped: it carried nothing and the RTX sender pads on its own terms.
  return original.HeaderSize() + 2 + original.Payload().size();
}

std::size_t Rtx::Wrap(const RtpPacket& original, uint8_t rtx_payload_type, uint32_t rtx_ssrc,
                      uint16_t rtx_sequence, std::span<uint8_t> out) noexcept {
  const std::size_t size = WrapSize(original);
  if (rtx_payload_type > 127 || out.size() < size) return 0;
  uint8_t* p = out.data();
  const std::size_t header = original.HeaderSize();
  std::memmove(p, original.Bytes().data(), header);
  // Move the payload first: `out` may be the original buffer grown in place.
  const auto payload = original.Payload();
  if (!payload.empty()) std::memmove(p + header + 2, payload.data(), payload.size());
  p[0] = static_cast<uint8_t>(p[0] & ~0x20);  // no padding
  p[1] = static_cast<uint8_t>((p[1] & 0x80) | rtx_payload_type);
  WriteU16(p + 2, rtx_sequence);
  WriteU32(p + 8, rtx_ssrc);
  WriteU16(p + header, original.Sequence());
  return size;
}

std::size_t Rtx::Unwrap(const RtpPacket& rtx, uint8_t original_payload_type,
                        uint32_t original_ssrc, std::span<uint8_t> out) noexcept {
  const auto payload = rtx.Payload();
  if (payload.size() < 2 || original_payload_type > 127) return 0;
  const std::size_t header = rtx.HeaderSize();
  const std::size_t size = header + payload.size() - 2;
  if (out.size() < size) return 0;
  uint8_t* p = out.data();
  const uint16_t osn = ReadU16(payload.data());
  std::memmove(p, rtx.Bytes().data(), header);
  std::memmove(p + header, payload.data() + 2, payload.size() - 2);
  p[0] = static_cast<uint8_t>(p[0] & ~0x20);
  p[1] = static_cast<uint8_t>((p[1] & 0x80) | original_payload_type);
  WriteU16(p + 2, osn);
  WriteU32(p + 8, original_ssrc);
  return size;
}

}  // namespace cbcs::rtp
