// NetEq-class adaptive jitter buffer for PCM audio: Put packets, Get 10 ms blocks.
#include "cbcs/jitter/JitterBuffer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::jitter {
namespace {

constexpr int kSeenSize = 1024;  // power of two
constexpr int64_t kNoSeq = std::numeric_limits<int64_t>::min();

const JitterConfig& Validate(const JitterConfig& c) {
  if (c.sample_rate != 8000 && c.sample_rate != 16000 && c.sample_rate != 48000) {
    throw ConfigError("sample_rate: expected one of 8000, 16000, 48000, got " +
                      std::to_string(c.sample_rate));
  }
  if (c.min_delay_ms < 0 || c.min_delay_ms > 10000) {
    throw ConfigError("min_delay_ms: expected 0..10000, got " + std::to_string(c.min_delay_ms));
  }
  if (c.max_delay_ms < 100 || c.max_delay_ms > 10000 || c.max_delay_ms < c.min_delay_ms) {
    throw ConfigError("max_delay_ms: expected 100..10000 and >= min_delay_ms, got " +
                      std::to_string(c.max_delay_ms));
  }
  if (!(c.quantile >= 0.5 && c.quantile < 1.0)) {
    throw ConfigError("quantile: expected 0.5 <= quantile < 1, got " + std::to_string(c.quantile));
  }
  if (!(c.forget_ms >= 100.0 && c.forget_ms <= 600000.0)) {
    throw ConfigError("forget_ms: expected 100..600000, got " + std::to_string(c.forget_ms));
  }
  if (!(c.margin_ms >= -200.0 && c.margin_ms <= 1000.0)) {
    throw ConfigError("margin_ms: expected -200..1000, got " + std::to_string(c.margin_ms));
  }
  return c;
}

int Capacity(const JitterConfig& c) { return (c.max_delay_ms + 600) / 10 + 8; }

}  // namespace

JitterBuffer::JitterBuffer(const JitterConfig& config)
    : config_(Validate(config)),
      fs_(config.sample_rate),
      block_(config.sample_rate / 100),
      max_packet_(config.sample_rate * 60 / 1000),
      history_(config.sample_rate * 40 / 1000),
      max_read_(config.sample_rate / 100 + config.sample_rate * 3 / 200),
      max_span_(static_cast<int64_t>(config.sample_rate) * (config.max_delay_ms + 400) / 1000),
      packets_(Capacity(config), config.sample_rate * 60 / 1000),
      delay_(config),
      stretch_(config.sample_rate, config.sample_rate / 100,
               config.sample_rate * 40 / 1000 + config.sample_rate / 100 +
                   config.sample_rate * 3 / 200),
      expand_(config.sample_rate, config.sample_rate * 40 / 1000),
      merge_(config.sample_rate),
      out_(static_cast<size_t>(block_)),
      hist_(static_cast<size_t>(4 * history_ + block_)),
      hist_end_(history_),
      work_(static_cast<size_t>(history_ + max_read_ + block_)),
      conceal_(static_cast<size_t>(3 * block_)),
      noise_(static_cast<size_t>(3 * block_)),
      seen_(kSeenSize, kNoSeq) {}

int64_t JitterBuffer::TsAt(double ms) const noexcept {
  const double ts = std::floor(ms * fs_ / 1000.0);
  constexpr double kLimit = 4.0e18;  // inside int64, far beyond any real timeline
  return static_cast<int64_t>(std::clamp(ts, -kLimit, kLimit));
}

double JitterBuffer::TargetDelayMs() const noexcept {
  return delay_.HasData() ? delay_.TargetDelayMs() : config_.min_delay_ms;
}

void JitterBuffer::ResetStream(uint16_t seq, uint32_t timestamp, double arrival_ms) noexcept {
  if (has_stream_) {
    ++stats_.stream_resets;
    stats_.flushed_packets += packets_.DropBefore(std::numeric_limits<int64_t>::max());
    const int64_t expected = highest_seq_ - first_seq_ + 1;
    if (expected > static_cast<int64_t>(unique_received_)) {
      lost_base_ += static_cast<uint64_t>(expected - static_cast<int64_t>(unique_received_));
    }
  }
  packets_.Clear();
  seq_unwrap_.Reset();
  ts_unwrap_.Reset();
  std::fill(seen_.begin(), seen_.end(), kNoSeq);
  const int64_t useq = seq_unwrap_.Unwrap(seq);
  const int64_t uts = ts_unwrap_.Unwrap(timestamp);
  first_seq_ = highest_seq_ = useq;
  highest_ts_ = uts;
  highest_arrival_ = arrival_ms;
  unique_received_ = 0;
  if (delay_.HasData()) {
    // Keep the learnt jitter profile; the new stream's first packet counts as a fast one.
    delay_.Shift(arrival_ms - Ms(uts) - delay_.LowRelativeMs());
  }
  pos_ = uts;
  wait_ = 0;
  if (started_) concealing_ = true;  // fade from whatever was playing into the new stream
  started_ = false;
  decision_.Reset();
  has_stream_ = true;
}

PutStatus JitterBuffer::Put(int64_t seq, int64_t timestamp, const int16_t* pcm, int64_t samples,
                            double arrival_ms) noexcept {
  if (seq < 0 || seq > 0xFFFF || timestamp < 0 || timestamp > 0xFFFFFFFFLL || pcm == nullptr ||
      samples < block_ || samples > max_packet_ || samples % block_ != 0 ||
      !std::isfinite(arrival_ms) || arrival_ms < 0 || arrival_ms > kMaxTimeMs) {
    ++stats_.invalid_packets;
    return PutStatus::kInvalid;
  }
  const int n = static_cast<int>(samples);
  if (!has_stream_) ResetStream(static_cast<uint16_t>(seq), static_cast<uint32_t>(timestamp), arrival_ms);

  int64_t useq = seq_unwrap_.Unwrap(static_cast<uint16_t>(seq));
  int64_t uts = ts_unwrap_.Unwrap(static_cast<uint32_t>(timestamp));
  if (seen_[useq & (kSeenSize - 1)] == useq) {
    ++stats_.duplicate_packets;
    return PutStatus::kDuplicate;
  }
  double relative = arrival_ms - Ms(uts);
  const bool older = useq < highest_seq_;
  if (delay_.HasData()) {
    // A timeline the network cannot explain is a timestamp jump (stream reset, new
    // source): audio earlier than the fastest packets by more than any jitter, newer
    // packets going back in time, or audio later than max delay that is not a straggler.
    const double dev = relative - delay_.LowRelativeMs();
    const double early_limit = std::max(1000.0, static_cast<double>(config_.max_delay_ms));
    const bool backwards = !older && useq != highest_seq_ && uts < highest_ts_;
    const bool too_late = dev > config_.max_delay_ms + 1000.0;
    if (too_late && older) {
      ++stats_.late_packets;
      return PutStatus::kLate;
    }
    if (dev < -early_limit || backwards || too_late || useq - highest_seq_ > 3000) {
      ResetStream(static_cast<uint16_t>(seq), static_cast<uint32_t>(timestamp), arrival_ms);
      useq = highest_seq_;
      uts = highest_ts_;
      relative = arrival_ms - Ms(uts);
    }
  }

  seen_[useq & (kSeenSize - 1)] = useq;
  ++unique_received_;
  if (useq > highest_seq_) {
    highest_seq_ = useq;
    highest_ts_ = uts;
    highest_arrival_ = arrival_ms;
  } else if (useq < highest_seq_) {
    ++stats_.reordered_packets;
    // How long after its successor a reordered packet came: the loss decision waits
    // about that long before giving up on a missing packet (capped at 40 ms).
    reorder_wait_ms_ = std::max(reorder_wait_ms_, std::min(40.0, arrival_ms - highest_arrival_));
    if (useq < first_seq_) first_seq_ = useq;
  }
  delay_.Update(relative, n * 1000.0 / fs_, arrival_ms);

  if (started_ && uts + n <= pos_) {
    ++stats_.late_packets;
    return PutStatus::kLate;
  }
  if (!started_ && (packets_.Empty() || uts < pos_)) pos_ = uts;

  PutStatus status = PutStatus::kOk;
  // Bounded delay: audio that would sit further ahead of playout than max delay allows
  // pushes the oldest audio out.
  const int64_t end = std::max(packets_.End(uts + n), uts + n);
  if (end - pos_ > max_span_) {
    const int64_t new_pos = end - max_span_;
    stats_.flushed_packets += packets_.DropBefore(new_pos);
    pos_ = new_pos;
    wait_ = 0;
    status = PutStatus::kOverflow;
    if (uts + n <= pos_) {
      ++stats_.overflow_packets;
      return status;
    }
  }
  PacketBuffer::InsertResult r = packets_.Insert(useq, uts, pcm, n, arrival_ms);
  while (r == PacketBuffer::InsertResult::kFull && !packets_.Empty()) {
    // Out of slots (many short packets): drop the oldest.
    stats_.flushed_packets += 1;
    packets_.PopFront();
    status = PutStatus::kOverflow;
    r = packets_.Insert(useq, uts, pcm, n, arrival_ms);
  }
  if (r == PacketBuffer::InsertResult::kDuplicate) {
    ++stats_.duplicate_packets;
    return PutStatus::kDuplicate;
  }
  if (status == PutStatus::kOverflow) ++stats_.overflow_packets;
  ++stats_.packets_received;
  return status;
}

void JitterBuffer::PushHistory(const int16_t* x, int n) noexcept {
  // Append-only window: the last history_ samples end at hist_end_. Moving them back to
  // the front happens once every few blocks, not on every block.
  if (n >= history_) {
    std::memcpy(hist_.data(), x + n - history_, history_ * sizeof(int16_t));
    hist_end_ = history_;
    return;
  }
  if (hist_end_ + n > static_cast<int>(hist_.size())) {
    std::memmove(hist_.data(), hist_.data() + hist_end_ - history_, history_ * sizeof(int16_t));
    hist_end_ = history_;
  }
  std::memcpy(hist_.data() + hist_end_, x, n * sizeof(int16_t));
  hist_end_ += n;
}

void JitterBuffer::SetHistory(const int16_t* x) noexcept {
  std::memcpy(hist_.data(), x, history_ * sizeof(int16_t));
  hist_end_ = history_;
}

float JitterBuffer::MeanSquare(const int16_t* x, int n) noexcept {
  // Four partial sums so the compiler can vectorise without reassociating a single chain.
  float a = 0.0f, b = 0.0f, c = 0.0f, d = 0.0f;
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const float x0 = x[i], x1 = x[i + 1], x2 = x[i + 2], x3 = x[i + 3];
    a += x0 * x0;
    b += x1 * x1;
    c += x2 * x2;
    d += x3 * x3;
  }
  for (; i < n; ++i) a += static_cast<float>(x[i]) * static_cast<float>(x[i]);
  return n > 0 ? (a + b + c + d) / static_cast<float>(n) : 0.0f;
}

void JitterBuffer::BeginConcealment() noexcept {
  if (concealing_) return;
  concealing_ = true;
  expand_.Start(History(), history_);
  background_.UseBackground();
  // Concealment that starts in near-silence is a pause (DTX) or lost silence: play the
  // background noise, not a repeated period of it.
  quiet_gap_ = last_energy_ < 4.0 * std::max(1.0, static_cast<double>(background_.Level())) &&
               last_energy_ < 3.0e5;
}

void JitterBuffer::ConcealFloat(float* out, int count) noexcept {
  float* bg = noise_.data();
  std::fill(bg, bg + count, 0.0f);
  background_.Generate(bg, count, 1.0f);
  if (quiet_gap_) {
    std::memcpy(out, bg, count * sizeof(float));
    return;
  }
  expand_.GenerateFloat(bg, out, count);
}

void JitterBuffer::Conceal(int16_t* out, int count) noexcept {
  float* tmp = conceal_.data();
  ConcealFloat(tmp, count);
  for (int i = 0; i < count; ++i) {
    out[i] = static_cast<int16_t>(std::lrint(std::clamp(tmp[i], -32768.0f, 32767.0f)));
  }
}

int JitterBuffer::MergeInto(int16_t* out, int n, bool* tail_concealed) noexcept {
  // Continue the concealment a little beyond the block so Merge can align phases.
  const int conceal_len = n + merge_.SearchSamples();
  ConcealFloat(conceal_.data(), conceal_len);
  const int avail = packets_.Read(pos_, n, work_.data());
  return merge_.Process(conceal_.data(), conceal_len, work_.data(), avail, n, out,
                        tail_concealed);
}

void JitterBuffer::Account(Playout& p, int concealed_samples) noexcept {
  stats_.kind_counts[static_cast<int>(p.kind)]++;
  const double ms = 1000.0 / fs_;
  if (p.kind == PlayoutKind::kComfortNoise) {
    stats_.comfort_noise_ms += concealed_samples * ms;
  } else {
    stats_.concealed_ms += concealed_samples * ms;
  }
}

Playout JitterBuffer::Get(double now_ms) noexcept {
  if (!std::isfinite(now_ms) || now_ms < -kMaxTimeMs || now_ms > kMaxTimeMs) {
    now_ms = last_now_ + 10.0;
  }
  last_now_ = now_ms;
  Playout p;
  p.pcm = out_.data();
  p.samples = block_;
  const int n = block_;

  if (!started_ && has_stream_ && !packets_.Empty()) {
    pos_ = packets_.At(0).timestamp;
    if (now_ms - Ms(pos_) >= delay_.TargetRelativeMs()) {
      started_ = true;
      decision_.Reset();
    }
  }
  if (!started_) {
    p.target_delay_ms = TargetDelayMs();
    if (concealing_) {  // after a stream reset: keep the old stream's background going
      Conceal(out_.data(), n);
      PushHistory(out_.data(), n);
      p.kind = PlayoutKind::kComfortNoise;
    } else {
      std::memset(out_.data(), 0, n * sizeof(int16_t));
      p.kind = PlayoutKind::kSilence;
    }
    Account(p, p.kind == PlayoutKind::kComfortNoise ? n : 0);
    return p;
  }

  const double target = delay_.TargetRelativeMs();
  const double low = delay_.LowRelativeMs();
  p.target_delay_ms = target - low;
  double delay = now_ms - Ms(pos_);
  if (delay - low > config_.max_delay_ms) {
    // Bounded delay: give up on what we were waiting for / skip buffered audio so that
    // playout is back at the target.
    const int64_t new_pos = TsAt(now_ms - target);
    if (new_pos > pos_) {
      stats_.flushed_packets += packets_.DropBefore(new_pos);
      pos_ = new_pos;
      wait_ = 0;
      delay = now_ms - Ms(pos_);
    }
  }
  current_delay_ms_ = delay - low;

  const int avail = packets_.Read(pos_, max_read_, nullptr);
  const int newer = avail == 0 ? packets_.FirstAfter(pos_) : -1;
  DecisionInput in;
  in.has_current = avail > 0;
  in.available = avail;
  in.block = n;
  in.min_stretch = stretch_.MinLag();
  in.concealing = concealing_;
  in.newer_buffered = newer >= 0;
  in.newer_age_ms = newer >= 0 ? now_ms - packets_.At(newer).arrival_ms : 0.0;
  in.reorder_wait_ms = reorder_wait_ms_;
  // The next packet to arrive is needed as soon as a block reaches into it: with the read
  // position c samples before the end of the buffered audio, that is Ms(c mod block)
  // before its own timestamp would be played. Stretching leaves pos_ off the packet grid,
  // so steer this effective delay, not the raw one.
  if (avail > 0) {
    const int contiguous = packets_.Read(pos_, std::numeric_limits<int>::max(), nullptr);
    in.excess_ms = delay - Ms(contiguous % n) - target;
  } else {
    in.excess_ms = delay - target;
  }
  // Reordering evidence fades over about 10 s.
  reorder_wait_ms_ *= 0.999;
  Operation op = decision_.Decide(in);

  const int64_t start = pos_;
  int concealed = 0;
  switch (op) {
    case Operation::kAccelerate:
    case Operation::kPreemptiveExpand: {
      std::memcpy(work_.data(), History(), history_ * sizeof(int16_t));
      const int got = packets_.Read(pos_, max_read_, work_.data() + history_);
      const bool force = std::fabs(in.excess_ms) > 80.0;
      // Remove or add at most the delay error (but at least the shortest period).
      const double error = std::min(std::fabs(in.excess_ms), 1000.0) * fs_ / 1000.0;
      const int limit = std::max(stretch_.MinLag(), static_cast<int>(error));
      int consumed =
          op == Operation::kAccelerate
              ? stretch_.Accelerate(work_.data(), history_, got, out_.data(), force, limit)
              : stretch_.PreemptiveExpand(work_.data(), history_, got, out_.data(), force, limit);
      if (consumed > 0) {
        SetHistory(work_.data() + consumed);
        packets_.MarkRead(pos_, pos_ + consumed);
        pos_ += consumed;
        p.has_timestamp = true;
        p.timestamp = static_cast<uint32_t>(start);
        p.source_samples = consumed;
        if (op == Operation::kAccelerate) {
          p.kind = PlayoutKind::kAccelerate;
          stats_.accelerated_ms += (consumed - n) * 1000.0 / fs_;
        } else {
          p.kind = PlayoutKind::kPreemptiveExpand;
          stats_.expanded_ms += (n - consumed) * 1000.0 / fs_;
        }
        break;
      }
      op = Operation::kNormal;  // not periodic enough to stretch cleanly this time
      [[fallthrough]];
    }
    case Operation::kNormal: {
      const int got = packets_.Read(pos_, n, out_.data());
      packets_.MarkRead(pos_, pos_ + got);
      pos_ += got;
      p.has_timestamp = true;
      p.timestamp = static_cast<uint32_t>(start);
      p.source_samples = got;
      p.kind = PlayoutKind::kNormal;
      last_energy_ = MeanSquare(out_.data(), got);
      if (got == n) background_.Observe(out_.data(), n, last_energy_);
      if (got < n) {
        // The audio ends inside this block and nothing follows yet: conceal the rest.
        PushHistory(out_.data(), got);
        BeginConcealment();
        Conceal(out_.data() + got, n - got);
        PushHistory(out_.data() + got, n - got);
        wait_ += n - got;
        concealed = n - got;
        break;
      }
      PushHistory(out_.data(), n);
      break;
    }
    case Operation::kMerge: {
      bool tail = false;
      const int consumed = MergeInto(out_.data(), n, &tail);
      packets_.MarkRead(pos_, pos_ + consumed);
      pos_ += consumed;
      wait_ = 0;
      concealing_ = tail;
      p.has_timestamp = consumed > 0;
      p.timestamp = static_cast<uint32_t>(start);
      p.source_samples = consumed;
      p.kind = PlayoutKind::kMerge;
      concealed = n - consumed;
      PushHistory(out_.data(), n);
      break;
    }
    case Operation::kWait: {
      BeginConcealment();
      const bool cn = quiet_gap_ || expand_.Faded();
      Conceal(out_.data(), n);
      PushHistory(out_.data(), n);
      wait_ += n;
      p.kind = cn ? PlayoutKind::kComfortNoise : PlayoutKind::kExpand;
      concealed = n;
      break;
    }
    case Operation::kConcealLoss: {
      const int64_t next_ts = packets_.At(newer).timestamp;
      // Concealment already played while waiting covers the start of the gap.
      pos_ += std::min(wait_, next_ts - pos_);
      wait_ = 0;
      BeginConcealment();
      const bool cn = quiet_gap_ || expand_.Faded();
      const int gap = static_cast<int>(std::min<int64_t>(n, next_ts - pos_));
      if (gap > 0) {
        Conceal(out_.data(), gap);
        pos_ += gap;
      }
      concealed = gap;
      if (gap < n) {
        bool tail = false;
        const int64_t merge_start = pos_;
        const int consumed = MergeInto(out_.data() + gap, n - gap, &tail);
        packets_.MarkRead(pos_, pos_ + consumed);
        pos_ += consumed;
        concealing_ = tail;
        p.has_timestamp = consumed > 0;
        p.timestamp = static_cast<uint32_t>(merge_start);
        p.source_samples = consumed;
        p.kind = PlayoutKind::kMerge;
        concealed = n - consumed;
      } else {
        p.kind = cn ? PlayoutKind::kComfortNoise : PlayoutKind::kExpand;
      }
      PushHistory(out_.data(), n);
      break;
    }
  }
  Account(p, concealed);
  // Played (or skipped) audio leaves the buffer.
  stats_.flushed_packets += packets_.DropBefore(pos_);
  return p;
}

JitterStats JitterBuffer::Stats() const noexcept {
  JitterStats s = stats_;
  s.target_delay_ms = TargetDelayMs();
  s.current_delay_ms = current_delay_ms_;
  const int64_t expected = has_stream_ ? highest_seq_ - first_seq_ + 1 : 0;
  s.lost_packets = lost_base_ + (expected > static_cast<int64_t>(unique_received_)
                                     ? static_cast<uint64_t>(expected - unique_received_)
                                     : 0);
  return s;
}

}  // namespace cbcs::jitter
