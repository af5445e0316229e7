// The receive side of a call's audio: decrypted Opus (or RED-wrapped Opus) RTP in, decoded
// and recovered audio into the jitter buffer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "cbcs/codec/Opus.hpp"
#include "cbcs/jitter/JitterBuffer.hpp"
#include "cbcs/rtc/SequenceGuard.hpp"

namespace cbcs::rtc {

struct AudioReceiveConfig {
  int opus_pt = -1;          // -1: any payload type that is not RED is Opus
  int red_pt = -1;           // -1: no RED negotiated
  int transport_cc_id = -1;  // one-byte header extension id, -1: none
};

// RFC 3550 A.3 / A.8 receive statistics and what recovery did.
struct AudioReceiveCounters {
  int64_t packets_received = 0;
  int64_t packets_duplicate = 0;
  int64_t bytes_received = 0;  // payload bytes
  int64_t recovered_fec = 0;   // from Opus in-band FEC (LBRR)
  int64_t recovered_red = 0;   // from RED's earlier blocks
  int64_t malformed = 0;
  int64_t padding = 0;         // payload-less packets (bandwidth probes)
  int64_t decode_errors = 0;   // primary payloads libopus rejected
  double jitter_ms = 0.0;      // interarrival jitter
};

// What OnPacket learned from one packet.
struct AudioPacketInfo {
  bool parsed = false;             // false: not RTP at all (counted as malformed)
  bool accepted = false;           // passed the sequence guard
  uint32_t ssrc = 0;
  std::optional<uint16_t> transport_seq;  // transport-wide sequence number, when present
};

// Per packet: sequence guard, 16-bit unwrap, duplicate check, RED split, in-band FEC of the
// packet before each block, decode, JitterBuffer::Put. Recovered packets are given their
// carrier's usable time moved back by the audio between them, so redundancy does not look
// like network delay to the buffer (NetEq keeps redundant data out of its estimate too).
// Never throws and allocates nothing per packet; the jitter buffer must outlive it.
class AudioReceiver {
 public:
  AudioReceiver(jitter::JitterBuffer& buffer, const AudioReceiveConfig& config);

  // One whole decrypted RTP packet, usable from `usable_ms` (the buffer's clock).
  AudioPacketInfo OnPacket(std::span<const uint8_t> packet, double usable_ms) noexcept;
  // One already parsed packet; false when the sequence guard held it back.
  bool OnPayload(uint16_t seq, uint32_t timestamp, int payload_type,
                 std::span<const uint8_t> payload, double usable_ms) noexcept;

  const AudioReceiveCounters& Counters() const noexcept { return counters_; }
  const SequenceGuard& Guard() const noexcept { return guard_; }
  // Extended sequence numbers: the first and the highest seen (RFC 3550 A.3).
  std::optional<int64_t> BaseSeq() const noexcept { return base_; }
  int64_t HighestSeq() const noexcept { return highest_; }
  // The extended sequence number `seq` would get next to the highest seen, without taking
  // it; `seq` itself before any packet.
  int64_t Extend(uint16_t seq) const noexcept {
    return base_ ? highest_ + static_cast<int16_t>(static_cast<uint16_t>(seq - highest_)) : seq;
  }
  int64_t Expected() const noexcept { return base_ ? highest_ - *base_ + 1 : 0; }

 private:
  static constexpr int kMaxRedBlocks = 17;
  static constexpr std::size_t kHaveWindow = 1024;  // duplicate detection, in packets

  void Receive(uint16_t seq, uint32_t timestamp, int payload_type,
               std::span<const uint8_t> payload, double usable_ms) noexcept;
  int64_t Unwrap(uint16_t seq) noexcept;
  bool Have(int64_t ext) const noexcept { return have_[ext & (kHaveWindow - 1)] == ext; }
  void Put(int64_t ext, uint32_t timestamp, int samples, double usable_ms) noexcept;
  void Jitter(uint32_t timestamp, double usable_ms) noexcept;

  jitter::JitterBuffer& buffer_;
  AudioReceiveConfig config_;
  codec::VoiceDecoder decoder_;
  SequenceGuard guard_;
  AudioReceiveCounters counters_;
  std::optional<int64_t> base_;
  int64_t highest_ = 0;
  std::array<int64_t, kHaveWindow> have_;
  std::optional<double> last_transit_;
  std::array<int16_t, codec::kOpusMaxFrameSamples> pcm_{};
};

}  // namespace cbcs::rtc
