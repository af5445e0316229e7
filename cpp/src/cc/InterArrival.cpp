// Arrival-group deltas for the delay-based estimator.
#include "cbcs/cc/InterArrival.hpp"

#include <algorithm>

namespace cbcs::cc {

void InterArrival::Reset() noexcept {
  current_ = Group{};
  previous_ = Group{};
  reordered_ = 0;
}

bool InterArrival::BelongsToBurst(double send_ms, double arrival_ms) const noexcept {
  const double arrival_delta = arrival_ms - current_.last_arrival_ms;
  const double send_delta = send_ms - current_.last_send_ms;
  if (send_delta == 0) return true;
  const double propagation_delta = arrival_delta - send_delta;
  // The group as a whole must also have arrived faster than it was sent. A pacer that releases
  // a frame's first packets together leaves a standing queue behind them; the packets after
  // each send gap then come out of it less than 5 ms apart and ahead of their send spacing.
  // Chained packet by packet they would make one 100 ms group out of a growing queue and hide
  // its growth from the trendline for about a second; a real burst (a stall releasing what
  // queued behind it) arrives in less time than it took to send.
  const double group_propagation =
      (arrival_ms - current_.first_arrival_ms) - (send_ms - current_.first_send_ms);
  return propagation_delta < 0 && group_propagation < 0 && arrival_delta <= kBurstDeltaMs &&
         arrival_ms - current_.first_arrival_ms < kMaxBurstDurationMs;
}

bool InterArrival::StartsNewGroup(double send_ms, double arrival_ms) const noexcept {
  if (!current_.valid) return true;
  if (BelongsToBurst(send_ms, arrival_ms)) return false;
  return send_ms - current_.first_send_ms > kGroupLengthMs;
}

bool InterArrival::Update(double send_ms, double arrival_ms, size_t size_bytes,
                          InterArrivalDelta* out) noexcept {
  const auto size = static_cast<int64_t>(size_bytes);
  if (!current_.valid) {
    current_ = Group{true, send_ms, send_ms, arrival_ms, arrival_ms, size};
    return false;
  }
  // Sent before the group being built: reordered on the way, too late to use.
  if (send_ms < current_.first_send_ms) return false;
  bool produced = false;
  if (StartsNewGroup(send_ms, arrival_ms)) {
    if (previous_.valid) {
      const double arrival_delta = current_.last_arrival_ms - previous_.last_arrival_ms;
      if (arrival_delta < 0) {
        // Groups arriving out of order: the deltas are meaningless; after several, start over.
        if (++reordered_ >= kReorderedResetThreshold) {
          Reset();
          current_ = Group{true, send_ms, send_ms, arrival_ms, arrival_ms, size};
          return false;
        }
      } else {
        reordered_ = 0;
        out->send_delta_ms = current_.last_send_ms - previous_.last_send_ms;
        out->arrival_delta_ms = arrival_delta;
        out->size_delta_bytes = current_.size - previous_.size;
        out->arrival_ms = current_.last_arrival_ms;
        produced = true;
      }
    }
    previous_ = current_;
    current_ = Group{true, send_ms, send_ms, arrival_ms, arrival_ms, size};
  } else {
    current_.last_send_ms = std::max(current_.last_send_ms, send_ms);
    current_.last_arrival_ms = std::max(current_.last_arrival_ms, arrival_ms);
    current_.size += size;
  }
  return produced;
}

}  // namespace cbcs::cc
