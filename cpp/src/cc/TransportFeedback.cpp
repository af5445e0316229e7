// RTCP transport-wide congestion control feedback: parse and build.
#include "cbcs/cc/TransportFeedback.hpp"

#include <algorithm>
#include <string>

#include "cbcs/common/ConfigError.hpp"
#include "cbcs/common/Sequence.hpp"

namespace cbcs::cc {
namespace {

constexpr uint8_t kRtpfb = 205;
constexpr uint8_t kFmt = 15;
constexpr size_t kRunLengthMax = 0x1FFF;
constexpr size_t kOneBitCapacity = 14;
constexpr size_t kTwoBitCapacity = 7;

uint16_t Read16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t Read32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
void Write16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void Write32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// The chunk being filled while encoding. Chrome's encoder makes the same greedy choices, so the
// same statuses give the same bytes: keep adding while the symbols still fit one chunk (a
// two-bit vector holds 7, a one-bit vector 14 without large deltas, a run up to 8191 equal
// symbols); when the next one does not fit, emit a run if all were equal, a one-bit vector if
// 14 are pending, else a two-bit vector of the first 7 and keep the rest.
class PendingChunk {
 public:
  bool CanAdd(uint8_t s) const {
    if (size_ < kTwoBitCapacity) return true;
    if (size_ < kOneBitCapacity && !has_large_ && s != TransportFeedback::kLargeDelta) return true;
    return size_ < kRunLengthMax && all_same_ && s == pending_[0];
  }
  void Add(uint8_t s) {
    if (size_ < kOneBitCapacity) pending_[size_] = s;
    ++size_;
    all_same_ = all_same_ && s == pending_[0];
    has_large_ = has_large_ || s == TransportFeedback::kLargeDelta;
  }
  bool Empty() const { return size_ == 0; }
  uint16_t Emit() {
    if (all_same_) {
      const uint16_t chunk = RunLength();
      Clear();
      return chunk;
    }
    if (size_ == kOneBitCapacity) {
      const uint16_t chunk = OneBit();
      Clear();
      return chunk;
    }
    const uint16_t chunk = TwoBit(kTwoBitCapacity);
    size_ -= kTwoBitCapacity;
    all_same_ = true;
    has_large_ = false;
    for (size_t i = 0; i < size_; ++i) {
      pending_[i] = pending_[kTwoBitCapacity + i];
      all_same_ = all_same_ && pending_[i] == pending_[0];
      has_large_ = has_large_ || pending_[i] == TransportFeedback::kLargeDelta;
    }
    return chunk;
  }
  uint16_t EmitLast() const {
    if (all_same_) return RunLength();
    if (size_ <= kTwoBitCapacity) return TwoBit(size_);
    return OneBit();
  }

 private:
  void Clear() {
    size_ = 0;
    all_same_ = true;
    has_large_ = false;
  }
  uint16_t RunLength() const { return static_cast<uint16_t>((pending_[0] << 13) | size_); }
  uint16_t OneBit() const {
    uint16_t chunk = 0x8000;
    for (size_t i = 0; i < size_; ++i) chunk |= static_cast<uint16_t>(pending_[i] << (13 - i));
    return chunk;
  }
  uint16_t TwoBit(size_t n) const {
    uint16_t chunk = 0xC000;
    for (size_t i = 0; i < n; ++i) chunk |= static_cast<uint16_t>(pending_[i] << (2 * (6 - i)));
    return chunk;
  }

  uint8_t pending_[kOneBitCapacity] = {};
  size_t size_ = 0;
  bool all_same_ = true;
  bool has_large_ = false;
};

}  // namespace

const char* ToString(FeedbackStatus status) noexcept {
  switch (status) {
    case FeedbackStatus::kOk: return "ok";
    case FeedbackStatus::kTooShort: return "too short";
    case FeedbackStatus::kNotTransportFeedback: return "not a transport-cc feedback (PT 205, FMT 15)";
    case FeedbackStatus::kBadPadding: return "bad padding";
    case FeedbackStatus::kEmpty: return "empty (packet status count 0)";
    case FeedbackStatus::kTruncated: return "truncated chunks or receive deltas";
    case FeedbackStatus::kReservedSymbol: return "reserved status symbol 11";
    case FeedbackStatus::kTooManyPackets: return "too many packet statuses";
    case FeedbackStatus::kOutOfOrder: return "sequence number not newer than the last one";
    case FeedbackStatus::kDeltaTooLarge: return "receive delta beyond +-8191.75 ms";
    case FeedbackStatus::kBufferTooSmall: return "output buffer too small";
  }
  return "unknown";
}

TransportFeedback::TransportFeedback(size_t max_packets) : capacity_(max_packets) {
  if (max_packets < 1 || max_packets > kMaxStatusCount) {
    throw ConfigError("max_packets: expected 1..65535, got " + std::to_string(max_packets));
  }
  symbols_.resize(max_packets);
  deltas_.resize(max_packets);
}

void TransportFeedback::Reset(uint32_t sender_ssrc, uint32_t media_ssrc, uint16_t base_seq,
                              int64_t reference_time_us, uint8_t feedback_count) noexcept {
  sender_ssrc_ = sender_ssrc;
  media_ssrc_ = media_ssrc;
  base_seq_ = base_seq;
  fb_count_ = feedback_count;
  int64_t wrapped = reference_time_us % kReferenceWrapUs;
  if (wrapped < 0) wrapped += kReferenceWrapUs;
  // Written as 24 unsigned bits; read back signed (as libwebrtc does), hence the sign extension.
  const int32_t ticks = static_cast<int32_t>(wrapped / kReferenceTickUs);
  reference_ticks_ = ticks >= (1 << 23) ? ticks - (1 << 24) : ticks;
  last_time_us_ = (reference_time_us - wrapped) + int64_t{ticks} * kReferenceTickUs;
  count_ = 0;
  delta_bytes_ = 0;
  has_timestamps_ = true;
  packet_size_ = 0;
}

FeedbackStatus TransportFeedback::AddReceivedPacket(uint16_t seq, int64_t arrival_us) noexcept {
  size_t index = 0;
  if (count_ > 0) {
    const uint16_t last = static_cast<uint16_t>(base_seq_ + count_ - 1);
    if (!SeqNewer(seq, last)) return FeedbackStatus::kOutOfOrder;
    index = count_ + static_cast<size_t>(SeqDelta(last, seq)) - 1;
  } else {
    if (SeqDelta(base_seq_, seq) < 0) return FeedbackStatus::kOutOfOrder;
    index = static_cast<size_t>(SeqDelta(base_seq_, seq));
  }
  const size_t limit = std::min(capacity_, kMaxBuildPackets);
  if (index >= limit) return FeedbackStatus::kTooManyPackets;

  // Nearest 250 us tick, ties away from zero, on the 24-bit reference-time circle.
  int64_t delta_us = (arrival_us - last_time_us_) % kReferenceWrapUs;
  if (delta_us > kReferenceWrapUs / 2) delta_us -= kReferenceWrapUs;
  if (delta_us < -kReferenceWrapUs / 2) delta_us += kReferenceWrapUs;
  const int64_t ticks = (delta_us + (delta_us < 0 ? -kDeltaTickUs / 2 : kDeltaTickUs / 2)) / kDeltaTickUs;
  if (ticks < INT16_MIN || ticks > INT16_MAX) return FeedbackStatus::kDeltaTooLarge;

  for (size_t i = count_; i < index; ++i) symbols_[i] = kNotReceived;
  const uint8_t s = (ticks >= 0 && ticks <= 0xFF) ? kSmallDelta : kLargeDelta;
  symbols_[index] = s;
  deltas_[index] = static_cast<int16_t>(ticks);
  delta_bytes_ += s;
  count_ = index + 1;
  last_time_us_ += ticks * kDeltaTickUs;
  return FeedbackStatus::kOk;
}

template <typename Sink>
void TransportFeedback::EncodeChunks(Sink&& sink) const noexcept {
  PendingChunk chunk;
  for (size_t i = 0; i < count_; ++i) {
    if (!chunk.CanAdd(symbols_[i])) sink(chunk.Emit());
    chunk.Add(symbols_[i]);
  }
  if (!chunk.Empty()) sink(chunk.EmitLast());
}

size_t TransportFeedback::ChunkCount() const noexcept {
  size_t n = 0;
  EncodeChunks([&n](uint16_t) { ++n; });
  return n;
}

size_t TransportFeedback::SerializedSize() const noexcept {
  if (count_ == 0) return 0;
  const size_t unpadded = kHeaderBytes + 2 * ChunkCount() + delta_bytes_;
  return (unpadded + 3) & ~size_t{3};
}

size_t TransportFeedback::Serialize(std::span<uint8_t> out) const noexcept {
  const size_t total = SerializedSize();
  if (total == 0 || out.size() < total) return 0;
  uint8_t* p = out.data();
  const size_t chunks = ChunkCount();
  const size_t unpadded = kHeaderBytes + 2 * chunks + delta_bytes_;
  const size_t padding = total - unpadded;
  // RFC 3550 padding, as Chrome writes it: P bit set, zeros, the last byte the padding count.
  p[0] = static_cast<uint8_t>(0x80 | (padding > 0 ? 0x20 : 0) | kFmt);
  p[1] = kRtpfb;
  Write16(p + 2, static_cast<uint16_t>(total / 4 - 1));
  Write32(p + 4, sender_ssrc_);
  Write32(p + 8, media_ssrc_);
  Write16(p + 12, base_seq_);
  Write16(p + 14, static_cast<uint16_t>(count_));
  const uint32_t ref = static_cast<uint32_t>(reference_ticks_) & 0xFFFFFF;
  p[16] = static_cast<uint8_t>(ref >> 16);
  p[17] = static_cast<uint8_t>(ref >> 8);
  p[18] = static_cast<uint8_t>(ref);
  p[19] = fb_count_;
  size_t pos = kHeaderBytes;
  EncodeChunks([&](uint16_t c) {
    Write16(p + pos, c);
    pos += 2;
  });
  for (size_t i = 0; i < count_; ++i) {
    if (symbols_[i] == kSmallDelta) {
      p[pos++] = static_cast<uint8_t>(deltas_[i]);
    } else if (symbols_[i] == kLargeDelta) {
      Write16(p + pos, static_cast<uint16_t>(deltas_[i]));
      pos += 2;
    }
  }
  for (size_t i = 0; i + 1 < padding; ++i) p[pos++] = 0;
  if (padding > 0) p[pos++] = static_cast<uint8_t>(padding);
  return pos;
}

FeedbackStatus TransportFeedback::Parse(std::span<const uint8_t> data) noexcept {
  count_ = 0;
  delta_bytes_ = 0;
  packet_size_ = 0;
  has_timestamps_ = true;
  if (data.size() < 4) return FeedbackStatus::kTooShort;
  const uint8_t* p = data.data();
  if ((p[0] >> 6) != 2 || (p[0] & 0x1F) != kFmt || p[1] != kRtpfb) {
    return FeedbackStatus::kNotTransportFeedback;
  }
  const size_t length = (size_t{Read16(p + 2)} + 1) * 4;
  if (data.size() < length) return FeedbackStatus::kTooShort;
  size_t end = length;
  if (p[0] & 0x20) {
    const size_t padding = p[length - 1];
    if (padding == 0 || padding > length - 4) return FeedbackStatus::kBadPadding;
    end -= padding;
  }
  // Fixed part plus at least one chunk, as Chrome requires.
  if (end < kHeaderBytes + 2) return FeedbackStatus::kTooShort;
  sender_ssrc_ = Read32(p + 4);
  media_ssrc_ = Read32(p + 8);
  base_seq_ = Read16(p + 12);
  const size_t status_count = Read16(p + 14);
  const uint32_t ref = (uint32_t{p[16]} << 16) | (uint32_t{p[17]} << 8) | p[18];
  reference_ticks_ = static_cast<int32_t>(ref << 8) >> 8;  // sign-extend 24 bits
  fb_count_ = p[19];
  if (status_count == 0) return FeedbackStatus::kEmpty;
  if (status_count > capacity_) return FeedbackStatus::kTooManyPackets;

  size_t pos = kHeaderBytes;
  size_t n = 0;
  while (n < status_count) {
    if (pos + 2 > end) return FeedbackStatus::kTruncated;
    const uint16_t chunk = Read16(p + pos);
    pos += 2;
    const size_t left = status_count - n;
    if ((chunk & 0x8000) == 0) {  // run length: symbol in bits 13-14, length in the low 13
      const uint8_t s = static_cast<uint8_t>((chunk >> 13) & 0x3);
      const size_t run = std::min<size_t>(chunk & 0x1FFF, left);
      if (s == 3 && run > 0) return FeedbackStatus::kReservedSymbol;
      std::fill_n(symbols_.begin() + static_cast<std::ptrdiff_t>(n), run, s);
      n += run;
    } else if ((chunk & 0x4000) == 0) {  // 14 one-bit symbols: 1 = received with small delta
      const size_t k = std::min(kOneBitCapacity, left);
      for (size_t i = 0; i < k; ++i) symbols_[n + i] = static_cast<uint8_t>((chunk >> (13 - i)) & 1);
      n += k;
    } else {  // 7 two-bit symbols
      const size_t k = std::min(kTwoBitCapacity, left);
      for (size_t i = 0; i < k; ++i) {
        const uint8_t s = static_cast<uint8_t>((chunk >> (2 * (6 - i))) & 3);
        if (s == 3) return FeedbackStatus::kReservedSymbol;
        symbols_[n + i] = s;
      }
      n += k;
    }
  }
  size_t needed = 0;
  for (size_t i = 0; i < status_count; ++i) needed += symbols_[i];
  if (pos + needed <= end) {
    for (size_t i = 0; i < status_count; ++i) {
      if (symbols_[i] == kSmallDelta) {
        deltas_[i] = p[pos++];
      } else if (symbols_[i] == kLargeDelta) {
        deltas_[i] = static_cast<int16_t>(Read16(p + pos));
        pos += 2;
      } else {
        deltas_[i] = 0;
      }
    }
  } else {
    // Too short for the deltas: Chrome reads this as statuses without timestamps (the form
    // transport-cc-02 allows), and so do we.
    has_timestamps_ = false;
    std::fill_n(deltas_.begin(), status_count, int16_t{0});
  }
  count_ = status_count;
  delta_bytes_ = needed;
  packet_size_ = length;
  return FeedbackStatus::kOk;
}

}  // namespace cbcs::cc
