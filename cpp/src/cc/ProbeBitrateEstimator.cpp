// Probe result estimation.
#include "cbcs/cc/ProbeBitrateEstimator.hpp"

#include <algorithm>

namespace cbcs::cc {

void ProbeBitrateEstimator::OnProbePacket(int cluster_id, int cluster_min_packets, double send_ms,
                                          double arrival_ms, size_t size_bytes, double now_ms) noexcept {
  if (cluster_id < 0) return;
  Cluster* c = nullptr;
  for (auto& k : clusters_) {
    if (k.id == cluster_id) c = &k;
  }
  if (c == nullptr) {
    // Take a free slot or the least recently touched one.
    c = &clusters_[0];
    for (auto& k : clusters_) {
      if (k.id < 0) {
        c = &k;
        break;
      }
      if (k.touched_ms < c->touched_ms) c = &k;
    }
    *c = Cluster{};
    c->id = cluster_id;
    c->first_send = c->last_send = send_ms;
    c->first_arrival = c->last_arrival = arrival_ms;
    c->size_first_arrival = c->size_last_send = static_cast<double>(size_bytes);
  }
  const double size = static_cast<double>(size_bytes);
  c->touched_ms = now_ms;
  if (send_ms < c->first_send) c->first_send = send_ms;
  if (send_ms >= c->last_send) {
    c->last_send = send_ms;
    c->size_last_send = size;
  }
  if (arrival_ms < c->first_arrival) {
    c->first_arrival = arrival_ms;
    c->size_first_arrival = size;
  }
  c->last_arrival = std::max(c->last_arrival, arrival_ms);
  c->bytes += size;
  ++c->packets;

  const int needed = std::max(kMinPackets, static_cast<int>(cluster_min_packets * kMinReceivedFraction));
  if (c->packets < needed) return;
  const double send_interval = c->last_send - c->first_send;
  const double recv_interval = c->last_arrival - c->first_arrival;
  if (send_interval <= 0 || send_interval > kMaxIntervalMs || recv_interval <= 0 ||
      recv_interval > kMaxIntervalMs) {
    return;
  }
  // The last packet sent did not take part in the send interval, the first one received not
  // in the receive interval.
  const double send_bps = (c->bytes - c->size_last_send) * 8000 / send_interval;
  const double recv_bps = (c->bytes - c->size_first_arrival) * 8000 / recv_interval;
  if (send_bps / recv_bps > kMaxRatio) return;
  double result = std::min(send_bps, recv_bps);
  saturated_ = recv_bps < 0.9 * send_bps;
  if (saturated_) result = kTargetUtilization * recv_bps;
  estimate_ = result;
}

std::optional<double> ProbeBitrateEstimator::FetchEstimate() noexcept {
  auto e = estimate_;
  estimate_.reset();
  return e;
}

}  // namespace cbcs::cc
