#include "cbcs/codec/Opus.hpp"

#include <opus/opus.h>

#include <algorithm>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::codec {

int OpusPacketSamples(std::span<const uint8_t> packet) noexcept {
  if (packet.empty() || packet.size() > 0x7FFFFFFF) return -1;
  const int n = opus_packet_get_nb_samples(packet.data(), static_cast<opus_int32>(packet.size()),
                                           kOpusSampleRate);
  return n > 0 ? n : -1;
}

bool OpusHasLbrr(std::span<const uint8_t> packet) noexcept {
  const std::size_t size = packet.size();
  if (size < 2) return false;
  const uint8_t toc = packet[0];
  const int config = toc >> 3;
  if (config >= 16) return false;  // CELT only
  std::size_t first = 1;           // where the first frame's data starts
  switch (toc & 0x3) {
    case 0:
    case 1:
      break;
    case 2:  // the first frame's length comes first, in one or two bytes
      first = packet[1] < 252 ? 2 : 3;
      break;
    default: {  // code 3: a frame count byte, optional padding, VBR lengths
      if (size < 3) return false;
      const uint8_t count = packet[1];
      first = 2;
      if (count & 0x40) {
        while (first < size && packet[first] == 255) ++first;
        ++first;
      }
      if (count & 0x80) {
        const int frames = count & 0x3F;
        for (int i = 0; i + 1 < frames; ++i) {
          if (first >= size) return false;
          first += packet[first] >= 252 ? 2 : 1;
        }
      }
    }
  }
  if (first >= size) return false;
  if (toc & 0x4) return true;  // stereo lays its flags out differently: let libopus decide
  static constexpr int kSilkMs[4] = {10, 20, 40, 60};
  static constexpr int kHybridMs[2] = {10, 20};
  const int frame_ms = config < 12 ? kSilkMs[config & 0x3] : kHybridMs[config & 0x1];
  const int silk_frames = std::max(1, frame_ms / 20);
  return ((packet[first] >> (7 - silk_frames)) & 1) != 0;  // after one VAD bit per frame
}

VoiceEncoder::VoiceEncoder(int bitrate_bps, bool inband_fec, int expected_loss_percent,
                           int complexity) {
  if (complexity < 0 || complexity > 10) {
    throw ConfigError("complexity: expected 0..10, got " + std::to_string(complexity));
  }
  int err = 0;
  enc_ = opus_encoder_create(kOpusSampleRate, 1, OPUS_APPLICATION_VOIP, &err);
  if (err != OPUS_OK || enc_ == nullptr) {
    throw ConfigError("opus encoder: libopus error " + std::to_string(err));
  }
  SetBitrate(bitrate_bps);
  opus_encoder_ctl(enc_, OPUS_SET_INBAND_FEC(inband_fec ? 1 : 0));
  SetExpectedLoss(expected_loss_percent);
  opus_encoder_ctl(enc_, OPUS_SET_COMPLEXITY(complexity));
}

VoiceEncoder::~VoiceEncoder() { opus_encoder_destroy(enc_); }

int VoiceEncoder::Encode(std::span<const int16_t, kOpusFrameSamples> pcm,
                         std::span<uint8_t> out) noexcept {
  const auto room = static_cast<opus_int32>(std::min<std::size_t>(out.size(), kOpusMaxPacket));
  return opus_encode(enc_, pcm.data(), kOpusFrameSamples, out.data(), room);
}

void VoiceEncoder::SetBitrate(int bps) noexcept {
  bps = std::clamp(bps, 6000, 510000);
  if (bps == bitrate_bps_) return;
  opus_encoder_ctl(enc_, OPUS_SET_BITRATE(bps));
  bitrate_bps_ = bps;
}

void VoiceEncoder::SetExpectedLoss(int percent) noexcept {
  opus_encoder_ctl(enc_, OPUS_SET_PACKET_LOSS_PERC(std::clamp(percent, 0, 100)));
}

VoiceDecoder::VoiceDecoder() {
  int err = 0;
  dec_ = opus_decoder_create(kOpusSampleRate, 1, &err);
  if (err != OPUS_OK || dec_ == nullptr) {
    throw ConfigError("opus decoder: libopus error " + std::to_string(err));
  }
}

VoiceDecoder::~VoiceDecoder() { opus_decoder_destroy(dec_); }

int VoiceDecoder::Decode(std::span<const uint8_t> packet, std::span<int16_t> out) noexcept {
  if (packet.empty() || packet.size() > kOpusMaxPacket * 4) {
    ++errors_;
    return -1;
  }
  return Run(packet, out.data(),
             static_cast<int>(std::min<std::size_t>(out.size(), kOpusMaxFrameSamples)), false);
}

int VoiceDecoder::DecodeFec(std::span<const uint8_t> next_packet, int samples,
                            std::span<int16_t> out) noexcept {
  if (!OpusHasLbrr(next_packet) || samples <= 0 || samples > kOpusMaxFrameSamples ||
      static_cast<std::size_t>(samples) > out.size() || next_packet.size() > kOpusMaxPacket * 4) {
    return -1;
  }
  return Run(next_packet, out.data(), samples, true);
}

int VoiceDecoder::Run(std::span<const uint8_t> packet, int16_t* out, int samples,
                      bool fec) noexcept {
  const int n = opus_decode(dec_, packet.data(), static_cast<opus_int32>(packet.size()), out,
                            samples, fec ? 1 : 0);
  if (n <= 0) {
    ++errors_;
    return -1;
  }
  return n;
}

}  // namespace cbcs::codec
