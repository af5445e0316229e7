#include "cbcs/netsim/BottleneckQueue.hpp"

#include <algorithm>

namespace cbcs::netsim {

BottleneckQueue::BottleneckQueue(double bandwidth_bps, double queue_ms) noexcept
    : bytes_per_ms_(bandwidth_bps / 8000.0), capacity_bytes_(queue_ms * bandwidth_bps / 8000.0) {}

double BottleneckQueue::BacklogBytes(double now_ms) const noexcept {
  return std::max(0.0, busy_until_ms_ - now_ms) * bytes_per_ms_;
}

double BottleneckQueue::Enqueue(double send_ms, int32_t size_bytes) noexcept {
  // A packet always fits into an empty queue, however small the queue is configured.
  const double backlog = BacklogBytes(send_ms);
  if (backlog > 0.0 && backlog + size_bytes > capacity_bytes_) return -1.0;
  busy_until_ms_ = std::max(busy_until_ms_, send_ms) + size_bytes / bytes_per_ms_;
  return busy_until_ms_;
}

}  // namespace cbcs::netsim
