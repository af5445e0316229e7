// A rate-limited link with a finite drop-tail queue: queueing delay comes from the rate.
#pragma once

#include <cstdint>

namespace cbcs::netsim {

class BottleneckQueue {
 public:
  // bandwidth_bps > 0; queue_ms is how much traffic the queue holds at that rate.
  BottleneckQueue(double bandwidth_bps, double queue_ms) noexcept;

  // Time the packet's last bit leaves the bottleneck, or a negative value when the queue
  // was full and the packet was dropped. send_ms must not decrease between calls.
  double Enqueue(double send_ms, int32_t size_bytes) noexcept;

  // Bytes waiting at time now_ms (including the one being serialised).
  double BacklogBytes(double now_ms) const noexcept;

 private:
  double bytes_per_ms_;
  double capacity_bytes_;
  double busy_until_ms_ = 0.0;
};

}  // namespace cbcs::netsim
