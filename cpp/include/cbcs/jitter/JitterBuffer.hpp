// NetEq-class adaptive jitter buffer for PCM audio: Put packets, Get 10 ms blocks.
#pragma once

#include <cstdint>
#include <vector>

#include "cbcs/common/Sequence.hpp"
#include "cbcs/jitter/ComfortNoise.hpp"
#include "cbcs/jitter/DecisionLogic.hpp"
#include "cbcs/jitter/DelayManager.hpp"
#include "cbcs/jitter/Expand.hpp"
#include "cbcs/jitter/JitterTypes.hpp"
#include "cbcs/jitter/Merge.hpp"
#include "cbcs/jitter/PacketBuffer.hpp"
#include "cbcs/jitter/TimeStretch.hpp"

namespace cbcs::jitter {

// Playout model. The read position pos_ (an unwrapped RTP timestamp) advances through the
// received audio; "playout delay" P = now - pos_/rate (in ms, up to the sender's clock
// offset) is compared with the DelayManager's target in the same units, and the block is
// time-stretched (accelerate / preemptive expand) to steer P to the target.
//
// When the audio at pos_ is missing:
//  - nothing newer is buffered (a delay spike, a lost packet whose successor is not here
//    yet, or DTX): conceal but keep pos_, i.e. wait. If the packet then comes, it plays
//    (late, so P grew; accelerate brings it back). If a newer packet comes instead, the
//    concealment already played counts toward the gap, so a loss costs no delay.
//  - newer audio is buffered: after a reorder-aware wait the gap is a loss; conceal
//    across it while pos_ advances, then merge into the newer audio.
// Sender clock drift shows up as a slow trend in P's error and is absorbed the same way.
class JitterBuffer {
 public:
  explicit JitterBuffer(const JitterConfig& config);  // throws ConfigError

  // One received packet. seq must be in [0, 65535], timestamp in [0, 2^32), pcm one
  // packet of 10..60 ms (a multiple of 10 ms) at the sample rate, arrival_ms finite and
  // in [0, 1e12]. Anything else is counted and answered with kInvalid. Never throws and
  // does not allocate.
  PutStatus Put(int64_t seq, int64_t timestamp, const int16_t* pcm, int64_t samples,
                double arrival_ms) noexcept;
  // Counts a packet the binding rejected before it could reach Put (wrong dtype, ...).
  void CountInvalid() noexcept { ++stats_.invalid_packets; }

  // The next 10 ms block; call every 10 ms. The pcm pointer stays valid until the next
  // Get. A non-finite now_ms (or one beyond +-1e12) is taken as 10 ms after the previous
  // call.
  Playout Get(double now_ms) noexcept;

  JitterStats Stats() const noexcept;
  // The block buffer every Playout::pcm points into (fixed for the object's life).
  const int16_t* BlockBuffer() const noexcept { return out_.data(); }
  int SampleRate() const noexcept { return fs_; }
  int BlockSamples() const noexcept { return block_; }
  double TargetDelayMs() const noexcept;

  static constexpr double kMaxTimeMs = 1e12;

 private:
  double Ms(int64_t ts) const noexcept { return static_cast<double>(ts) * 1000.0 / fs_; }
  int64_t TsAt(double ms) const noexcept;
  void ResetStream(uint16_t seq, uint32_t timestamp, double arrival_ms) noexcept;
  void BeginConcealment() noexcept;
  void Conceal(int16_t* out, int count) noexcept;
  void ConcealFloat(float* out, int count) noexcept;
  void PushHistory(const int16_t* x, int n) noexcept;
  void SetHistory(const int16_t* x) noexcept;
  const int16_t* History() const noexcept { return hist_.data() + hist_end_ - history_; }
  static float MeanSquare(const int16_t* x, int n) noexcept;
  int MergeInto(int16_t* out, int n, bool* tail_concealed) noexcept;
  void Account(Playout& p, int concealed_samples) noexcept;

  JitterConfig config_;
  int fs_;
  int block_;
  int max_packet_;
  int history_;     // samples of history kept for concealment and stretching
  int max_read_;    // source samples a stretch may look at
  int64_t max_span_;

  PacketBuffer packets_;
  DelayManager delay_;
  DecisionLogic decision_;
  TimeStretch stretch_;
  Expand expand_;
  Merge merge_;
  ComfortNoise background_;
  SeqUnwrapper seq_unwrap_;
  TimestampUnwrapper ts_unwrap_;

  std::vector<int16_t> out_;
  std::vector<int16_t> hist_;   // the last history_ samples played end at hist_end_
  int hist_end_ = 0;
  std::vector<int16_t> work_;
  std::vector<float> conceal_;
  std::vector<float> noise_;
  std::vector<int64_t> seen_;   // recently received unwrapped sequence numbers

  bool has_stream_ = false;
  bool started_ = false;
  bool concealing_ = false;
  bool quiet_gap_ = false;      // concealment began after near-silence (DTX-like)
  int64_t pos_ = 0;
  int64_t wait_ = 0;            // concealment samples played without moving pos_
  int64_t first_seq_ = 0;
  int64_t highest_seq_ = 0;
  int64_t highest_ts_ = 0;
  double highest_arrival_ = 0;
  uint64_t unique_received_ = 0;
  uint64_t lost_base_ = 0;
  double reorder_wait_ms_ = 0;
  double last_now_ = 0;
  double last_energy_ = 0;
  double current_delay_ms_ = 0;
  JitterStats stats_;
};

}  // namespace cbcs::jitter
