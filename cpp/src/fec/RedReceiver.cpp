// RED depacketisation with sequence inference and duplicate suppression.
#include "cbcs/fec/RedReceiver.hpp"

#include <array>
#include <string>

#include "cbcs/common/ConfigError.hpp"
#include "cbcs/rtp/RedPayload.hpp"

namespace cbcs::fec {

RedReceiver::RedReceiver(uint32_t samples_per_frame, std::size_t window)
    : samples_per_frame_(samples_per_frame) {
  if (samples_per_frame < 1) {
    throw ConfigError("samples_per_frame: expected >= 1, got " + std::to_string(samples_per_frame));
  }
  if (window < 32 || window > 32768) {
    throw ConfigError("window: expected 32..32768, got " + std::to_string(window));
  }
  delivered_.assign(window, 0);
}

bool RedReceiver::TestAndSet(int64_t seq) noexcept {
  const auto w = static_cast<int64_t>(delivered_.size());
  if (!started_) {
    started_ = true;
    highest_ = seq;
    delivered_[static_cast<std::size_t>(seq % w + w) % delivered_.size()] = 1;
    return true;
  }
  if (seq <= highest_ - w) return false;  // older than the window: treat as delivered
  if (seq > highest_) {
    // Clear the flags of the sequence numbers the window moves over.
    const int64_t clear_from = std::max(highest_ + 1, seq - w + 1);
    for (int64_t s = clear_from; s <= seq; ++s) delivered_[static_cast<std::size_t>(((s % w) + w) % w)] = 0;
    highest_ = seq;
  }
  uint8_t& flag = delivered_[static_cast<std::size_t>(((seq % w) + w) % w)];
  if (flag) return false;
  flag = 1;
  return true;
}

bool RedReceiver::MarkDelivered(uint16_t sequence) noexcept {
  return TestAndSet(unwrapper_.Unwrap(sequence));
}

std::size_t RedReceiver::OnPacket(uint16_t sequence, uint32_t timestamp,
                                  std::span<const uint8_t> red_payload,
                                  std::span<MediaFrame> out) noexcept {
  ++stats_.packets;
  std::array<rtp::RedBlock, kMaxBlocks> blocks;
  std::size_t count = 0;
  if (rtp::RedPayload::Parse(red_payload, blocks, count) != rtp::RedParseStatus::kOk) {
    ++stats_.malformed;
    return 0;
  }
  const int64_t seq = unwrapper_.Unwrap(sequence);
  std::size_t n = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const rtp::RedBlock& b = blocks[i];
    const bool primary = i + 1 == count;
    if (!primary && (b.timestamp_offset == 0 || b.timestamp_offset % samples_per_frame_ != 0)) {
      continue;
    }
    const int64_t block_seq = seq - static_cast<int64_t>(b.timestamp_offset / samples_per_frame_);
    if (n >= out.size()) break;  // the caller's array is full: leave the rest undelivered
    if (!TestAndSet(block_seq)) {
      ++stats_.duplicates;
      continue;
    }
    out[n++] = MediaFrame{static_cast<uint16_t>(block_seq), timestamp - b.timestamp_offset,
                          b.data, !primary};
    ++(primary ? stats_.primary : stats_.recovered);
  }
  return n;
}

}  // namespace cbcs::fec
