// The audio of a room of legs mixed once per round: every speaker's queued audio summed
// once, and each distinct set of speakers that some leg hears made from that sum.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace cbcs::mix {

// Bit s of a mask stands for speaker slot s.
using SpeakerMask = uint64_t;

struct RoomMixerConfig {
  int max_speakers = 16;         // speaker slots, 1..64 (a mask's width)
  int max_mixes = 32;            // distinct masks mixed each round, 1..1024
  int max_round_samples = 960;   // most samples one round makes (20 ms at 48 kHz)
  int queue_samples = 5760;      // each speaker's queue (120 ms at 48 kHz); older audio drops
};

// Speakers' audio goes in with Push() (any length); Mix(n) takes up to n samples from
// every speaker's queue (silence where a queue runs short), sums them once in 32 bits,
// and makes each mix set with SetMixes() from that sum: when a mix hears most of the
// speakers who spoke, it is the sum minus those it does not hear (each speaker's own
// mix: everyone but itself), else the sum of those it hears. Saturation to 16 bits comes
// last, on the exact sum. A pure listener hears every speaker, so all of them share one
// mix. Every buffer is sized in the constructor: Push, Clear, Mix and Output never
// allocate, lock or throw.
class RoomMixer {
 public:
  explicit RoomMixer(const RoomMixerConfig& config);  // ConfigError on bad sizes

  // Appends a speaker's audio; the number of queued samples dropped (the oldest) to stay
  // within queue_samples, or -1 for a slot out of range.
  int Push(int speaker, std::span<const int16_t> pcm) noexcept;
  // Drops what waits in a speaker's queue (its mode changed: what it said under the old
  // mode must not reach those the new one admits).
  void Clear(int speaker) noexcept;
  int Queued(int speaker) const noexcept;

  // The masks to mix from the next round on; mix i of Output() is masks[i]. False (and
  // nothing changed) when there are more than max_mixes. Setup time, not per round.
  bool SetMixes(std::span<const SpeakerMask> masks) noexcept;
  int Mixes() const noexcept { return mixes_; }

  // One round of min(n, max_round_samples) samples (returned); 0 for n <= 0.
  int Mix(int n) noexcept;
  // Mix i of the last round (empty for an unknown i); valid until the next Mix().
  std::span<const int16_t> Output(int mix) const noexcept;
  // Speakers who had audio in the last round.
  SpeakerMask Active() const noexcept { return active_; }
  int RoundSamples() const noexcept { return round_; }

  const RoomMixerConfig& Config() const noexcept { return config_; }

 private:
  struct Queue {
    std::size_t head = 0;  // index of the oldest queued sample in the ring
    std::size_t size = 0;
  };

  int16_t* Frame(int speaker) noexcept;
  int16_t* Out(int mix) noexcept;
  void Take(int speaker, int n) noexcept;

  RoomMixerConfig config_;
  // owned here, sized once: the speakers' rings, this round's frames, the sum, the outputs
  std::vector<int16_t> rings_;     // max_speakers * queue_samples
  std::vector<Queue> queues_;      // max_speakers
  std::vector<int16_t> frames_;    // max_speakers * max_round_samples
  std::vector<int32_t> sum_;       // max_round_samples
  std::vector<int32_t> acc_;       // max_round_samples
  std::vector<int16_t> outputs_;   // max_mixes * max_round_samples
  std::vector<SpeakerMask> masks_;  // max_mixes
  int mixes_ = 0;
  int round_ = 0;
  SpeakerMask active_ = 0;
};

}  // namespace cbcs::mix
