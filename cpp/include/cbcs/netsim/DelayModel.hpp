// Per-packet one-way delay: base, jitter, heavy-tailed stalls, and first-in first-out order.
#pragma once

#include <cstdint>

#include "cbcs/common/Random.hpp"
#include "cbcs/netsim/LinkParams.hpp"

namespace cbcs::netsim {

class DelayModel {
 public:
  DelayModel(const LinkParams& params, uint64_t seed) noexcept;

  // Arrival time of a packet that leaves the sender (or the bottleneck) at depart_ms.
  double Arrival(double depart_ms) noexcept;

  // True while a stall holds packets back at time now_ms.
  bool Stalled(double now_ms) const noexcept { return now_ms < hold_until_ms_; }

 private:
  double JitterSample() noexcept;

  LinkParams params_;
  Random jitter_random_;
  Random spike_random_;
  double hold_until_ms_ = -1.0;
  double last_arrival_ms_ = -1.0;
};

}  // namespace cbcs::netsim
