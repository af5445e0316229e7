// Sender history for RTX: the last N packets in a fixed arena, looked up by sequence number.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace cbcs::fec {

struct RetransmissionStats {
  uint64_t stored = 0;
  uint64_t resent = 0;
  uint64_t missing = 0;      // requested but overwritten, never stored or too old
  uint64_t too_soon = 0;     // requested again within one RTT of the last resend
  uint64_t too_large = 0;    // packets larger than a slot, not stored
};

// Memory is capacity * max_packet_size bytes, allocated once. Slot = sequence % capacity,
// so a packet lives until `capacity` newer packets have been sent or max_age_ms passes.
class RetransmissionHistory {
 public:
  RetransmissionHistory(std::size_t capacity, std::size_t max_packet_size, double max_age_ms);

  // Copies the packet (the full RTP packet as sent). Returns false if it is too large.
  bool Store(uint16_t sequence, std::span<const uint8_t> packet, double now_ms) noexcept;

  // The stored packet for a NACKed sequence number, or an empty span when it is gone, too
  // old, or was resent less than `min_interval_ms` ago (typically the RTT: a second copy
  // would cross the first in flight). Marks it resent.
  std::span<const uint8_t> Resend(uint16_t sequence, double now_ms,
                                  double min_interval_ms) noexcept;

  const RetransmissionStats& Stats() const noexcept { return stats_; }
  std::size_t MemoryBytes() const noexcept { return arena_.size(); }

 private:
  struct Slot {
    uint16_t sequence = 0;
    bool used = false;
    std::size_t size = 0;
    double sent_ms = 0;
    double resent_ms = -1e300;
  };
  std::size_t capacity_;
  std::size_t max_packet_size_;
  double max_age_ms_;
  std::vector<uint8_t> arena_;
  std::vector<Slot> slots_;
  RetransmissionStats stats_;
};

}  // namespace cbcs::fec
