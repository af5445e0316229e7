// Send-side bandwidth estimation: the composition.
#include "cbcs/cc/SendSideBwe.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::cc {
namespace {

constexpr double kOwdBucketMs = 10'000;
// Ramp-up probes only while the queue stays this shallow: a path with spare capacity.
constexpr double kRampQueueMs = 10;
// ... and only once this much more gets through than when the path last congested.
constexpr double kRampAboveCongestion = 1.05;
// A burst-dispersion capacity sample needs this many back-to-back pairs over this much time.
constexpr int kMinBurstPairs = 8;
constexpr double kMinBurstGapsMs = 40;
constexpr double kBurstRateHoldMs = 1000;
constexpr double kSpareCapacityRatio = 1.25;
constexpr double kSevereQueueMs = 100;
constexpr double kSevereDeliveryRatio = 0.8;
constexpr double kAloneRatio = 1.2;
// The full-queue test needs this many packets over its loss window(s).
constexpr int64_t kMinLossPackets = 10;

AimdConfig MakeAimd(const SendSideBweConfig& c) {
  AimdConfig a;
  a.start_bps = c.start_bps;
  a.min_bps = c.min_bps;
  a.max_bps = c.max_bps;
  a.beta = c.beta;
  return a;
}

size_t CheckedHistory(size_t h) {
  if (h < 64 || h > (1u << 16) || (h & (h - 1)) != 0) {
    throw ConfigError("history: expected a power of two in 64..65536, got " + std::to_string(h));
  }
  return h;
}

}  // namespace

SendSideBwe::SendSideBwe(const SendSideBweConfig& config)
    : config_(config),
      history_(CheckedHistory(config.history)),
      scratch_(config.history),
      parsed_(TransportFeedback::kMaxStatusCount),
      trendline_(config.trendline),
      detector_(config.overuse),
      acked_(config.acked),
      aimd_(MakeAimd(config)),
      loss_(config.loss, config.start_bps, config.max_bps),
      probes_(config.probing, config.max_bps),
      target_(config.start_bps) {}

void SendSideBwe::OnPacketSent(uint16_t seq, size_t size_bytes, double send_ms, int probe_cluster,
                               int probe_min_packets) noexcept {
  const int64_t s = unwrapper_.Unwrap(seq);
  Sent& slot = history_[static_cast<size_t>(s) & (history_.size() - 1)];
  slot = Sent{s, send_ms, static_cast<uint32_t>(size_bytes), static_cast<int16_t>(probe_cluster),
              static_cast<int16_t>(probe_min_packets), 0};
  sent_bytes_ += static_cast<double>(size_bytes);
}

void SendSideBwe::OnFeedback(std::span<const PacketResult> results, double now_ms) noexcept {
  size_t n = 0;
  int64_t received = 0, lost = 0;
  // Of those, the packets sent after the last decrease: only they show whether it was enough.
  int64_t received_after = 0, lost_after = 0;
  double min_owd_after = std::numeric_limits<double>::infinity();
  double delivered_bytes = 0;
  double min_rtt = std::numeric_limits<double>::infinity();
  const size_t mask = history_.size() - 1;
  for (const PacketResult& r : results) {
    const int64_t s = unwrapper_.Unwrap(r.seq);
    Sent& slot = history_[static_cast<size_t>(s) & mask];
    if (slot.seq != s) {
      ++unknown_;
      continue;
    }
    if (std::isnan(r.arrival_ms)) {
      if (slot.state == 0) {
        slot.state = 1;
        ++lost;
        if (slot.send_ms > last_delay_cut_ms_) ++lost_after;
      }
      continue;
    }
    if (slot.state == 2) continue;  // reported again (feedback windows may overlap)
    if (slot.state == 1) --lost;    // reported lost before, arrived late after all
    slot.state = 2;
    ++received;
    if (slot.send_ms > last_delay_cut_ms_) {
      ++received_after;
      min_owd_after = std::min(min_owd_after, r.arrival_ms - slot.send_ms);
    }
    delivered_bytes += slot.size;
    min_rtt = std::min(min_rtt, now_ms - slot.send_ms);
    if (n < scratch_.size()) {
      scratch_[n++] = Acked{slot.send_ms, r.arrival_ms, slot.size, slot.cluster, slot.cluster_min};
    }
  }
  ++feedbacks_;
  loss_.OnPacketResults(received, std::max<int64_t>(lost, 0));
  if (std::isfinite(min_rtt)) {
    rtt_ms_ = rtt_ms_ < 0 ? min_rtt : 0.8 * rtt_ms_ + 0.2 * min_rtt;
    aimd_.SetRtt(rtt_ms_);
  }
  if (n == 0) {
    UpdateTarget(now_ms);
    return;
  }
  // Delay-based estimation needs arrival order; ties broken by send order.
  std::sort(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(n),
            [](const Acked& a, const Acked& b) {
              return a.arrival_ms < b.arrival_ms || (a.arrival_ms == b.arrival_ms && a.send_ms < b.send_ms);
            });
  bool overused = false;
  double last_owd = 0;
  double min_owd = std::numeric_limits<double>::infinity();
  if (owd_bucket_start_ms_ < 0 || now_ms - owd_bucket_start_ms_ > kOwdBucketMs) {
    owd_min_[1] = owd_min_[0];
    owd_min_[0] = std::numeric_limits<double>::infinity();
    owd_bucket_start_ms_ = now_ms;
  }
  for (size_t i = 0; i < n; ++i) {
    const Acked& a = scratch_[i];
    last_owd = a.arrival_ms - a.send_ms;
    min_owd = std::min(min_owd, last_owd);
    owd_min_[0] = std::min(owd_min_[0], last_owd);
    acked_.OnPacket(a.arrival_ms, a.size);
    if (a.cluster >= 0) probe_estimator_.OnProbePacket(a.cluster, a.cluster_min, a.send_ms, a.arrival_ms, a.size, now_ms);
    InterArrivalDelta d;
    if (inter_arrival_.Update(a.send_ms, a.arrival_ms, a.size, &d)) {
      trendline_.Update(d.arrival_delta_ms, d.send_delta_ms, d.arrival_ms);
      const BandwidthUsage u = detector_.Detect(trendline_.modified_trend(), trendline_.trend(),
                                                d.send_delta_ms, trendline_.num_deltas(), d.arrival_ms);
      overused = overused || u == BandwidthUsage::kOverusing;
    }
  }
  UpdateBurstRate(n, now_ms);
  const double base_owd = std::min(owd_min_[0], owd_min_[1]);
  queue_ms_ = std::max(0.0, last_owd - base_owd);
  // The shallowest point of this feedback: the standing part of the queue, without the
  // saw-tooth each paced frame adds on top.
  const double min_queue = std::max(0.0, min_owd - base_owd);
  UpdateCompeting(min_queue, delivered_bytes, now_ms);
  // Even the shallowest packet of this feedback waited this long, and the queue grew by half
  // of that since the last feedback: the capacity fell sharply and a drop-tail queue is
  // filling faster than the trendline (a window of 20 groups, smoothed) can turn. React now
  // rather than a few hundred ms later, when the queue has overflowed. Not while a loss-based
  // competitor keeps the queue standing, and not when this feedback's packets came out faster
  // than we send: that is a stall (radio, FIFO hiccup) releasing what queued behind it.
  if (!competing_ && n > 1 && min_queue >= kSevereQueueMs &&
      min_queue - last_min_queue_ms_ >= kSevereQueueMs / 2) {
    const double span = scratch_[n - 1].arrival_ms - scratch_[0].arrival_ms;
    double bytes = 0;
    for (size_t i = 1; i < n; ++i) bytes += scratch_[i].size;
    if (span > 0 && bytes * 8000 / span < kSevereDeliveryRatio * target_) overused = true;
  }
  last_min_queue_ms_ = min_queue;
  // A full drop-tail queue has no delay gradient: the trendline sees nothing while we lose
  // what does not fit. Persistent loss behind a standing queue is that overuse.
  // Either test needs the path saturated: back-to-back packets that still come through well
  // above what gets delivered show spare capacity, and the "queue" is then delay jitter
  // above the minimum while the loss is the link's own.
  const std::optional<double> delivered_rate =
      acked_.recent_bps() ? acked_.recent_bps() : acked_.bitrate_bps();
  const bool spare = delivered_rate && burst_rate_bps_ > kSpareCapacityRatio * *delivered_rate;
  // On a jittery path the shallowest packet of a feedback sits above the 10 s minimum by
  // about the delay spread itself: only a queue deeper than that spread is one that stands.
  double max_owd = -std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < n; ++i) {
    max_owd = std::max(max_owd, scratch_[i].arrival_ms - scratch_[i].send_ms);
  }
  if (n > 1) {
    const double range = max_owd - min_owd;
    spread_ms_ = spread_ms_ <= 0 ? range : 0.9 * spread_ms_ + 0.1 * range;
  }
  const double standing_ms = std::max(config_.standing_queue_ms, spread_ms_);
  const double own_queue = spare || min_queue < standing_ms ? 0.0 : min_queue;
  if (!competing_ && FullQueueLoss(own_queue, received_after, lost_after, now_ms) &&
      !overused) {
    overused = true;
    ++full_queue_overuses_;
  }
  // A queue that stays standing for packets sent after our last decrease, flat (no gradient)
  // and without loss, means we still send about what the path carries: drain it.
  if (!spare && std::isfinite(min_owd_after) && min_owd_after - base_owd >= standing_ms) {
    if (own_standing_since_ms_ < 0) own_standing_since_ms_ = now_ms;
  } else {
    own_standing_since_ms_ = -1;
  }
  if (!competing_ && !overused && own_standing_since_ms_ >= 0 &&
      now_ms - own_standing_since_ms_ >= config_.standing_overuse_ms) {
    overused = true;
    ++standing_overuses_;
  }
  // A standing queue kept up by a competitor is not ours to drain: cutting below beta would
  // only hand it more of the link.
  aimd_.SetQueueDelay(competing_ ? 0.0 : queue_ms_);
  // While the queue is standing the path runs at capacity, so what got through lately is a
  // direct capacity sample: decreases use it when it is below the smoothed estimate, which
  // after a capacity drop still holds traffic from before it for seconds.
  std::optional<double> acked = acked_.bitrate_bps();
  const std::optional<double> recent = acked_.recent_bps();
  if (acked && overused) {
    if (recent && *recent < *acked) {
      // Below beta x the smoothed estimate the path has changed: restart the estimate there
      // rather than let it hold the old rate through the next decisions.
      if (*recent < config_.beta * *acked) acked_.ResetTo(*recent);
      acked = *recent;
    }
    // Delivery rate over this feedback's arrivals (the first packet's bytes arrived before
    // the span began).
    const double span = scratch_[n - 1].arrival_ms - scratch_[0].arrival_ms;
    if (span >= 50) {
      double bytes = 0;
      for (size_t i = 1; i < n; ++i) bytes += scratch_[i].size;
      acked = std::min(*acked, bytes * 8000 / span);
    }
  }
  // An overuse with no standing queue behind it while back-to-back packets still come through
  // well above what gets delivered is the noise of the frame bursts on 5 ms groups, not
  // congestion (a congested FIFO spreads the pairs to the delivery rate): backing off would
  // cost seconds of increase for nothing. Hold instead.
  const bool false_alarm = overused && acked && min_queue < kRampQueueMs &&
                           burst_rate_bps_ > kSpareCapacityRatio * *acked;
  if (false_alarm) {
    overused = false;
    ++false_alarms_;
  }
  if (burst_rate_bps_ > 0 && !overused) aimd_.OnCapacitySample(burst_rate_bps_);
  // Pairs come out of the bottleneck at its full rate. When that is about the capacity we
  // got at our last overuse we have the link to ourselves and may refill quickly after a
  // back-off; well above it the link is shared, and only the rate-independent additive
  // increase makes the flows converge to equal shares.
  const std::optional<double> capacity = aimd_.link_capacity_bps();
  aimd_.SetRefill(!capacity || burst_rate_bps_ <= kAloneRatio * *capacity);
  std::optional<double> probe = probe_estimator_.FetchEstimate();
  if (probe) ++probe_results_;
  // A saturated probe is kept even on a path that has congested before: its receive rate is
  // what the bottleneck gave us at full demand. On a shared path that is more than our share,
  // but the overuse it causes brings the rate back, and a discarded result would leave the
  // estimate creeping 8 %/s towards capacity the probe has just found.
  if (overused && acked) overuse_acked_bps_ = *acked;
  if (probe && *probe > aimd_.target_bps()) ramp_since_ms_ = -1;  // the ramp starts over from the result
  if (overused) {
    if (aimd_.TimeToReduceFurther(now_ms, acked)) {
      aimd_.Update(BandwidthUsage::kOverusing, acked, now_ms);
      last_delay_cut_ms_ = now_ms;
      own_standing_since_ms_ = -1;
    }
  } else if (probe && *probe > aimd_.target_bps()) {
    aimd_.SetEstimate(*probe, now_ms);
    loss_.OnProbeResult(*probe);
    // A probe the path could not carry at its send rate arrived at the bottleneck's rate:
    // grow from there additively, as near a known capacity, not 8 %/s into its queue.
    if (probe_estimator_.last_saturated()) aimd_.SetLinkCapacity(*probe / ProbeBitrateEstimator::kTargetUtilization);
  } else if (!false_alarm) {
    aimd_.Update(detector_.state(), acked, now_ms);
  }
  UpdateTarget(now_ms);
  MaybeRampProbe(overused ? std::numeric_limits<double>::infinity() : min_queue, now_ms);
}

void SendSideBwe::UpdateBurstRate(size_t n, double now_ms) noexcept {
  // Packets the pacer sent faster than the target leave a bottleneck no closer together than
  // its capacity allows (packet-pair dispersion): bytes over arrival gaps of such pairs is a
  // lower bound of the capacity. Below capacity the pairs arrive as spaced as they were sent,
  // so on a link that has grown well past the estimate this is the pacing rate, above it.
  // Sums run across feedbacks: at low rates one feedback holds only a few pairs.
  double& bytes = burst_bytes_;
  double& gaps = burst_gaps_ms_;
  int& pairs = burst_pairs_;
  for (size_t i = 1; i < n; ++i) {
    const Acked& a = scratch_[i - 1];
    const Acked& b = scratch_[i];
    const double send_gap = b.send_ms - a.send_ms;
    if (send_gap <= 0 || send_gap * target_ >= b.size * 8000.0) continue;
    bytes += b.size;
    gaps += std::max(0.0, b.arrival_ms - a.arrival_ms);
    ++pairs;
  }
  if (pairs >= kMinBurstPairs && gaps >= kMinBurstGapsMs) {
    burst_rate_bps_ = bytes * 8000 / gaps;
    burst_rate_ms_ = now_ms;
    bytes = gaps = 0;
    pairs = 0;
  } else if (now_ms - burst_rate_ms_ > kBurstRateHoldMs) {
    // Not every feedback holds enough pairs; a sample stands for a while, then goes stale.
    burst_rate_bps_ = 0;
  }
}

bool SendSideBwe::FullQueueLoss(double min_queue_ms, int64_t received, int64_t lost,
                                double now_ms) noexcept {
  if (loss_window_start_ms_ < 0) loss_window_start_ms_ = now_ms;
  if (now_ms - loss_window_start_ms_ >= config_.congestion_loss_window_ms) {
    prev_received_ = loss_received_;
    prev_lost_ = loss_lost_;
    loss_received_ = loss_lost_ = 0;
    loss_window_start_ms_ = now_ms;
  }
  loss_received_ += received;
  loss_lost_ += lost;
  // The queue must have stood for the whole window, not just now: a delay spike on a lossy
  // path is not a full buffer.
  if (min_queue_ms < config_.standing_queue_ms || standing_since_ms_ < 0 ||
      now_ms - standing_since_ms_ < config_.congestion_loss_window_ms) {
    return false;
  }
  // Loss still going on (in this window) and over the window before as well: not one burst.
  const int64_t total = loss_received_ + loss_lost_ + prev_received_ + prev_lost_;
  if (lost == 0 || loss_lost_ == 0 || total < kMinLossPackets) return false;
  const double fraction = static_cast<double>(loss_lost_ + prev_lost_) / static_cast<double>(total);
  if (fraction <= config_.congestion_loss) return false;
  // A decrease counts only packets sent after it (see OnFeedback): start the windows over.
  loss_received_ = loss_lost_ = prev_received_ = prev_lost_ = 0;
  loss_window_start_ms_ = now_ms;
  return true;
}

void SendSideBwe::UpdateCompeting(double min_queue_ms, double delivered_bytes,
                                  double now_ms) noexcept {
  const double sent = sent_bytes_;
  sent_bytes_ = 0;
  if (min_queue_ms >= config_.standing_queue_ms) {
    shallow_since_ms_ = -1;
    if (standing_since_ms_ < 0) {
      standing_since_ms_ = now_ms;
      standing_peak_ms_ = 0;
      drain_bytes_ = 0;
    }
    standing_peak_ms_ = std::max(standing_peak_ms_, min_queue_ms);
    // Bytes our sending took out of the queue since it began to stand: had the queue been
    // ours alone, it would be empty once they reach its depth at our delivered rate. The
    // feedback shows the queue as it was a queueing delay plus a round trip ago, so the
    // credit must also cover what drains over that lag before an empty queue could show.
    drain_bytes_ = std::max(0.0, drain_bytes_ + delivered_bytes - sent);
    const std::optional<double> rate =
        acked_.recent_bps() ? acked_.recent_bps() : acked_.bitrate_bps();
    if (rate) {
      const double lag_ms = standing_peak_ms_ + std::max(rtt_ms_, 0.0);
      const double queue_ms = standing_peak_ms_ + lag_ms + config_.standing_queue_ms;
      if (drain_bytes_ >= queue_ms * *rate / 8000) competing_ = true;
    }
  } else {
    standing_since_ms_ = -1;
    if (competing_) {
      if (shallow_since_ms_ < 0) shallow_since_ms_ = now_ms;
      if (now_ms - shallow_since_ms_ >= config_.competing_exit_ms) competing_ = false;
    }
  }
  detector_.SetCompeting(competing_);
}

void SendSideBwe::MaybeRampProbe(double min_queue_ms, double now_ms) noexcept {
  // Multiplicative increase (no link capacity known, or it was left behind) with a normal
  // delay signal, an empty queue and more getting through than when the path last congested:
  // the path has grown. 8 %/s would take seconds to find how much; a probe a little above the
  // estimate finds it in a round trip, and a probe the path cannot carry in full is discarded
  // (see OnFeedback). Below the last congestion level (after a back-off, or while sharing)
  // there is nothing to probe for: the additive/multiplicative increase finds the share, and
  // jumps there would take it from the other flows.
  const std::optional<double> acked = acked_.bitrate_bps();
  const double delivered = std::max(acked.value_or(0), burst_rate_bps_);
  const bool grown = delivered > 0 && delivered > kRampAboveCongestion * overuse_acked_bps_;
  const bool ramping = config_.ramp_probing && grown && !competing_ && !aimd_.link_capacity_bps() &&
                       aimd_.state() == AimdRateControl::State::kIncrease &&
                       detector_.state() == BandwidthUsage::kNormal && min_queue_ms < kRampQueueMs;
  if (!ramping) {
    ramp_since_ms_ = -1;
    return;
  }
  if (ramp_since_ms_ < 0) {
    ramp_since_ms_ = now_ms;
    return;
  }
  if (now_ms - ramp_since_ms_ < config_.ramp_quiet_ms) return;
  if (probes_.RequestRampProbe(target_, now_ms)) {
    ++ramp_probes_;
    ramp_since_ms_ = now_ms;
  }
}

void SendSideBwe::UpdateTarget(double now_ms) noexcept {
  const double delay_based = aimd_.target_bps();
  const double rtt = std::max(rtt_ms_, 0.0);
  const bool delay_cut = now_ms - last_delay_cut_ms_ < 2 * (rtt + 300);
  const double loss_bound = loss_.Update(std::min(target_, delay_based), rtt, now_ms, delay_cut);
  double t = std::min({delay_based, loss_bound, remb_bps_});
  target_ = std::clamp(t, config_.min_bps, config_.max_bps);
  probes_.OnEstimate(target_, now_ms);
}

FeedbackStatus SendSideBwe::OnTransportFeedback(std::span<const uint8_t> rtcp, double now_ms) noexcept {
  const FeedbackStatus st = feedback_.Parse(rtcp);
  if (st != FeedbackStatus::kOk) {
    ++bad_feedback_;
    return st;
  }
  // Unwrap the 24-bit reference time so arrival times stay continuous across feedbacks.
  const int32_t ticks = feedback_.reference_ticks();
  if (!has_reference_) {
    has_reference_ = true;
    reference_us_ = int64_t{ticks} * TransportFeedback::kReferenceTickUs;
  } else {
    int32_t diff = (ticks - last_reference_ticks_) & 0xFFFFFF;
    if (diff >= (1 << 23)) diff -= (1 << 24);
    reference_us_ += int64_t{diff} * TransportFeedback::kReferenceTickUs;
  }
  last_reference_ticks_ = ticks;
  size_t n = 0;
  const int64_t offset = reference_us_ - feedback_.BaseTimeUs();
  const bool timestamps = feedback_.has_timestamps();
  feedback_.ForEachPacket([&](uint16_t seq, bool rx, int64_t at_us) {
    if (n >= parsed_.size()) return;
    PacketResult& r = parsed_[n++];
    r.seq = seq;
    r.arrival_ms = rx && timestamps ? static_cast<double>(at_us + offset) / 1000.0
                                    : std::numeric_limits<double>::quiet_NaN();
    // Timestamp-less feedback (transport-cc-02 without timestamps) carries no delay signal;
    // its received packets are left out rather than fed to the delay estimator as lost.
    if (rx && !timestamps) --n;
  });
  OnFeedback(std::span<const PacketResult>(parsed_.data(), n), now_ms);
  return FeedbackStatus::kOk;
}

void SendSideBwe::OnRemb(double bps, double now_ms) noexcept {
  if (!(bps > 0)) return;
  remb_bps_ = bps;
  UpdateTarget(now_ms);
}

void SendSideBwe::Process(double now_ms) noexcept { probes_.Process(target_, now_ms); }

size_t SendSideBwe::TakeProbeClusters(std::span<ProbeCluster> out) noexcept {
  return probes_.TakeClusters(out.data(), out.size());
}

SendSideBweStats SendSideBwe::stats() const noexcept {
  SendSideBweStats s;
  s.target_bps = target_;
  s.delay_based_bps = aimd_.target_bps();
  s.loss_based_bps = loss_.bound_bps();
  s.acked_bps = acked_.bitrate_bps().value_or(0);
  s.link_capacity_bps = aimd_.link_capacity_bps().value_or(0);
  s.burst_rate_bps = burst_rate_bps_;
  s.rtt_ms = std::max(rtt_ms_, 0.0);
  s.queue_delay_ms = queue_ms_;
  s.loss_fraction = loss_.last_loss_fraction();
  s.trend = trendline_.trend();
  s.threshold_ms = detector_.threshold_ms();
  s.usage = detector_.state();
  s.feedbacks = feedbacks_;
  s.unknown_packets = unknown_;
  s.bad_feedback = bad_feedback_;
  s.probe_results = probe_results_;
  s.ramp_probes = ramp_probes_;
  s.false_alarms = false_alarms_;
  s.full_queue_overuses = full_queue_overuses_;
  s.standing_overuses = standing_overuses_;
  s.recent_acked_bps = acked_.recent_bps().value_or(0);
  s.competing = competing_;
  return s;
}

}  // namespace cbcs::cc
