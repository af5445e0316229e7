// Groups acknowledged packets into 5 ms send-time groups and yields the send and arrival time
// differences between consecutive groups (the input of the trendline estimator).
#pragma once

#include <cstddef>
#include <cstdint>

namespace cbcs::cc {

struct InterArrivalDelta {
  double send_delta_ms = 0;     // last send time of this group minus that of the previous one
  double arrival_delta_ms = 0;  // same for the last arrival times
  int64_t size_delta_bytes = 0;
  double arrival_ms = 0;        // arrival of the group that just completed
};

class InterArrival {
 public:
  static constexpr double kGroupLengthMs = 5.0;
  // Packets arriving within this of each other, ahead of their send spacing, are one burst
  // (e.g. released together by a radio link) and belong to one group.
  static constexpr double kBurstDeltaMs = 5.0;
  static constexpr double kMaxBurstDurationMs = 100.0;
  static constexpr int kReorderedResetThreshold = 3;

  // Feed packets in arrival order. Returns true and fills out when a group completed and a
  // previous group exists to compare it with.
  bool Update(double send_ms, double arrival_ms, size_t size_bytes, InterArrivalDelta* out) noexcept;
  void Reset() noexcept;

 private:
  struct Group {
    bool valid = false;
    double first_send_ms = 0;
    double last_send_ms = 0;
    double first_arrival_ms = 0;
    double last_arrival_ms = 0;
    int64_t size = 0;
  };
  bool BelongsToBurst(double send_ms, double arrival_ms) const noexcept;
  bool StartsNewGroup(double send_ms, double arrival_ms) const noexcept;

  Group current_;
  Group previous_;
  int reordered_ = 0;
};

}  // namespace cbcs::cc
