// Turns the acknowledgements of a probe cluster (packets sent back to back at a chosen rate)
// into a capacity estimate: the lower of the rate they were sent at and the rate they arrived
// at, discounted when the path clearly could not keep up.
#pragma once

#include <array>
#include <cstddef>
#include <optional>

namespace cbcs::cc {

class ProbeBitrateEstimator {
 public:
  static constexpr size_t kMaxClusters = 8;
  static constexpr int kMinPackets = 5;
  static constexpr double kMinReceivedFraction = 0.8;
  static constexpr double kMaxIntervalMs = 1000;
  static constexpr double kMaxRatio = 2.0;          // receive rate this far below send: invalid
  static constexpr double kTargetUtilization = 0.95;

  // sent_packets/sent_bytes: what the cluster was planned to carry (minimum), for completeness.
  void OnProbePacket(int cluster_id, int cluster_min_packets, double send_ms, double arrival_ms,
                     size_t size_bytes, double now_ms) noexcept;
  // The newest estimate produced since the last call, if any.
  std::optional<double> FetchEstimate() noexcept;
  // Whether the last estimate came from a probe the path could not carry at its send rate
  // (it then measures the bottleneck share during the probe, not spare capacity).
  bool last_saturated() const noexcept { return saturated_; }

 private:
  struct Cluster {
    int id = -1;
    int packets = 0;
    double first_send = 0, last_send = 0, first_arrival = 0, last_arrival = 0;
    double size_first_arrival = 0, size_last_send = 0, bytes = 0;
    double touched_ms = 0;
    bool done = false;
  };
  std::array<Cluster, kMaxClusters> clusters_{};
  std::optional<double> estimate_;
  bool saturated_ = false;
};

}  // namespace cbcs::cc
