// RED payloads from a ring of the last max_depth * max_spacing frames.
#include "cbcs/fec/RedEncoder.hpp"

#include <array>
#include <cstring>
#include <string>

#include "cbcs/common/ConfigError.hpp"
#include "cbcs/rtp/RedPayload.hpp"

namespace cbcs::fec {
namespace {
constexpr std::size_t kDepthLimit = 8;
}

RedEncoder::RedEncoder(std::size_t max_depth, std::size_t max_spacing, uint8_t payload_type)
    : max_depth_(max_depth), max_spacing_(max_spacing), payload_type_(payload_type) {
  if (max_depth > kDepthLimit) {
    throw ConfigError("max_depth: expected 0..8, got " + std::to_string(max_depth));
  }
  if (max_spacing < 1 || max_spacing > 16) {
    throw ConfigError("max_spacing: expected 1..16, got " + std::to_string(max_spacing));
  }
  if (payload_type > 127) {
    throw ConfigError("payload_type: expected 0..127, got " + std::to_string(payload_type));
  }
  const std::size_t n = max_depth * max_spacing + 1;
  entries_.resize(n);
  data_.resize(n * kMaxFrame);
}

void RedEncoder::Reset() noexcept {
  for (Entry& e : entries_) e.valid = false;
  frames_ = 0;
}

std::size_t RedEncoder::MaxSize(std::size_t frame_size, std::size_t depth) const noexcept {
  return 1 + frame_size + depth * (4 + kMaxFrame);
}

std::size_t RedEncoder::Encode(uint32_t timestamp, std::span<const uint8_t> frame,
                               std::size_t depth, std::size_t spacing,
                               std::span<uint8_t> out) noexcept {
  if (depth > max_depth_ || spacing < 1 || spacing > max_spacing_) return 0;
  std::array<rtp::RedBlock, kDepthLimit> blocks{};
  std::size_t n = 0;
  const std::size_t ring = entries_.size();
  for (std::size_t i = depth; i >= 1; --i) {  // oldest first
    const uint64_t back = i * spacing;
    if (back > frames_) continue;
    const std::size_t index = static_cast<std::size_t>((frames_ - back) % ring);
    const Entry& e = entries_[index];
    if (!e.valid) continue;
    const uint32_t offset = timestamp - e.timestamp;
    if (offset == 0 || offset > rtp::RedPayload::kMaxTimestampOffset) continue;
    blocks[n++] = rtp::RedBlock{payload_type_, offset,
                                std::span<const uint8_t>(&data_[index * kMaxFrame], e.size)};
  }
  const std::size_t size =
      rtp::RedPayload::Build(std::span(blocks.data(), n), payload_type_, frame, out);
  if (size == 0) return 0;
  const std::size_t slot = static_cast<std::size_t>(frames_ % ring);
  Entry& e = entries_[slot];
  e.timestamp = timestamp;
  e.valid = frame.size() <= kMaxFrame;
  e.size = e.valid ? frame.size() : 0;
  if (e.valid && !frame.empty()) std::memcpy(&data_[slot * kMaxFrame], frame.data(), frame.size());
  ++frames_;
  return size;
}

}  // namespace cbcs::fec
