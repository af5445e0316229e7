// Receiver side of transport-wide congestion control: records the arrival time of every
// packet by transport sequence number and, every feedback interval, builds the RTCP transport
// feedback packets that report them (re-reporting late, reordered arrivals as Chrome does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cbcs/cc/TransportFeedback.hpp"
#include "cbcs/common/Sequence.hpp"

namespace cbcs::cc {

struct FeedbackGeneratorConfig {
  double interval_ms = 100;  // Chrome sends every 50-250 ms, 100 by default
  size_t history = 8192;     // packets remembered (power of two)
  size_t max_packets_per_feedback = 2048;
  uint32_t sender_ssrc = 1;
  uint32_t media_ssrc = 0;
};

class FeedbackGenerator {
 public:
  explicit FeedbackGenerator(const FeedbackGeneratorConfig& config = {});  // ConfigError

  // A packet with transport sequence number seq arrived at arrival_ms.
  void OnPacket(uint16_t seq, double arrival_ms) noexcept;
  // When a feedback is due, writes one feedback packet into out and returns its size; 0 when
  // nothing is due or nothing to report. Call again at the same now_ms while it returns
  // non-zero: a long window is split over several packets.
  size_t Poll(double now_ms, std::span<uint8_t> out) noexcept;
  double next_feedback_ms() const noexcept { return next_send_ms_; }
  uint64_t dropped_old() const noexcept { return dropped_old_; }

 private:
  FeedbackGeneratorConfig config_;
  TransportFeedback feedback_;
  std::vector<int64_t> arrival_us_;  // ring by unwrapped seq; -1 = not received
  std::vector<int64_t> seq_of_;      // which unwrapped seq a slot holds
  SeqUnwrapper unwrapper_;
  int64_t highest_ = -1;
  int64_t window_start_ = -1;  // first sequence number not yet reported
  double next_send_ms_ = -1;
  bool more_pending_ = false;
  uint8_t fb_count_ = 0;
  uint64_t dropped_old_ = 0;
};

}  // namespace cbcs::cc
