#include "cbcs/rtc/AudioReceiver.hpp"

#include <cmath>

#include "cbcs/rtp/ByteIo.hpp"
#include "cbcs/rtp/HeaderExtensions.hpp"
#include "cbcs/rtp/RedPayload.hpp"
#include "cbcs/rtp/RtpPacket.hpp"

namespace cbcs::rtc {
namespace {

constexpr double kSamplesPerMs = codec::kOpusSampleRate / 1000.0;

struct Block {
  int64_t seq = 0;  // extended
  uint32_t timestamp = 0;
  std::span<const uint8_t> data{};
};

}  // namespace

AudioReceiver::AudioReceiver(jitter::JitterBuffer& buffer, const AudioReceiveConfig& config)
    : buffer_(buffer), config_(config) {
  have_.fill(-1);
}

AudioPacketInfo AudioReceiver::OnPacket(std::span<const uint8_t> packet,
                                        double usable_ms) noexcept {
  AudioPacketInfo info;
  rtp::RtpPacket p;
  if (rtp::RtpPacket::Parse(packet, p) != rtp::RtpParseStatus::kOk) {
    ++counters_.malformed;
    return info;
  }
  info.parsed = true;
  info.ssrc = p.Ssrc();
  if (config_.transport_cc_id > 0 && p.HasExtension()) {
    const auto ext = rtp::FindExtension(p.ExtensionProfile(), p.Extension(),
                                        static_cast<uint8_t>(config_.transport_cc_id));
    if (ext && ext->size() == 2) {
      info.transport_seq = rtp::ReadU16(ext->data());
    }
  }
  info.accepted = OnPayload(p.Sequence(), p.Timestamp(), p.PayloadType(), p.Payload(),
                            usable_ms);
  return info;
}

int64_t AudioReceiver::Unwrap(uint16_t seq) noexcept {
  if (!base_) {
    base_ = highest_ = seq;
    return seq;
  }
  const int64_t ext = Extend(seq);
  if (ext > highest_) highest_ = ext;
  return ext;
}

bool AudioReceiver::OnPayload(uint16_t seq, uint32_t timestamp, int payload_type,
                              std::span<const uint8_t> payload, double usable_ms) noexcept {
  if (!guard_.Accept(seq)) return false;
  Receive(seq, timestamp, payload_type, payload, usable_ms);
  return true;
}

void AudioReceiver::Receive(uint16_t seq, uint32_t timestamp, int payload_type,
                            std::span<const uint8_t> payload, double usable_ms) noexcept {
  AudioReceiveCounters& c = counters_;
  const int64_t ext = Unwrap(seq);
  if (Have(ext)) {
    ++c.packets_duplicate;
    return;
  }
  ++c.packets_received;
  c.bytes_received += static_cast<int64_t>(payload.size());
  if (payload.empty()) {
    ++c.padding;
    have_[ext & (kHaveWindow - 1)] = ext;
    return;
  }
  Jitter(timestamp, usable_ms);

  std::array<Block, kMaxRedBlocks> blocks;
  std::size_t count = 0;
  if (payload_type == config_.red_pt) {
    std::array<rtp::RedBlock, kMaxRedBlocks> red;
    std::size_t parsed = 0;
    if (rtp::RedPayload::Parse(payload, red, parsed) != rtp::RedParseStatus::kOk || parsed == 0) {
      ++c.malformed;
      return;
    }
    // The last block is the primary; earlier ones are copies of earlier packets, placed by
    // their timestamp offset (one packet's worth of samples per packet back).
    const auto primary = red[parsed - 1].data;
    int step = primary.empty() ? 0 : codec::OpusPacketSamples(primary);
    if (step <= 0) step = codec::kOpusFrameSamples;
    for (std::size_t i = 0; i + 1 < parsed; ++i) {
      const auto back = std::lround(static_cast<double>(red[i].timestamp_offset) / step);
      if (back >= 1 && back <= 16 && !red[i].data.empty()) {
        blocks[count++] = {ext - back, timestamp - red[i].timestamp_offset, red[i].data};
      }
    }
    blocks[count++] = {ext, timestamp, primary};
  } else if (payload_type == config_.opus_pt || config_.opus_pt < 0) {
    blocks[count++] = {ext, timestamp, payload};
  } else {
    ++c.malformed;
    return;
  }

  const Block& primary = blocks[count - 1];
  const int64_t floor = *base_;
  auto provided = [&](int64_t s) {
    for (std::size_t i = 0; i < count; ++i) {
      if (blocks[i].seq == s) return true;
    }
    return false;
  };
  auto recovered_usable = [&](uint32_t ts) {
    const double back = static_cast<uint32_t>(primary.timestamp - ts) / kSamplesPerMs;
    return back < 1000.0 ? usable_ms - back : usable_ms;
  };
  // Oldest first, as a decoder expects: the redundant copies, each preceded by the in-band
  // FEC it carries for the packet before it.
  for (std::size_t i = 0; i < count; ++i) {
    const Block& b = blocks[i];
    const int64_t prev = b.seq - 1;
    if (prev >= floor && !Have(prev) && !provided(prev)) {
      const int samples = codec::OpusPacketSamples(b.data);
      if (samples > 0 && decoder_.DecodeFec(b.data, samples, pcm_) > 0) {
        const uint32_t ts = b.timestamp - static_cast<uint32_t>(samples);
        Put(prev, ts, samples, recovered_usable(ts));
        ++c.recovered_fec;
      }
    }
    if (i + 1 == count) break;
    if (b.seq >= floor && !Have(b.seq)) {
      const int n = decoder_.Decode(b.data, pcm_);
      if (n > 0) {
        Put(b.seq, b.timestamp, n, recovered_usable(b.timestamp));
        ++c.recovered_red;
      }
    }
  }
  const int n = decoder_.Decode(primary.data, pcm_);
  if (n <= 0) {
    ++c.decode_errors;
    return;
  }
  Put(primary.seq, primary.timestamp, n, usable_ms);
}

void AudioReceiver::Put(int64_t ext, uint32_t timestamp, int samples, double usable_ms) noexcept {
  have_[ext & (kHaveWindow - 1)] = ext;
  buffer_.Put(ext & 0xFFFF, timestamp, pcm_.data(), samples, usable_ms);
}

void AudioReceiver::Jitter(uint32_t timestamp, double usable_ms) noexcept {
  const double transit = usable_ms - timestamp / kSamplesPerMs;
  if (last_transit_) {
    const double d = std::fabs(transit - *last_transit_);
    if (d < 10000.0) counters_.jitter_ms += (d - counters_.jitter_ms) / 16.0;  // not a jump
  }
  last_transit_ = transit;
}

}  // namespace cbcs::rtc
