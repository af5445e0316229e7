// Plain value types shared by the jitter buffer's parts: configuration, statuses, playout.
#pragma once

#include <array>
#include <cstdint>

namespace cbcs::jitter {

// What JitterBuffer::Put did with a packet. Per-packet calls never throw: they say this.
enum class PutStatus : uint8_t { kOk, kDuplicate, kLate, kInvalid, kOverflow };

// What one 10 ms block of playout is made of.
enum class PlayoutKind : uint8_t {
  kNormal,            // received audio, 10 ms in, 10 ms out
  kAccelerate,        // received audio compressed in time (more than 10 ms in)
  kPreemptiveExpand,  // received audio stretched in time (less than 10 ms in)
  kExpand,            // concealment continuing the last pitch period
  kMerge,             // concealment faded back into received audio
  kComfortNoise,      // concealment faded out into background noise (loss or DTX)
  kSilence,           // nothing received yet (or after a stream reset)
};
inline constexpr int kPlayoutKindCount = 7;

struct JitterConfig {
  int sample_rate = 16000;   // 8000, 16000 or 48000
  int min_delay_ms = 0;      // lower bound of the target buffering delay
  int max_delay_ms = 1000;   // upper bound: audio buffered beyond it is flushed
  // Target = this quantile of the relative arrival delay (forgetting with time constant
  // forget_ms). Packets later than the target are not lost: playout waits and catches up.
  double quantile = 0.98;
  double forget_ms = 2500.0;
  // Extra safety added to the quantile, in ms.
  double margin_ms = 0.0;
};

// Result of one Get(): pcm points into the buffer's own block, valid until the next Get().
struct Playout {
  const int16_t* pcm = nullptr;
  int samples = 0;              // sample_rate / 100
  bool has_timestamp = false;   // false when the block is pure concealment or silence
  uint32_t timestamp = 0;       // RTP timestamp of the first received sample played
  int source_samples = 0;       // RTP timestamp units of received audio consumed
  PlayoutKind kind = PlayoutKind::kSilence;
  double target_delay_ms = 0;   // buffering target (beyond the fastest packets)
};

struct JitterStats {
  double target_delay_ms = 0;
  double current_delay_ms = 0;
  uint64_t packets_received = 0;   // stored for playout (not duplicates or invalid ones)
  uint64_t late_packets = 0;       // arrived after their audio was played or concealed
  uint64_t lost_packets = 0;       // never arrived (from sequence numbers)
  uint64_t duplicate_packets = 0;
  uint64_t invalid_packets = 0;
  uint64_t flushed_packets = 0;    // dropped to respect max_delay_ms or on stream reset
  uint64_t overflow_packets = 0;   // puts answered with kOverflow
  uint64_t reordered_packets = 0;
  uint64_t stream_resets = 0;
  double concealed_ms = 0;         // expand output
  double accelerated_ms = 0;       // received audio removed by accelerate
  double expanded_ms = 0;          // audio added by preemptive expand
  double comfort_noise_ms = 0;
  std::array<uint64_t, kPlayoutKindCount> kind_counts{};
};

}  // namespace cbcs::jitter
