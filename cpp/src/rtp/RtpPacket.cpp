// RTP fixed header, CSRC list, header extension and padding (RFC 3550 5.1, 5.3.1).
#include "cbcs/rtp/RtpPacket.hpp"

#include <cstring>

#include "cbcs/rtp/ByteIo.hpp"

namespace cbcs::rtp {

RtpParseStatus RtpPacket::Parse(std::span<const uint8_t> bytes, RtpPacket& out) noexcept {
  if (bytes.size() < kFixedHeaderSize) return RtpParseStatus::kTooShort;
  const uint8_t* p = bytes.data();
  if ((p[0] >> 6) != 2) return RtpParseStatus::kBadVersion;
  RtpPacket pkt;
  const bool has_padding = (p[0] & 0x20) != 0;
  pkt.has_extension_ = (p[0] & 0x10) != 0;
  pkt.csrc_count_ = p[0] & 0x0f;
  pkt.marker_ = (p[1] & 0x80) != 0;
  pkt.payload_type_ = p[1] & 0x7f;
  pkt.sequence_ = ReadU16(p + 2);
  pkt.timestamp_ = ReadU32(p + 4);
  pkt.ssrc_ = ReadU32(p + 8);
  std::size_t pos = kFixedHeaderSize + 4 * pkt.csrc_count_;
  if (pos > bytes.size()) return RtpParseStatus::kTooShort;
  if (pkt.has_extension_) {
    if (pos + 4 > bytes.size()) return RtpParseStatus::kTooShort;
    pkt.extension_profile_ = ReadU16(p + pos);
    const std::size_t ext_len = 4 * std::size_t{ReadU16(p + pos + 2)};
    pos += 4;
    if (pos + ext_len > bytes.size()) return RtpParseStatus::kTooShort;
    pkt.extension_ = bytes.subspan(pos, ext_len);
    pos += ext_len;
  }
  std::size_t end = bytes.size();
  if (has_padding) {
    const std::size_t pad = p[bytes.size() - 1];
    if (pad == 0 || pad > bytes.size() - pos) return RtpParseStatus::kBadPadding;
    pkt.padding_ = pad;
    end -= pad;
  }
  pkt.header_size_ = pos;
  pkt.payload_ = bytes.subspan(pos, end - pos);
  pkt.bytes_ = bytes;
  out = pkt;
  return RtpParseStatus::kOk;
}

uint32_t RtpPacket::Csrc(std::size_t i) const noexcept {
  if (i >= csrc_count_) return 0;
  return ReadU32(bytes_.data() + kFixedHeaderSize + 4 * i);
}

std::size_t RtpPacket::BuildSize(const RtpHeader& h, std::size_t payload_size,
                                 uint8_t padding) noexcept {
  return kFixedHeaderSize + 4 * h.csrcs.size() + (h.has_extension ? 4 + h.extension.size() : 0) +
         payload_size + padding;
}

std::size_t RtpPacket::Build(const RtpHeader& h, std::span<const uint8_t> payload,
                             std::span<uint8_t> out, uint8_t padding) noexcept {
  if (h.csrcs.size() > 15 || h.payload_type > 127) return 0;
  if (h.has_extension && (h.extension.size() % 4 != 0 || h.extension.size() / 4 > 0xffff)) {
    return 0;
  }
  const std::size_t size = BuildSize(h, payload.size(), padding);
  if (out.size() < size) return 0;
  uint8_t* p = out.data();
  p[0] = static_cast<uint8_t>(0x80 | (padding ? 0x20 : 0) | (h.has_extension ? 0x10 : 0) |
                              h.csrcs.size());
  p[1] = static_cast<uint8_t>((h.marker ? 0x80 : 0) | h.payload_type);
  WriteU16(p + 2, h.sequence);
  WriteU32(p + 4, h.timestamp);
  WriteU32(p + 8, h.ssrc);
  std::size_t pos = kFixedHeaderSize;
  for (uint32_t csrc : h.csrcs) {
    WriteU32(p + pos, csrc);
    pos += 4;
  }
  if (h.has_extension) {
    WriteU16(p + pos, h.extension_profile);
    WriteU16(p + pos + 2, static_cast<uint16_t>(h.extension.size() / 4));
    pos += 4;
    if (!h.extension.empty()) std::memcpy(p + pos, h.extension.data(), h.extension.size());
    pos += h.extension.size();
  }
  if (!payload.empty()) std::memmove(p + pos, payload.data(), payload.size());
  pos += payload.size();
  if (padding) {
    std::memset(p + pos, 0, padding);
    p[pos + padding - 1] = padding;
    pos += padding;
  }
  return pos;
}

}  // namespace cbcs::rtp
