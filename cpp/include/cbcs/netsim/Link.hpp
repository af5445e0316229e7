// One direction of an emulated network link: bottleneck queue, bursty loss and delay.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "cbcs/netsim/BottleneckQueue.hpp"
#include "cbcs/netsim/DelayModel.hpp"
#include "cbcs/netsim/GilbertElliott.hpp"
#include "cbcs/netsim/LinkParams.hpp"

namespace cbcs::netsim {

struct LinkStats {
  uint64_t sent = 0;       // valid packets offered to the link
  uint64_t delivered = 0;
  uint64_t lost = 0;       // Gilbert-Elliott loss
  uint64_t dropped = 0;    // drop-tail queue overflow at the bottleneck
  uint64_t invalid = 0;    // rejected input (non-finite time, size out of range)
};

class Link {
 public:
  // Validates params (throws ConfigError). The same seed gives the same trace.
  Link(const LinkParams& params, uint64_t seed);

  // Arrival time in ms of a packet handed to the link at send_ms, or NaN when the packet
  // is lost, dropped or invalid. Send times that go backwards are treated as "now".
  double Send(double send_ms, int32_t size_bytes) noexcept;

  // Batch form of Send over equally long spans (shorter of the three is used).
  void Transmit(std::span<const double> send_ms, std::span<const int32_t> size_bytes,
                std::span<double> arrival_ms) noexcept;

  const LinkParams& params() const noexcept { return params_; }
  const LinkStats& stats() const noexcept { return stats_; }

  static constexpr int32_t kMaxPacketBytes = 65535;

 private:
  LinkParams params_;
  std::optional<BottleneckQueue> bottleneck_;
  GilbertElliott loss_;
  DelayModel delay_;
  LinkStats stats_;
  double last_send_ms_ = 0.0;
};

}  // namespace cbcs::netsim
