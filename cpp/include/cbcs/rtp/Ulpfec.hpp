// Generic FEC for RTP (ULPFEC, RFC 5109), one protection level: build, parse and recover.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "cbcs/rtp/RtpPacket.hpp"

namespace cbcs::rtp {

enum class UlpfecStatus {
  kOk,
  kTooShort,        // FEC payload shorter than its headers or protection length says
  kUnsupported,     // E bit set (extension) is reserved in RFC 5109
  kBadInput,        // build: no packets, packets > 48 apart, or too long a packet
  kNotRecoverable,  // recover: not exactly one protected packet missing, or bad length
  kBufferTooSmall,
};

struct UlpfecHeader {
  bool long_mask = false;       // L: 48-bit mask instead of 16
  uint8_t recovery_byte0 = 0;   // P, X, CC bits XORed (low 6 bits)
  uint8_t recovery_byte1 = 0;   // M and PT XORed
  uint16_t sequence_base = 0;
  uint32_t timestamp_recovery = 0;
  uint16_t length_recovery = 0;
  uint16_t protection_length = 0;
  uint64_t mask = 0;            // bit i set: sequence_base + i is protected
  std::span<const uint8_t> payload{};  // protection_length XORed bytes

  bool Protects(uint16_t sequence) const noexcept;
};

// The FEC payload is: 10-byte FEC header | 4- or 8-byte level-0 header | XOR of the
// protected packets' bytes after their 12-byte fixed header (CSRCs, extension, payload and
// padding), zero-extended to the longest. RFC 5109 section 7 defines the "bit string" each
// packet contributes; Recover runs it backwards.
class Ulpfec {
 public:
  static constexpr std::size_t kFecHeaderSize = 10;
  static constexpr std::size_t kMaxProtected = 48;

  static UlpfecStatus Parse(std::span<const uint8_t> fec_payload, UlpfecHeader& out) noexcept;

  static std::size_t BuildSize(std::span<const RtpPacket> packets) noexcept;
  // Protects `packets` (one SSRC; sequence numbers within 48 of the first, which becomes
  // the base). Writes the FEC payload (to be sent in an RTP packet of the FEC payload type)
  // and sets `size`.
  static UlpfecStatus Build(std::span<const RtpPacket> packets, std::span<uint8_t> out,
                            std::size_t& size) noexcept;

  // Rebuilds the single missing protected packet from the FEC header and the others
  // (`present` may contain unrelated packets; they are ignored). Writes a full RTP packet
  // with the given SSRC and sets `size`.
  static UlpfecStatus Recover(const UlpfecHeader& fec, std::span<const RtpPacket> present,
                              uint32_t ssrc, std::span<uint8_t> out, std::size_t& size) noexcept;
};

}  // namespace cbcs::rtp
