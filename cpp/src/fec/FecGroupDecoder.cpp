// Group bookkeeping and Reed-Solomon recovery of lost media frames.
#include "cbcs/fec/FecGroupDecoder.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "cbcs/common/ConfigError.hpp"
#include "cbcs/fec/FecGroupEncoder.hpp"
#include "cbcs/rtp/ByteIo.hpp"

namespace cbcs::fec {
namespace {
// Repair shards kept per group: voice and video groups use a handful; more are ignored.
constexpr std::size_t kMaxRepairsPerGroup = 16;
constexpr std::size_t kMaxCodecs = 8;
}  // namespace

FecGroupDecoder::FecGroupDecoder(std::size_t max_payload, std::size_t window, std::size_t groups)
    : max_payload_(max_payload) {
  if (max_payload < 1 || max_payload > 8192) {
    throw ConfigError("max_payload: expected 1..8192 bytes, got " + std::to_string(max_payload));
  }
  if (window < 16 || window > 4096) {
    throw ConfigError("window: expected 16..4096 frames, got " + std::to_string(window));
  }
  if (groups < 1 || groups > 256) {
    throw ConfigError("groups: expected 1..256, got " + std::to_string(groups));
  }
  stride_ = FecGroupEncoder::kShardHeaderSize + max_payload;
  slots_.resize(window);
  frames_.assign(window * stride_, 0);
  groups_.resize(groups);
  repair_slots_per_group_ = kMaxRepairsPerGroup;
  repairs_.assign(groups * kMaxRepairsPerGroup * stride_, 0);
  codecs_.reserve(kMaxCodecs);
}

uint8_t* FecGroupDecoder::SlotData(int64_t seq) noexcept {
  const auto w = static_cast<int64_t>(slots_.size());
  return &frames_[static_cast<std::size_t>(((seq % w) + w) % w) * stride_];
}

bool FecGroupDecoder::HasFrame(int64_t seq) const noexcept {
  const auto w = static_cast<int64_t>(slots_.size());
  return slots_[static_cast<std::size_t>(((seq % w) + w) % w)].seq == seq;
}

ReedSolomon* FecGroupDecoder::Codec(std::size_t k, std::size_t m) noexcept {
  for (auto& c : codecs_) {
    if (c->DataShards() == k && c->ParityShards() == m) return c.get();
  }
  if (codecs_.size() >= kMaxCodecs) codecs_.erase(codecs_.begin());
  try {
    codecs_.push_back(std::make_unique<ReedSolomon>(k, m));
  } catch (...) {  // out of memory, or a shape the parser let through: no recovery
    return nullptr;
  }
  return codecs_.back().get();
}

std::size_t FecGroupDecoder::OnFrame(uint16_t sequence, uint32_t timestamp,
                                     std::span<const uint8_t> payload,
                                     std::span<MediaFrame> out) noexcept {
  ++stats_.frames;
  if (payload.size() > max_payload_) return 0;
  const int64_t seq = unwrapper_.Unwrap(sequence);
  const auto w = static_cast<int64_t>(slots_.size());
  slots_[static_cast<std::size_t>(((seq % w) + w) % w)].seq = seq;
  uint8_t* d = SlotData(seq);
  rtp::WriteU32(d, timestamp);
  rtp::WriteU16(d + 4, static_cast<uint16_t>(payload.size()));
  if (!payload.empty()) std::memcpy(d + 6, payload.data(), payload.size());
  std::memset(d + 6 + payload.size(), 0, stride_ - 6 - payload.size());
  std::size_t n = 0;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const Group& grp = groups_[g];
    if (grp.valid && !grp.done && seq >= grp.base && seq < grp.base + static_cast<int64_t>(grp.k)) {
      n += TryDecode(g, out.subspan(n));
    }
  }
  return n;
}

std::size_t FecGroupDecoder::OnRepair(std::span<const uint8_t> repair,
                                      std::span<MediaFrame> out) noexcept {
  ++stats_.repairs;
  if (repair.size() < FecGroupEncoder::kRepairHeaderSize + FecGroupEncoder::kShardHeaderSize) {
    ++stats_.malformed;
    return 0;
  }
  const uint8_t* p = repair.data();
  const std::size_t k = p[2], m = p[3], index = p[4];
  const std::size_t shard_len = repair.size() - FecGroupEncoder::kRepairHeaderSize;
  if (k < 1 || m < 1 || k + m > 255 || index >= m || shard_len > stride_ ||
      k > slots_.size() / 2) {
    ++stats_.malformed;
    return 0;
  }
  const int64_t base = unwrapper_.Unwrap(rtp::ReadU16(p));
  std::size_t g = groups_.size();
  for (std::size_t i = 0; i < groups_.size(); ++i) {
    if (groups_[i].valid && groups_[i].base == base) g = i;
  }
  if (g == groups_.size()) {
    // Replace an empty slot, else the group with the oldest base.
    g = 0;
    for (std::size_t i = 0; i < groups_.size(); ++i) {
      if (!groups_[i].valid) { g = i; break; }
      if (groups_[i].base < groups_[g].base) g = i;
    }
    groups_[g] = Group{true, false, base, k, m, shard_len, {}, 0};
  }
  Group& grp = groups_[g];
  if (grp.k != k || grp.m != m || grp.shard_len != shard_len) {
    ++stats_.malformed;
    return 0;
  }
  if (grp.done || index >= repair_slots_per_group_ || ((grp.have[index / 64] >> (index % 64)) & 1u)) {
    return 0;
  }
  grp.have[index / 64] |= uint64_t{1} << (index % 64);
  ++grp.repair_count;
  std::memcpy(&repairs_[(g * repair_slots_per_group_ + index) * stride_],
              p + FecGroupEncoder::kRepairHeaderSize, shard_len);
  return TryDecode(g, out);
}

std::size_t FecGroupDecoder::TryDecode(std::size_t g, std::span<MediaFrame> out) noexcept {
  Group& grp = groups_[g];
  std::size_t present = 0;
  for (std::size_t j = 0; j < grp.k; ++j) present += HasFrame(grp.base + static_cast<int64_t>(j));
  if (present == grp.k) {
    grp.done = true;
    ++stats_.groups_complete;
    return 0;
  }
  if (present + grp.repair_count < grp.k || out.size() < grp.k - present) return 0;
  ReedSolomon* rs = Codec(grp.k, grp.m);
  if (rs == nullptr) return 0;
  std::array<const uint8_t*, ReedSolomon::kMaxShards> shards{};
  std::array<uint8_t*, ReedSolomon::kMaxShards> data{};
  for (std::size_t j = 0; j < grp.k; ++j) {
    const int64_t seq = grp.base + static_cast<int64_t>(j);
    data[j] = SlotData(seq);
    shards[j] = HasFrame(seq) ? data[j] : nullptr;
  }
  for (std::size_t i = 0; i < grp.m; ++i) {
    const bool have = i < repair_slots_per_group_ && ((grp.have[i / 64] >> (i % 64)) & 1u);
    shards[grp.k + i] = have ? &repairs_[(g * repair_slots_per_group_ + i) * stride_] : nullptr;
  }
  // Frames stored after the group's shard length may hold bytes beyond it: only the first
  // shard_len bytes take part, which is what the encoder protected.
  if (rs->Decode(shards.data(), data.data(), grp.shard_len) != DecodeStatus::kOk) return 0;
  grp.done = true;
  std::size_t n = 0;
  const auto w = static_cast<int64_t>(slots_.size());
  for (std::size_t j = 0; j < grp.k; ++j) {
    if (shards[j] != nullptr) continue;
    const int64_t seq = grp.base + static_cast<int64_t>(j);
    uint8_t* d = data[j];
    const std::size_t len = rtp::ReadU16(d + 4);
    if (len + FecGroupEncoder::kShardHeaderSize > grp.shard_len) {
      ++stats_.malformed;  // inconsistent repair data: do not hand out garbage
      continue;
    }
    std::memset(d + grp.shard_len, 0, stride_ - grp.shard_len);
    slots_[static_cast<std::size_t>(((seq % w) + w) % w)].seq = seq;
    out[n++] = MediaFrame{static_cast<uint16_t>(seq), rtp::ReadU32(d),
                          std::span<const uint8_t>(d + 6, len), true};
    ++stats_.recovered;
  }
  return n;
}

}  // namespace cbcs::fec
