// Sender side of audio RED: remembers recent frames and builds RFC 2198 payloads from them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace cbcs::fec {

// Redundant block i (1..depth) repeats the frame sent i * spacing frames earlier, oldest
// first as Chrome orders them. Spacing > 1 spreads the copies in time so that one loss
// burst of up to spacing * depth frames no longer takes a frame and all its copies.
class RedEncoder {
 public:
  RedEncoder(std::size_t max_depth, std::size_t max_spacing, uint8_t payload_type);

  // Writes the RED payload for `frame` (its RTP timestamp) into `out` and remembers the
  // frame. Frames that cannot be expressed (timestamp offset over 14 bits, more than 1023
  // bytes, or not sent) are left out. Returns bytes written, 0 if `out` is too small or
  // depth/spacing exceed the maxima.
  std::size_t Encode(uint32_t timestamp, std::span<const uint8_t> frame, std::size_t depth,
                     std::size_t spacing, std::span<uint8_t> out) noexcept;

  // Upper bound of Encode's output for this frame size.
  std::size_t MaxSize(std::size_t frame_size, std::size_t depth) const noexcept;
  void Reset() noexcept;

 private:
  struct Entry {
    uint32_t timestamp = 0;
    std::size_t size = 0;
    bool valid = false;
  };
  static constexpr std::size_t kMaxFrame = 1023;
  std::size_t max_depth_;
  std::size_t max_spacing_;
  uint8_t payload_type_;
  std::vector<Entry> entries_;
  std::vector<uint8_t> data_;  // entries_.size() * kMaxFrame
  uint64_t frames_ = 0;
};

}  // namespace cbcs::fec
