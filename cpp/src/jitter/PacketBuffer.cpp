// Received audio packets ordered by unwrapped RTP timestamp, in storage sized once.
#include "cbcs/jitter/PacketBuffer.hpp"

#include <algorithm>
#include <cstring>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::jitter {

PacketBuffer::PacketBuffer(int capacity, int max_samples)
    : slots_(static_cast<size_t>(capacity)),
      pcm_(static_cast<size_t>(capacity) * static_cast<size_t>(max_samples)),
      order_(static_cast<size_t>(capacity)),
      free_(static_cast<size_t>(capacity)),
      read_(static_cast<size_t>(capacity)),
      max_samples_(max_samples) {
  if (capacity <= 0 || max_samples <= 0) {
    throw ConfigError("PacketBuffer: expected positive capacity and packet size, got " +
                      std::to_string(capacity) + " and " + std::to_string(max_samples));
  }
  free_count_ = capacity;
  for (int i = 0; i < capacity; ++i) free_[i] = capacity - 1 - i;
}

PacketBuffer::InsertResult PacketBuffer::Insert(int64_t seq, int64_t timestamp,
                                                const int16_t* pcm, int samples,
                                                double arrival_ms) noexcept {
  if (samples <= 0 || samples > max_samples_) return InsertResult::kFull;
  // Position in timestamp order; packets are few (tens), a linear scan from the back is
  // cheapest because new packets are almost always the newest.
  int pos = count_;
  while (pos > 0 && slots_[order_[pos - 1]].timestamp > timestamp) --pos;
  if (pos > 0 && slots_[order_[pos - 1]].timestamp == timestamp) return InsertResult::kDuplicate;
  if (free_count_ == 0) return InsertResult::kFull;
  const int slot = free_[--free_count_];
  slots_[slot] = Info{timestamp, seq, samples, arrival_ms};
  read_[slot] = 0;
  std::memcpy(pcm_.data() + static_cast<size_t>(slot) * max_samples_, pcm,
              static_cast<size_t>(samples) * sizeof(int16_t));
  std::memmove(order_.data() + pos + 1, order_.data() + pos,
               static_cast<size_t>(count_ - pos) * sizeof(int));
  order_[pos] = slot;
  ++count_;
  return InsertResult::kOk;
}

int PacketBuffer::DropBefore(int64_t position) noexcept {
  int unread = 0;
  int n = 0;
  while (n < count_) {
    const Info& p = slots_[order_[n]];
    if (p.timestamp + p.samples > position) break;
    if (!read_[order_[n]]) ++unread;
    free_[free_count_++] = order_[n];
    ++n;
  }
  if (n > 0) {
    std::memmove(order_.data(), order_.data() + n, static_cast<size_t>(count_ - n) * sizeof(int));
    count_ -= n;
  }
  return unread;
}

void PacketBuffer::PopFront() noexcept {
  if (count_ == 0) return;
  free_[free_count_++] = order_[0];
  std::memmove(order_.data(), order_.data() + 1, static_cast<size_t>(count_ - 1) * sizeof(int));
  --count_;
}

int PacketBuffer::Read(int64_t position, int max, int16_t* out) const noexcept {
  int got = 0;
  int64_t at = position;
  for (int i = 0; i < count_ && got < max; ++i) {
    const Info& p = slots_[order_[i]];
    if (p.timestamp + p.samples <= at) continue;  // entirely before the read point
    if (p.timestamp > at) break;                   // gap
    const int offset = static_cast<int>(at - p.timestamp);
    const int take = std::min(p.samples - offset, max - got);
    if (out != nullptr) {
      std::memcpy(out + got, pcm_.data() + static_cast<size_t>(order_[i]) * max_samples_ + offset,
                  static_cast<size_t>(take) * sizeof(int16_t));
    }
    got += take;
    at += take;
  }
  return got;
}

void PacketBuffer::MarkRead(int64_t from, int64_t to) noexcept {
  for (int i = 0; i < count_; ++i) {
    const Info& p = slots_[order_[i]];
    if (p.timestamp >= to) break;
    if (p.timestamp + p.samples > from) read_[order_[i]] = 1;
  }
}

int PacketBuffer::FirstAfter(int64_t position) const noexcept {
  for (int i = 0; i < count_; ++i) {
    if (slots_[order_[i]].timestamp > position) return i;
  }
  return -1;
}

int64_t PacketBuffer::End(int64_t fallback) const noexcept {
  if (count_ == 0) return fallback;
  const Info& p = slots_[order_[count_ - 1]];
  return p.timestamp + p.samples;
}

}  // namespace cbcs::jitter
