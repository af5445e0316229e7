// Paces packets onto the network in 5 ms budgets at the pacing rate, with a burst limit:
// audio first, then retransmissions, then video and FEC, FIFO within each; runs probe clusters
// at their own rate, filling with padding when there is not enough media.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cbcs/cc/ProbeController.hpp"

namespace cbcs::cc {

enum class PacketKind : uint8_t { kAudio = 0, kRetransmission = 1, kVideo = 2, kFec = 3, kPadding = 4 };

struct PacedPacket {
  uint64_t id = 0;       // the caller's handle; 0 for padding the pacer made up
  uint32_t size = 0;
  PacketKind kind = PacketKind::kVideo;
  int probe_cluster = -1;
  int probe_min_packets = 0;  // of the cluster, for the probe estimator
};

struct PacerConfig {
  double interval_ms = 5;        // budget period
  double burst_ms = 10;          // unused budget carried over at most this much time
  size_t queue_capacity = 4096;  // per priority class
  double max_queue_ms = 2000;    // raise the rate when the queue would take longer to drain
  uint32_t max_padding_bytes = 1200;
};

struct PacerStats {
  uint64_t sent_packets = 0;
  uint64_t sent_bytes = 0;
  uint64_t padding_bytes = 0;
  uint64_t dropped = 0;  // refused because a class queue was full
};

class Pacer {
 public:
  explicit Pacer(const PacerConfig& config = {});  // ConfigError on bad sizes

  void SetPacingRate(double bps) noexcept;
  // Queues a packet; false (and counted) when its class queue is full.
  bool Enqueue(uint64_t id, uint32_t size, PacketKind kind, double now_ms) noexcept;
  // Queues a probe cluster; clusters run one after the other (up to kMaxProbeClusters wait).
  void StartProbe(const ProbeCluster& cluster, double now_ms) noexcept;
  // Moves the packets that may leave by now_ms into out, in send order; returns the count.
  size_t Process(double now_ms, std::span<PacedPacket> out) noexcept;
  // When Process next has something to do (now + interval, or the next probe packet).
  double NextProcessMs() const noexcept;

  size_t queued_packets() const noexcept;
  uint64_t queued_bytes() const noexcept { return queued_bytes_; }
  double pacing_bps() const noexcept { return rate_bps_; }
  bool probing() const noexcept { return probe_.id >= 0; }
  const PacerStats& stats() const noexcept { return stats_; }

 private:
  struct Ring {
    std::vector<PacedPacket> slots;
    size_t head = 0, size = 0;
  };
  static constexpr int kClasses = 3;
  static int ClassOf(PacketKind kind) noexcept;
  bool PopNext(PacedPacket* out) noexcept;

  PacerConfig config_;
  Ring rings_[kClasses];
  uint64_t queued_bytes_ = 0;
  double rate_bps_ = 300'000;
  double budget_bytes_ = 0;
  double last_process_ms_ = -1;
  static constexpr size_t kMaxProbeClusters = 4;
  ProbeCluster probe_;
  ProbeCluster waiting_probes_[kMaxProbeClusters];
  size_t num_waiting_probes_ = 0;
  int probe_sent_packets_ = 0;
  double probe_sent_bytes_ = 0;
  double probe_next_ms_ = 0;
  PacerStats stats_;
};

}  // namespace cbcs::cc
