// Receiver side of NACK: tracks missing sequence numbers and decides when to request them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cbcs/common/Sequence.hpp"

namespace cbcs::fec {

struct NackConfig {
  std::size_t max_missing = 256;   // tracked gaps; older ones are given up when it overflows
  double packet_interval_ms = 20;  // sender packet spacing, to date a missing packet
  double playout_delay_ms = 100;   // jitter-buffer delay: deadline = nominal arrival + this
  double rtt_ms = 100;             // updated from RTCP as it is measured
  double reorder_wait_ms = 0;      // wait before the first request (networks that reorder)
  int max_retries = 10;
};

struct NackStats {
  uint64_t requested = 0;   // sequence numbers put into NACKs (retries counted again)
  uint64_t recovered = 0;   // missing packets that arrived after all (retransmitted or late)
  uint64_t given_up = 0;    // could no longer arrive before their playout deadline
};

// A missing packet s is dated by the packet that revealed the gap: its nominal arrival is
// arrival(newer) - (newer - s) * interval. A request sent now returns after one RTT, so a
// packet is requested only while now + rtt <= nominal arrival + playout delay, and again
// every RTT until that no longer holds (libwebrtc retries every RTT as well). Beyond that
// point a retransmission would arrive after its playout time and only waste bandwidth.
//
// OnPacket and Nacks never allocate: the missing list is a ring sized in the constructor.
class NackGenerator {
 public:
  explicit NackGenerator(const NackConfig& config);

  void SetRtt(double rtt_ms) noexcept;
  void SetPlayoutDelay(double playout_delay_ms) noexcept;

  // A media packet (original, retransmitted or recovered by FEC) arrived.
  void OnPacket(uint16_t sequence, double arrival_ms) noexcept;

  // Sequence numbers to request now (oldest first); marks them sent. Returns the count.
  std::size_t Nacks(double now_ms, std::span<uint16_t> out) noexcept;

  std::size_t MissingCount() const noexcept { return count_; }
  const NackStats& Stats() const noexcept { return stats_; }

 private:
  struct Missing {
    int64_t seq = 0;             // unwrapped
    double nominal_arrival_ms = 0;
    double last_sent_ms = 0;
    int retries = 0;
    bool active = false;
  };
  void Push(int64_t seq, double nominal_arrival_ms) noexcept;
  void PopInactiveHead() noexcept;

  NackConfig config_;
  SeqUnwrapper unwrapper_;
  bool started_ = false;
  int64_t highest_ = 0;
  std::vector<Missing> ring_;  // FIFO in increasing sequence order
  std::size_t head_ = 0;
  std::size_t count_ = 0;      // slots between head and tail (active or not)
  NackStats stats_;
};

}  // namespace cbcs::fec
