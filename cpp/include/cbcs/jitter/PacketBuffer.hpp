// Received audio packets ordered by unwrapped RTP timestamp, in storage sized once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cbcs::jitter {

// Holds up to `capacity` packets of at most `max_samples` samples each. Packets are kept
// sorted by (unwrapped) timestamp so the player can read audio contiguously across
// packet boundaries. No allocation after construction.
class PacketBuffer {
 public:
  enum class InsertResult : uint8_t { kOk, kDuplicate, kFull };

  struct Info {
    int64_t timestamp = 0;  // unwrapped
    int64_t seq = 0;        // unwrapped
    int samples = 0;
    double arrival_ms = 0;
  };

  PacketBuffer(int capacity, int max_samples);

  InsertResult Insert(int64_t seq, int64_t timestamp, const int16_t* pcm, int samples,
                      double arrival_ms) noexcept;

  int Size() const noexcept { return count_; }
  int Capacity() const noexcept { return static_cast<int>(slots_.size()); }
  bool Empty() const noexcept { return count_ == 0; }

  // The i-th packet in timestamp order (0 = oldest).
  const Info& At(int i) const noexcept { return slots_[order_[i]]; }
  const int16_t* Samples(int i) const noexcept {
    return pcm_.data() + static_cast<size_t>(order_[i]) * max_samples_;
  }

  // Removes every packet that ends at or before `position`; returns how many of those
  // were never reached by playout (they ended before `position` without being read).
  int DropBefore(int64_t position) noexcept;
  // Removes the oldest packet.
  void PopFront() noexcept;
  void Clear() noexcept { count_ = 0; }

  // Number of contiguous samples available from `position` (0 when no packet covers it),
  // at most `max`; copies them to `out` when out is not null.
  int Read(int64_t position, int max, int16_t* out) const noexcept;

  // Index of the first packet starting after `position`, or -1.
  int FirstAfter(int64_t position) const noexcept;
  // Timestamp just past the newest packet, or `fallback` when empty.
  int64_t End(int64_t fallback) const noexcept;

 private:
  std::vector<Info> slots_;
  std::vector<int16_t> pcm_;
  std::vector<int> order_;      // slot indices sorted by timestamp, first count_ valid
  std::vector<int> free_;       // free slot indices (a stack)
  std::vector<uint8_t> read_;   // per slot: playout has read from it
  int free_count_ = 0;
  int count_ = 0;
  int max_samples_ = 0;


 public:
  // Marks packets overlapping [from, to) as read by playout (for late/flush accounting).
  void MarkRead(int64_t from, int64_t to) noexcept;
};

}  // namespace cbcs::jitter
