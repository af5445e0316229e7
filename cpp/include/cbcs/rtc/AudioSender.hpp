// The send side of a call's audio: one 20 ms frame of PCM in, one RTP packet out (Opus,
// RED-wrapped when negotiated, with the header extensions a browser expects).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "cbcs/codec/Opus.hpp"

namespace cbcs::rtc {

struct AudioSendConfig {
  int payload_type = 111;  // Opus
  uint32_t ssrc = 0;
  uint16_t first_sequence = 0;
  uint32_t first_timestamp = 0;
};

// Next() encodes and frames a packet with the current sequence number; Sent() moves on once
// the packet is on its way, so a packet that could not be sent (no connection yet) leaves
// no gap. The RTP timestamp follows the audio clock whether or not a frame was sent.
// With RED (RFC 2198), each packet carries the previous `depth` Opus payloads too, the
// oldest first. Never throws and allocates nothing per packet; the encoder must outlive it.
class AudioSender {
 public:
  static constexpr int kMaxRedDepth = 8;
  static constexpr std::size_t kMaxPacket = 12 + 8 + 24 + (kMaxRedDepth + 1) * (4 + 1276);

  AudioSender(codec::VoiceEncoder& encoder, const AudioSendConfig& config) noexcept;

  // red_pt -1 turns RED off; depth is clamped to 1..kMaxRedDepth.
  void SetRed(int red_pt, int depth) noexcept;
  // The one-byte header extensions to add: the BUNDLE mid (ids -1: none) and the
  // transport-wide sequence number. False (and nothing changed) when they cannot be encoded.
  bool SetExtensions(int mid_id, std::span<const uint8_t> mid, int transport_cc_id) noexcept;

  // The next packet for this frame in `out` (at least kMaxPacket bytes); its size, or 0
  // when the encoder failed (counted) or `out` is too small.
  std::size_t Next(std::span<const int16_t, codec::kOpusFrameSamples> pcm,
                   uint16_t transport_seq, std::span<uint8_t> out) noexcept;
  // The same with the Opus payload of this frame already encoded (one encode of a mix
  // that several legs hear, each with its own sequence numbers, SSRC and RED history);
  // 0 (counted as an encode error) for an empty or oversized payload.
  std::size_t NextEncoded(std::span<const uint8_t> opus_payload, uint16_t transport_seq,
                          std::span<uint8_t> out) noexcept;
  void Sent() noexcept;

  uint32_t LastTimestamp() const noexcept { return last_timestamp_; }
  std::size_t LastPayloadSize() const noexcept { return last_payload_size_; }
  int64_t EncodeErrors() const noexcept { return encode_errors_; }

 private:
  struct Frame {
    uint32_t timestamp = 0;
    std::size_t size = 0;
    std::array<uint8_t, codec::kOpusMaxPacket> data{};
  };

  // Frames the newest payload of the ring (timestamp ts) into `out`.
  std::size_t Packetize(uint32_t ts, uint16_t transport_seq, std::span<uint8_t> out) noexcept;

  codec::VoiceEncoder& encoder_;
  AudioSendConfig config_;
  int red_pt_ = -1;
  int red_depth_ = 1;
  int mid_id_ = -1;
  std::array<uint8_t, 16> mid_{};
  std::size_t mid_size_ = 0;
  int transport_cc_id_ = -1;
  uint16_t sequence_;
  uint32_t next_timestamp_;
  uint32_t last_timestamp_ = 0;
  std::size_t last_payload_size_ = 0;
  bool first_ = true;  // the first packet sent carries the marker bit
  int64_t encode_errors_ = 0;
  std::array<Frame, kMaxRedDepth + 1> history_{};  // a ring of the latest payloads
  std::size_t frames_ = 0;                          // payloads ever put in the ring
};

}  // namespace cbcs::rtc
