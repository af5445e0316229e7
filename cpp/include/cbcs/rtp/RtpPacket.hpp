// RTP packet (RFC 3550): a zero-copy view that parses, and a builder that writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace cbcs::rtp {

enum class RtpParseStatus {
  kOk,
  kTooShort,        // fewer than 12 bytes, or CSRC/extension/padding beyond the end
  kBadVersion,      // version is not 2
  kBadPadding,      // padding count 0 or larger than what follows the header
};

// Fields a sender chooses; everything else (lengths, flags) follows from them.
struct RtpHeader {
  bool marker = false;
  uint8_t payload_type = 0;  // 7 bits
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  std::span<const uint32_t> csrcs{};  // at most 15
  bool has_extension = false;
  uint16_t extension_profile = 0;          // e.g. 0xBEDE (RFC 8285 one-byte)
  std::span<const uint8_t> extension{};    // extension data, a multiple of 4 bytes
};

class RtpPacket {
 public:
  static constexpr std::size_t kFixedHeaderSize = 12;

  // Parses `bytes` without copying: the view points into them and lives as long as they do.
  static RtpParseStatus Parse(std::span<const uint8_t> bytes, RtpPacket& out) noexcept;

  // Bytes Build needs for this header, payload and padding.
  static std::size_t BuildSize(const RtpHeader& header, std::size_t payload_size,
                               uint8_t padding = 0) noexcept;
  // Writes the packet into `out`; returns its size, or 0 when the header is invalid (more
  // than 15 CSRCs, extension not a multiple of 4 or over 262140 bytes, payload type > 127)
  // or `out` is too small. `padding` adds that many bytes (RFC 3550 5.1: last byte = count).
  static std::size_t Build(const RtpHeader& header, std::span<const uint8_t> payload,
                           std::span<uint8_t> out, uint8_t padding = 0) noexcept;

  bool Marker() const noexcept { return marker_; }
  uint8_t PayloadType() const noexcept { return payload_type_; }
  uint16_t Sequence() const noexcept { return sequence_; }
  uint32_t Timestamp() const noexcept { return timestamp_; }
  uint32_t Ssrc() const noexcept { return ssrc_; }
  std::size_t CsrcCount() const noexcept { return csrc_count_; }
  uint32_t Csrc(std::size_t i) const noexcept;
  bool HasExtension() const noexcept { return has_extension_; }
  uint16_t ExtensionProfile() const noexcept { return extension_profile_; }
  std::span<const uint8_t> Extension() const noexcept { return extension_; }
  std::span<const uint8_t> Payload() const noexcept { return payload_; }
  std::size_t PaddingSize() const noexcept { return padding_; }
  std::size_t HeaderSize() const noexcept { return header_size_; }
  // The whole packet as parsed (header, payload and padding).
  std::span<const uint8_t> Bytes() const noexcept { return bytes_; }

 private:
  std::span<const uint8_t> bytes_{};
  std::span<const uint8_t> extension_{};
  std::span<const uint8_t> payload_{};
  std::size_t header_size_ = 0;
  std::size_t padding_ = 0;
  std::size_t csrc_count_ = 0;
  uint32_t timestamp_ = 0;
  uint32_t ssrc_ = 0;
  uint16_t sequence_ = 0;
  uint16_t extension_profile_ = 0;
  uint8_t payload_type_ = 0;
  bool marker_ = false;
  bool has_extension_ = false;
};

}  // namespace cbcs::rtp
