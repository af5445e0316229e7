// ULPFEC (RFC 5109) XOR parity over RTP packets: headers, build and single-loss recovery.
#include "cbcs/rtp/Ulpfec.hpp"

#include <algorithm>
#include <cstring>

#include "cbcs/common/Sequence.hpp"
#include "cbcs/rtp/ByteIo.hpp"

namespace cbcs::rtp {
namespace {

std::size_t ProtectedLength(const RtpPacket& p) noexcept {
  return p.Bytes().size() - RtpPacket::kFixedHeaderSize;
}

}  // namespace

bool UlpfecHeader::Protects(uint16_t sequence) const noexcept {
  const auto offset = static_cast<uint16_t>(sequence - sequence_base);
  return offset < (long_mask ? 48 : 16) && ((mask >> offset) & 1u);
}

UlpfecStatus Ulpfec::Parse(std::span<const uint8_t> fec_payload, UlpfecHeader& out) noexcept {
  const uint8_t* p = fec_payload.data();
  if (fec_payload.size() < kFecHeaderSize + 4) return UlpfecStatus::kTooShort;
  if (p[0] & 0x80) return UlpfecStatus::kUnsupported;
  UlpfecHeader h;
  h.long_mask = (p[0] & 0x40) != 0;
  h.recovery_byte0 = p[0] & 0x3f;
  h.recovery_byte1 = p[1];
  h.sequence_base = ReadU16(p + 2);
  h.timestamp_recovery = ReadU32(p + 4);
  h.length_recovery = ReadU16(p + 8);
  const std::size_t level_header = h.long_mask ? 8 : 4;
  if (fec_payload.size() < kFecHeaderSize + level_header) return UlpfecStatus::kTooShort;
  h.protection_length = ReadU16(p + kFecHeaderSize);
  const std::size_t mask_bits = h.long_mask ? 48 : 16;
  uint64_t wire_mask = 0;  // MSB first on the wire: its first bit is the base
  for (std::size_t i = 0; i < mask_bits / 8; ++i) wire_mask = (wire_mask << 8) | p[kFecHeaderSize + 2 + i];
  for (std::size_t i = 0; i < mask_bits; ++i) {
    if ((wire_mask >> (mask_bits - 1 - i)) & 1u) h.mask |= uint64_t{1} << i;
  }
  const std::size_t start = kFecHeaderSize + level_header;
  if (fec_payload.size() - start < h.protection_length) return UlpfecStatus::kTooShort;
  h.payload = fec_payload.subspan(start, h.protection_length);
  out = h;
  return UlpfecStatus::kOk;
}

std::size_t Ulpfec::BuildSize(std::span<const RtpPacket> packets) noexcept {
  if (packets.empty()) return 0;
  std::size_t longest = 0;
  bool long_mask = false;
  for (const RtpPacket& p : packets) {
    longest = std::max(longest, ProtectedLength(p));
    if (SeqDelta(packets[0].Sequence(), p.Sequence()) >= 16) long_mask = true;
  }
  return kFecHeaderSize + (long_mask ? 8 : 4) + longest;
}

UlpfecStatus Ulpfec::Build(std::span<const RtpPacket> packets, std::span<uint8_t> out,
                           std::size_t& size) noexcept {
  size = 0;
  if (packets.empty() || packets.size() > kMaxProtected) return UlpfecStatus::kBadInput;
  const uint16_t base = packets[0].Sequence();
  uint64_t mask = 0;
  std::size_t longest = 0;
  for (const RtpPacket& p : packets) {
    const int32_t offset = SeqDelta(base, p.Sequence());
    if (offset < 0 || offset >= static_cast<int32_t>(kMaxProtected)) return UlpfecStatus::kBadInput;
    if (ProtectedLength(p) > 0xffff) return UlpfecStatus::kBadInput;
    mask |= uint64_t{1} << offset;
    longest = std::max(longest, ProtectedLength(p));
  }
  const bool long_mask = mask >> 16 != 0;
  const std::size_t level_header = long_mask ? 8 : 4;
  const std::size_t total = kFecHeaderSize + level_header + longest;
  if (out.size() < total) return UlpfecStatus::kBufferTooSmall;
  uint8_t* o = out.data();
  std::memset(o, 0, total);
  uint8_t b0 = 0, b1 = 0;
  uint32_t ts = 0;
  uint16_t len = 0;
  uint8_t* xor_out = o + kFecHeaderSize + level_header;
  for (const RtpPacket& p : packets) {
    const uint8_t* bytes = p.Bytes().data();
    b0 ^= bytes[0];
    b1 ^= bytes[1];
    ts ^= p.Timestamp();
    len = static_cast<uint16_t>(len ^ ProtectedLength(p));
    const uint8_t* src = bytes + RtpPacket::kFixedHeaderSize;
    for (std::size_t i = 0, n = ProtectedLength(p); i < n; ++i) xor_out[i] ^= src[i];
  }
  o[0] = static_cast<uint8_t>((long_mask ? 0x40 : 0) | (b0 & 0x3f));
  o[1] = b1;
  WriteU16(o + 2, base);
  WriteU32(o + 4, ts);
  WriteU16(o + 8, len);
  WriteU16(o + kFecHeaderSize, static_cast<uint16_t>(longest));
  const std::size_t mask_bits = long_mask ? 48 : 16;
  uint64_t wire_mask = 0;
  for (std::size_t i = 0; i < mask_bits; ++i) {
    if ((mask >> i) & 1u) wire_mask |= uint64_t{1} << (mask_bits - 1 - i);
  }
  for (std::size_t i = 0; i < mask_bits / 8; ++i) {
    o[kFecHeaderSize + 2 + i] = static_cast<uint8_t>(wire_mask >> (mask_bits - 8 * (i + 1)));
  }
  size = total;
  return UlpfecStatus::kOk;
}

UlpfecStatus Ulpfec::Recover(const UlpfecHeader& fec, std::span<const RtpPacket> present,
                             uint32_t ssrc, std::span<uint8_t> out, std::size_t& size) noexcept {
  size = 0;
  uint64_t seen = 0;
  uint8_t b0 = fec.recovery_byte0, b1 = fec.recovery_byte1;
  uint32_t ts = fec.timestamp_recovery;
  uint16_t len = fec.length_recovery;
  for (const RtpPacket& p : present) {
    if (!fec.Protects(p.Sequence())) continue;
    const auto offset = static_cast<uint16_t>(p.Sequence() - fec.sequence_base);
    if ((seen >> offset) & 1u) continue;  // a duplicate must not be XORed twice
    seen |= uint64_t{1} << offset;
    b0 ^= p.Bytes()[0];
    b1 ^= p.Bytes()[1];
    ts ^= p.Timestamp();
    len = static_cast<uint16_t>(len ^ ProtectedLength(p));
  }
  const uint64_t missing = fec.mask & ~seen;
  if (missing == 0 || (missing & (missing - 1)) != 0) return UlpfecStatus::kNotRecoverable;
  if (len > fec.protection_length) return UlpfecStatus::kNotRecoverable;
  const std::size_t total = RtpPacket::kFixedHeaderSize + len;
  if (out.size() < total) return UlpfecStatus::kBufferTooSmall;
  uint8_t* o = out.data();
  std::memcpy(o + RtpPacket::kFixedHeaderSize, fec.payload.data(), len);
  seen = 0;
  for (const RtpPacket& p : present) {
    if (!fec.Protects(p.Sequence())) continue;
    const auto offset = static_cast<uint16_t>(p.Sequence() - fec.sequence_base);
    if ((seen >> offset) & 1u) continue;
    seen |= uint64_t{1} << offset;
    const uint8_t* src = p.Bytes().data() + RtpPacket::kFixedHeaderSize;
    const std::size_t n = std::min<std::size_t>(len, ProtectedLength(p));
    for (std::size_t i = 0; i < n; ++i) o[RtpPacket::kFixedHeaderSize + i] ^= src[i];
  }
  o[0] = static_cast<uint8_t>(0x80 | (b0 & 0x3f));
  o[1] = b1;
  WriteU16(o + 2, static_cast<uint16_t>(fec.sequence_base + __builtin_ctzll(missing)));
  WriteU32(o + 4, ts);
  WriteU32(o + 8, ssrc);
  size = total;
  return UlpfecStatus::kOk;
}

}  // namespace cbcs::rtp
