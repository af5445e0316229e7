// Receiver side of packet-level Reed-Solomon: rebuilds lost frames from any k of k + m.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include "cbcs/common/Sequence.hpp"
#include "cbcs/fec/RedReceiver.hpp"
#include "cbcs/fec/ReedSolomon.hpp"

namespace cbcs::fec {

struct FecGroupStats {
  uint64_t frames = 0;
  uint64_t repairs = 0;
  uint64_t malformed = 0;   // repair payloads that did not parse or do not fit (dropped)
  uint64_t recovered = 0;   // frames rebuilt
  uint64_t groups_complete = 0;  // groups that needed no repair
};

// Frames are kept in a ring of `window` slots so that a repair arriving after its frames
// (the usual order) finds them; repair shards are kept per group in `groups` slots (the
// oldest group is replaced). Recovered frames are written into the ring and returned as
// views valid until the next call. One ReedSolomon per (k, m) is created on first use;
// after that nothing allocates.
class FecGroupDecoder {
 public:
  FecGroupDecoder(std::size_t max_payload, std::size_t window = 256, std::size_t groups = 16);

  // An original media frame arrived. Writes frames it made recoverable to `out`.
  std::size_t OnFrame(uint16_t sequence, uint32_t timestamp, std::span<const uint8_t> payload,
                      std::span<MediaFrame> out) noexcept;
  // A repair payload arrived (see FecGroupEncoder for its format).
  std::size_t OnRepair(std::span<const uint8_t> repair, std::span<MediaFrame> out) noexcept;

  const FecGroupStats& Stats() const noexcept { return stats_; }

 private:
  struct Slot {
    // Unwrapped sequence numbers can be negative (a stream that starts just before a
    // wrap), so "empty" is a value no stream reaches.
    int64_t seq = std::numeric_limits<int64_t>::min();
  };
  struct Group {
    bool valid = false;
    bool done = false;
    int64_t base = 0;
    std::size_t k = 0, m = 0, shard_len = 0;
    std::array<uint64_t, 4> have{};  // repair indexes received
    std::size_t repair_count = 0;
  };
  uint8_t* SlotData(int64_t seq) noexcept;
  bool HasFrame(int64_t seq) const noexcept;
  std::size_t TryDecode(std::size_t group, std::span<MediaFrame> out) noexcept;
  ReedSolomon* Codec(std::size_t k, std::size_t m) noexcept;

  std::size_t max_payload_;
  std::size_t stride_;
  SeqUnwrapper unwrapper_;
  std::vector<Slot> slots_;
  std::vector<uint8_t> frames_;    // window * stride_
  std::vector<Group> groups_;
  std::vector<uint8_t> repairs_;   // groups * 254 * stride_ would be wasteful: see ctor
  std::size_t repair_slots_per_group_;
  std::vector<std::unique_ptr<ReedSolomon>> codecs_;
  FecGroupStats stats_;
};

}  // namespace cbcs::fec
