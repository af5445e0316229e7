#include "cbcs/rtc/AudioSender.hpp"

#include <algorithm>
#include <cstring>

#include "cbcs/rtp/ByteIo.hpp"
#include "cbcs/rtp/HeaderExtensions.hpp"
#include "cbcs/rtp/RedPayload.hpp"
#include "cbcs/rtp/RtpPacket.hpp"

namespace cbcs::rtc {

AudioSender::AudioSender(codec::VoiceEncoder& encoder, const AudioSendConfig& config) noexcept
    : encoder_(encoder),
      config_(config),
      sequence_(config.first_sequence),
      next_timestamp_(config.first_timestamp) {}

void AudioSender::SetRed(int red_pt, int depth) noexcept {
  red_pt_ = red_pt >= 0 && red_pt <= 127 ? red_pt : -1;
  red_depth_ = std::clamp(depth, 1, kMaxRedDepth);
}

bool AudioSender::SetExtensions(int mid_id, std::span<const uint8_t> mid,
                                int transport_cc_id) noexcept {
  const bool mid_ok = mid_id < 0 || mid.empty() ||
                      (mid_id >= 1 && mid_id <= 14 && mid.size() <= mid_.size());
  const bool tcc_ok = transport_cc_id < 0 || (transport_cc_id >= 1 && transport_cc_id <= 14);
  if (!mid_ok || !tcc_ok) return false;
  mid_id_ = mid.empty() ? -1 : mid_id;
  mid_size_ = mid_id_ < 0 ? 0 : mid.size();
  std::copy(mid.begin(), mid.begin() + static_cast<std::ptrdiff_t>(mid_size_), mid_.begin());
  transport_cc_id_ = transport_cc_id;
  return true;
}

std::size_t AudioSender::Next(std::span<const int16_t, codec::kOpusFrameSamples> pcm,
                              uint16_t transport_seq, std::span<uint8_t> out) noexcept {
  const uint32_t ts = next_timestamp_;
  next_timestamp_ += codec::kOpusFrameSamples;
  Frame& now = history_[frames_ % history_.size()];
  const int n = encoder_.Encode(pcm, now.data);
  if (n <= 0) {
    ++encode_errors_;
    return 0;
  }
  now.timestamp = ts;
  now.size = static_cast<std::size_t>(n);
  ++frames_;
  return Packetize(ts, transport_seq, out);
}

std::size_t AudioSender::NextEncoded(std::span<const uint8_t> opus_payload,
                                     uint16_t transport_seq, std::span<uint8_t> out) noexcept {
  const uint32_t ts = next_timestamp_;
  next_timestamp_ += codec::kOpusFrameSamples;
  if (opus_payload.empty() || opus_payload.size() > codec::kOpusMaxPacket) {
    ++encode_errors_;
    return 0;
  }
  Frame& now = history_[frames_ % history_.size()];
  std::copy(opus_payload.begin(), opus_payload.end(), now.data.begin());
  now.timestamp = ts;
  now.size = opus_payload.size();
  ++frames_;
  return Packetize(ts, transport_seq, out);
}

std::size_t AudioSender::Packetize(uint32_t ts, uint16_t transport_seq,
                               std::span<uint8_t> out) noexcept {
  const auto& now = history_[(frames_ - 1) % history_.size()];
  const std::span<const uint8_t> opus(now.data.data(), now.size);

  std::array<uint8_t, kMaxPacket> body_buffer;
  std::span<const uint8_t> body = opus;
  int pt = config_.payload_type;
  if (red_pt_ >= 0) {
    std::array<rtp::RedBlock, kMaxRedDepth> red;
    std::size_t count = 0;
    const std::size_t have = std::min<std::size_t>(frames_ - 1, red_depth_);
    for (std::size_t back = have; back >= 1; --back) {  // oldest first
      const auto& f = history_[(frames_ - 1 - back) % history_.size()];
      const uint32_t offset = ts - f.timestamp;
      if (offset > 0 && offset < rtp::RedPayload::kMaxTimestampOffset &&
          f.size <= rtp::RedPayload::kMaxBlockLength) {
        red[count++] = {static_cast<uint8_t>(config_.payload_type), offset,
                        {f.data.data(), f.size}};
      }
    }
    const std::size_t size = rtp::RedPayload::Build(
        {red.data(), count}, static_cast<uint8_t>(config_.payload_type), opus, body_buffer);
    if (size == 0) return 0;
    body = {body_buffer.data(), size};
    pt = red_pt_;
  }

  std::array<rtp::ExtensionElement, 2> elements;
  std::size_t count = 0;
  if (mid_id_ > 0) elements[count++] = {static_cast<uint8_t>(mid_id_), {mid_.data(), mid_size_}};
  std::array<uint8_t, 2> tseq;
  rtp::WriteU16(tseq.data(), transport_seq);
  if (transport_cc_id_ > 0) elements[count++] = {static_cast<uint8_t>(transport_cc_id_), tseq};
  std::array<uint8_t, 24> ext;
  const std::size_t ext_size =
      count ? rtp::BuildOneByteExtensions({elements.data(), count}, ext) : 0;

  rtp::RtpHeader h;
  h.marker = first_;
  h.payload_type = static_cast<uint8_t>(pt);
  h.sequence = sequence_;
  h.timestamp = ts;
  h.ssrc = config_.ssrc;
  h.has_extension = ext_size > 0;
  h.extension_profile = 0xBEDE;
  h.extension = {ext.data(), ext_size};
  const std::size_t size = rtp::RtpPacket::Build(h, body, out);
  if (size == 0) return 0;
  last_timestamp_ = ts;
  last_payload_size_ = body.size();
  return size;
}

void AudioSender::Sent() noexcept {
  ++sequence_;
  first_ = false;
}

}  // namespace cbcs::rtc
