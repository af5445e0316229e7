// Generic NACK feedback messages: FCI packing of lost sequence numbers into PID + BLP.
#include "cbcs/rtp/RtcpNack.hpp"

#include "cbcs/rtp/ByteIo.hpp"

namespace cbcs::rtp {
namespace {

// Walks `lost` greedily: each entry takes a PID and the following numbers of the input
// that increase within PID+1..PID+16 into its bitmask. Calls emit(pid, blp).
template <typename Emit>
void PackEntries(std::span<const uint16_t> lost, Emit&& emit) {
  std::size_t i = 0;
  while (i < lost.size()) {
    const uint16_t pid = lost[i++];
    uint16_t blp = 0;
    uint16_t last = 0;
    while (i < lost.size()) {
      const auto diff = static_cast<uint16_t>(lost[i] - pid);
      // Only increasing numbers join the mask, so parsing gives back the input order.
      if (diff <= last || diff > 16) break;
      last = diff;
      blp = static_cast<uint16_t>(blp | (1u << (diff - 1)));
      ++i;
    }
    emit(pid, blp);
  }
}

}  // namespace

RtcpNackParseStatus RtcpNack::Parse(std::span<const uint8_t> bytes, std::span<uint16_t> lost,
                                    RtcpNackInfo& info) noexcept {
  info = RtcpNackInfo{};
  if (bytes.size() < 4) return RtcpNackParseStatus::kTooShort;
  const uint8_t* p = bytes.data();
  if ((p[0] >> 6) != 2) return RtcpNackParseStatus::kBadVersion;
  const std::size_t size = 4 * (std::size_t{ReadU16(p + 2)} + 1);
  if (size > bytes.size()) return RtcpNackParseStatus::kTooShort;
  info.packet_size = size;
  if (p[1] != kPayloadType || (p[0] & 0x1f) != kFormat) return RtcpNackParseStatus::kNotNack;
  if (size < 12) return RtcpNackParseStatus::kBadLength;
  std::size_t end = size;
  if (p[0] & 0x20) {  // padding: the last byte counts the padding octets
    const std::size_t pad = p[size - 1];
    if (pad == 0 || pad > size - 12) return RtcpNackParseStatus::kBadLength;
    end -= pad;
  }
  info.sender_ssrc = ReadU32(p + 4);
  info.media_ssrc = ReadU32(p + 8);
  std::size_t n = 0;
  for (std::size_t pos = 12; pos + 4 <= end; pos += 4) {
    const uint16_t pid = ReadU16(p + pos);
    const uint16_t blp = ReadU16(p + pos + 2);
    if (n >= lost.size()) return RtcpNackParseStatus::kTooManyLost;
    lost[n++] = pid;
    for (unsigned bit = 0; bit < 16; ++bit) {
      if (!(blp & (1u << bit))) continue;
      if (n >= lost.size()) return RtcpNackParseStatus::kTooManyLost;
      lost[n++] = static_cast<uint16_t>(pid + bit + 1);
    }
  }
  info.lost_count = n;
  return RtcpNackParseStatus::kOk;
}

std::size_t RtcpNack::BuildSize(std::span<const uint16_t> lost) noexcept {
  std::size_t entries = 0;
  PackEntries(lost, [&](uint16_t, uint16_t) { ++entries; });
  return 12 + 4 * entries;
}

std::size_t RtcpNack::Build(uint32_t sender_ssrc, uint32_t media_ssrc,
                            std::span<const uint16_t> lost, std::span<uint8_t> out) noexcept {
  if (lost.empty()) return 0;
  const std::size_t size = BuildSize(lost);
  if (out.size() < size || size / 4 - 1 > 0xffff) return 0;
  uint8_t* p = out.data();
  p[0] = 0x80 | kFormat;
  p[1] = kPayloadType;
  WriteU16(p + 2, static_cast<uint16_t>(size / 4 - 1));
  WriteU32(p + 4, sender_ssrc);
  WriteU32(p + 8, media_ssrc);
  std::size_t pos = 12;
  PackEntries(lost, [&](uint16_t pid, uint16_t blp) {
    WriteU16(p + pos, pid);
    WriteU16(p + pos + 2, blp);
    pos += 4;
  });
  return size;
}

}  // namespace cbcs::rtp
