// Send-side bandwidth estimation (GCC class) from transport-wide feedback: composes arrival
// groups, the trendline delay-gradient estimator, the adaptive-threshold overuse detector,
// AIMD anchored on the acknowledged bitrate, the loss-based bound, probing and REMB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "cbcs/cc/AcknowledgedBitrateEstimator.hpp"
#include "cbcs/cc/AimdRateControl.hpp"
#include "cbcs/cc/InterArrival.hpp"
#include "cbcs/cc/LossBasedControl.hpp"
#include "cbcs/cc/OveruseDetector.hpp"
#include "cbcs/cc/ProbeBitrateEstimator.hpp"
#include "cbcs/cc/ProbeController.hpp"
#include "cbcs/cc/TransportFeedback.hpp"
#include "cbcs/cc/TrendlineEstimator.hpp"
#include "cbcs/common/Sequence.hpp"

namespace cbcs::cc {

struct SendSideBweConfig {
  double start_bps = 300'000;
  double min_bps = 30'000;
  double max_bps = 5'000'000;
  size_t history = 8192;  // packets in flight remembered (power of two)
  TrendlineConfig trendline;
  OveruseConfig overuse;
  AcknowledgedBitrateConfig acked;
  LossBasedConfig loss;
  ProbeControllerConfig probing;
  double beta = 0.85;
  // A queue at least standing_queue_ms deep is standing. Our own standing queue drains when we
  // send less than gets delivered; one that still stands after we have sent, in total, a
  // queue's worth (its depth plus standing_queue_ms, in bytes at our delivered rate) less
  // than was delivered is kept up by a loss-based competitor: the detector then uses its
  // competing floor until the queue has stayed shallower for competing_exit_ms.
  double standing_queue_ms = 25;
  double competing_exit_ms = 3000;
  // A standing queue with persistent loss is a full drop-tail buffer: the path has no delay
  // gradient left to show, yet we send more than it carries. Loss counts as persistent when
  // its fraction over the last congestion_loss_window_ms of feedback exceeds
  // congestion_loss; the rate then comes below what gets through (an overuse on the recent
  // delivery rate).
  double congestion_loss = 0.02;
  double congestion_loss_window_ms = 500;
  // A standing queue that packets sent after the last decrease still find for this long is
  // ours until shown otherwise (the competing test): it counts as overuse, so the rate comes
  // below what gets through and the queue drains instead of staying at a flat, gradient-free
  // depth for as long as we send at about the capacity.
  double standing_overuse_ms = 1000;
  // Ramp-up probing: after ramp_quiet_ms of multiplicative increase with no overuse and an
  // empty queue, probe at ramp_scale x the estimate (ProbeControllerConfig) to find spare
  // capacity in a few RTTs instead of 8 %/s.
  bool ramp_probing = true;
  double ramp_quiet_ms = 500;
};

// One entry of a feedback: arrival_ms is NaN when the packet was reported lost.
struct PacketResult {
  uint16_t seq = 0;
  double arrival_ms = std::numeric_limits<double>::quiet_NaN();
};

struct SendSideBweStats {
  double target_bps = 0;
  double delay_based_bps = 0;
  double loss_based_bps = 0;
  double acked_bps = 0;  // 0 until known
  double link_capacity_bps = 0;  // AIMD's link-capacity estimate, 0 when unknown
  double burst_rate_bps = 0;     // packet-pair dispersion rate of the last feedback, 0 if none
  double rtt_ms = 0;
  double queue_delay_ms = 0;
  double loss_fraction = 0;
  double trend = 0;
  double threshold_ms = 0;
  BandwidthUsage usage = BandwidthUsage::kNormal;
  uint64_t feedbacks = 0;
  uint64_t unknown_packets = 0;  // feedback about packets we have no record of
  uint64_t bad_feedback = 0;     // RTCP that failed to parse
  uint64_t probe_results = 0;
  uint64_t ramp_probes = 0;
  uint64_t false_alarms = 0;  // overuse signals held as burst noise (no queue, spare capacity)
  uint64_t full_queue_overuses = 0;  // overuses from a standing queue with persistent loss
  uint64_t standing_overuses = 0;    // overuses from a standing queue that did not drain
  double recent_acked_bps = 0;  // delivery rate of the last few hundred ms, 0 until known
  bool competing = false;  // a loss-based flow keeps a standing queue (see SendSideBweConfig)
};

class SendSideBwe {
 public:
  explicit SendSideBwe(const SendSideBweConfig& config = {});  // ConfigError on bad config

  // Record a packet as it leaves (after the pacer). probe_cluster >= 0 for probe packets.
  void OnPacketSent(uint16_t seq, size_t size_bytes, double send_ms, int probe_cluster = -1,
                    int probe_min_packets = 0) noexcept;
  // Feedback as (transport seq, arrival ms or NaN) in any order; arrival times are in the
  // receiver's clock, only their differences matter.
  void OnFeedback(std::span<const PacketResult> results, double now_ms) noexcept;
  // Parses one RTCP transport feedback packet and applies it.
  FeedbackStatus OnTransportFeedback(std::span<const uint8_t> rtcp, double now_ms) noexcept;
  // A receiver-estimated maximum bitrate (REMB): caps the target.
  void OnRemb(double bps, double now_ms) noexcept;
  void SetApplicationLimited(bool limited) noexcept { probes_.OnApplicationLimited(limited); }
  // Timers (probing); call every few tens of ms.
  void Process(double now_ms) noexcept;
  // Probe clusters the pacer should run; returns how many were written.
  size_t TakeProbeClusters(std::span<ProbeCluster> out) noexcept;

  double target_bps() const noexcept { return target_; }
  SendSideBweStats stats() const noexcept;

 private:
  struct Sent {
    int64_t seq = -1;
    double send_ms = 0;
    uint32_t size = 0;
    int16_t cluster = -1;
    int16_t cluster_min = 0;
    uint8_t state = 0;  // 0 in flight, 1 reported lost, 2 acknowledged
  };
  struct Acked {
    double send_ms, arrival_ms;
    uint32_t size;
    int16_t cluster, cluster_min;
  };
  void UpdateTarget(double now_ms) noexcept;
  void UpdateBurstRate(size_t n, double now_ms) noexcept;
  void UpdateCompeting(double min_queue_ms, double delivered_bytes, double now_ms) noexcept;
  bool FullQueueLoss(double min_queue_ms, int64_t received, int64_t lost, double now_ms) noexcept;
  void MaybeRampProbe(double min_queue_ms, double now_ms) noexcept;

  SendSideBweConfig config_;
  std::vector<Sent> history_;
  std::vector<Acked> scratch_;
  std::vector<PacketResult> parsed_;
  SeqUnwrapper unwrapper_;
  TransportFeedback feedback_;
  bool has_reference_ = false;
  int32_t last_reference_ticks_ = 0;
  int64_t reference_us_ = 0;

  InterArrival inter_arrival_;
  TrendlineEstimator trendline_;
  OveruseDetector detector_;
  AcknowledgedBitrateEstimator acked_;
  AimdRateControl aimd_;
  LossBasedControl loss_;
  ProbeBitrateEstimator probe_estimator_;
  ProbeController probes_;

  double target_;
  double remb_bps_ = std::numeric_limits<double>::infinity();
  double rtt_ms_ = -1;
  // Minimum one-way delay (receiver clock minus sender clock, offset included) over two
  // alternating 10 s buckets: the propagation baseline queueing delay is measured against.
  double owd_min_[2] = {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};
  double owd_bucket_start_ms_ = -1;
  double queue_ms_ = 0;
  double last_min_queue_ms_ = 0;  // shallowest queueing delay of the previous feedback
  double last_delay_cut_ms_ = -1e9;
  bool competing_ = false;
  double standing_since_ms_ = -1;  // the queue has been standing since (or -1)
  double standing_peak_ms_ = 0;    // its deepest shallowest point since
  double drain_bytes_ = 0;         // delivered minus sent since, floored at zero
  double shallow_since_ms_ = -1;   // while competing: the queue has been shallow since
  double sent_bytes_ = 0;          // sent since the last feedback (all packets)
  // Loss of the last congestion window(s) of feedback, for the full-queue test.
  double loss_window_start_ms_ = -1;
  int64_t loss_received_ = 0, loss_lost_ = 0;
  int64_t prev_received_ = 0, prev_lost_ = 0;
  uint64_t full_queue_overuses_ = 0;
  uint64_t standing_overuses_ = 0;
  double spread_ms_ = 0;  // smoothed one-way-delay range within a feedback (jitter, saw-tooth)
  double own_standing_since_ms_ = -1;  // packets sent after the last decrease find a standing queue
  double ramp_since_ms_ = -1;      // multiplicative increase without overuse since (or -1)
  double overuse_acked_bps_ = 0;   // acknowledged bitrate at the last overuse
  double burst_rate_bps_ = 0;      // packet-pair dispersion rate of a recent feedback (or 0)
  double burst_rate_ms_ = -1e9;    // when it was measured
  double burst_bytes_ = 0, burst_gaps_ms_ = 0;  // pairs accumulated towards the next sample
  int burst_pairs_ = 0;
  uint64_t ramp_probes_ = 0;
  uint64_t false_alarms_ = 0;
  uint64_t feedbacks_ = 0;
  uint64_t unknown_ = 0;
  uint64_t bad_feedback_ = 0;
  uint64_t probe_results_ = 0;
};

}  // namespace cbcs::cc
