// RTCP transport-wide congestion control feedback (RTPFB, FMT 15): parse and build, byte for
// byte as draft-holmer-rmcat-transport-wide-cc-extensions-01 and Chrome (libwebrtc) use it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace cbcs::cc {

// Outcome of a parse or build step. Per-packet calls report these instead of throwing.
enum class FeedbackStatus : uint8_t {
  kOk,
  kTooShort,              // fewer bytes than the fixed header, or than the length field says
  kNotTransportFeedback,  // not V=2, PT=205 (RTPFB), FMT=15
  kBadPadding,            // P bit set with a padding count of 0 or larger than the payload
  kEmpty,                 // packet status count 0 (Chrome rejects these too)
  kTruncated,             // chunks or receive deltas run past the end of the packet
  kReservedSymbol,        // status symbol 11, reserved by the draft and rejected by Chrome
  kTooManyPackets,        // more statuses than this object was sized for
  kOutOfOrder,            // build: sequence number not newer than the last one added
  kDeltaTooLarge,         // build: receive delta outside +-8191.75 ms, needs a new feedback
  kBufferTooSmall,        // build: output span shorter than SerializedSize()
};

const char* ToString(FeedbackStatus status) noexcept;

class TransportFeedback {
 public:
  // Packet status symbols (draft 3.1.1); the value is also the receive delta size in bytes.
  enum Symbol : uint8_t { kNotReceived = 0, kSmallDelta = 1, kLargeDelta = 2 };

  static constexpr int64_t kDeltaTickUs = 250;                    // receive delta unit
  static constexpr int64_t kReferenceTickUs = 64'000;             // reference time unit
  static constexpr int64_t kReferenceWrapUs = kReferenceTickUs << 24;
  static constexpr size_t kHeaderBytes = 20;                      // RTCP + FB + transport-cc fields
  static constexpr size_t kMaxStatusCount = 0xFFFF;               // 16-bit packet status count
  static constexpr size_t kMaxBuildPackets = 0x7FFF;              // as libwebrtc's builder

  // Sized once for up to max_packets statuses; throws ConfigError outside [1, 65535].
  explicit TransportFeedback(size_t max_packets = kMaxStatusCount);

  // ---- building (receiver side) ----
  // Starts a new feedback: base_seq is the first status reported; the reference time is
  // reference_time_us rounded down to 64 ms (24 bits, wrapping), and the first receive delta is
  // relative to it.
  void Reset(uint32_t sender_ssrc, uint32_t media_ssrc, uint16_t base_seq, int64_t reference_time_us,
             uint8_t feedback_count) noexcept;
  // Reports seq as received at arrival_us; sequence numbers skipped since the last call are
  // reported as not received. Deltas are rounded to 250 us without accumulating error.
  FeedbackStatus AddReceivedPacket(uint16_t seq, int64_t arrival_us) noexcept;
  // Bytes Serialize() writes: header, chunks, deltas and padding to a 32-bit boundary.
  size_t SerializedSize() const noexcept;
  // Writes the RTCP packet; returns the bytes written, 0 when out is too small or nothing was added.
  size_t Serialize(std::span<uint8_t> out) const noexcept;

  // ---- parsing (sender side) ----
  // Parses the RTCP packet at the start of data (trailing bytes, e.g. the rest of a compound
  // packet, are left alone: packet_size() says how far this one went).
  FeedbackStatus Parse(std::span<const uint8_t> data) noexcept;

  // ---- contents ----
  uint32_t sender_ssrc() const noexcept { return sender_ssrc_; }
  uint32_t media_ssrc() const noexcept { return media_ssrc_; }
  uint16_t base_seq() const noexcept { return base_seq_; }
  size_t status_count() const noexcept { return count_; }
  uint8_t feedback_count() const noexcept { return fb_count_; }
  // Reference time as libwebrtc reads it: a signed 24-bit count of 64 ms ticks.
  int32_t reference_ticks() const noexcept { return reference_ticks_; }
  int64_t BaseTimeUs() const noexcept { return int64_t{reference_ticks_} * kReferenceTickUs; }
  // False when the packet carried statuses but no receive deltas (transport-cc-02 style).
  bool has_timestamps() const noexcept { return has_timestamps_; }
  size_t packet_size() const noexcept { return packet_size_; }
  Symbol symbol(size_t i) const noexcept { return static_cast<Symbol>(symbols_[i]); }
  bool received(size_t i) const noexcept { return symbols_[i] != kNotReceived; }
  int16_t delta_ticks(size_t i) const noexcept { return deltas_[i]; }

  // Calls fn(seq, received, arrival_us) for every status in order; arrival_us is BaseTimeUs()
  // plus the running sum of receive deltas (0 for packets not received).
  template <typename Fn>
  void ForEachPacket(Fn&& fn) const {
    int64_t t = BaseTimeUs();
    for (size_t i = 0; i < count_; ++i) {
      const uint16_t seq = static_cast<uint16_t>(base_seq_ + i);
      if (symbols_[i] == kNotReceived) {
        fn(seq, false, int64_t{0});
      } else {
        t += int64_t{deltas_[i]} * kDeltaTickUs;
        fn(seq, true, t);
      }
    }
  }

 private:
  size_t ChunkCount() const noexcept;
  template <typename Sink>
  void EncodeChunks(Sink&& sink) const noexcept;

  std::vector<uint8_t> symbols_;  // one per status, sized once
  std::vector<int16_t> deltas_;   // receive delta in 250 us ticks (received packets only)
  size_t capacity_;
  size_t count_ = 0;
  size_t delta_bytes_ = 0;
  uint32_t sender_ssrc_ = 0;
  uint32_t media_ssrc_ = 0;
  uint16_t base_seq_ = 0;
  uint8_t fb_count_ = 0;
  int32_t reference_ticks_ = 0;
  int64_t last_time_us_ = 0;  // builder: reference time + sum of quantised deltas so far
  bool has_timestamps_ = true;
  size_t packet_size_ = 0;
};

}  // namespace cbcs::cc
