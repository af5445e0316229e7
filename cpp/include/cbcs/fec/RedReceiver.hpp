// Receiver side of audio RED: splits RED packets into frames for the jitter buffer, once each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cbcs/common/Sequence.hpp"

namespace cbcs::fec {

// What the jitter buffer receives: (seq, timestamp, payload) plus whether it came from
// redundancy. The payload views the packet given to OnPacket and is valid as long as it.
struct MediaFrame {
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  std::span<const uint8_t> payload{};
  bool recovered = false;
};

struct RedReceiverStats {
  uint64_t packets = 0;
  uint64_t malformed = 0;     // RED payloads that did not parse (dropped, counted)
  uint64_t primary = 0;       // frames delivered from primary blocks
  uint64_t recovered = 0;     // frames delivered from redundant blocks (were missing)
  uint64_t duplicates = 0;    // blocks whose frame had already been delivered
};

// Redundant blocks carry only a timestamp offset; their sequence number is inferred as
// seq - offset / samples_per_frame (libwebrtc's NetEq does the same for RED), and blocks
// whose offset is not a whole number of frames are not delivered. A window of recently
// delivered sequence numbers keeps each frame from reaching the jitter buffer twice.
class RedReceiver {
 public:
  static constexpr std::size_t kMaxBlocks = 16;

  explicit RedReceiver(uint32_t samples_per_frame = 960, std::size_t window = 1024);

  // Writes the not-yet-delivered frames of one RED packet to `out` (oldest first, primary
  // last). Returns the number written; 0 when malformed (counted) or all duplicates.
  std::size_t OnPacket(uint16_t sequence, uint32_t timestamp,
                       std::span<const uint8_t> red_payload,
                       std::span<MediaFrame> out) noexcept;
  // Records a frame that arrived another way (plain RTP, RTX, FEC). Returns false if it
  // had been delivered already.
  bool MarkDelivered(uint16_t sequence) noexcept;

  const RedReceiverStats& Stats() const noexcept { return stats_; }

 private:
  bool TestAndSet(int64_t seq) noexcept;

  uint32_t samples_per_frame_;
  SeqUnwrapper unwrapper_;
  bool started_ = false;
  int64_t highest_ = 0;
  std::vector<uint8_t> delivered_;  // ring of flags indexed by unwrapped seq
  RedReceiverStats stats_;
};

}  // namespace cbcs::fec
