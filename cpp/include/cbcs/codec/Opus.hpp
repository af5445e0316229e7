// Opus for voice through the system libopus (Debian libopus-dev): mono, 48 kHz, 20 ms.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

struct OpusEncoder;  // libopus' own opaque types
struct OpusDecoder;

namespace cbcs::codec {

inline constexpr int kOpusSampleRate = 48000;
inline constexpr int kOpusFrameSamples = 960;        // 20 ms, what we send
inline constexpr int kOpusMaxFrameSamples = 5760;    // 120 ms, the longest packet
inline constexpr std::size_t kOpusMaxPacket = 1500;

// Samples per channel at 48 kHz in `packet`, or -1 when libopus cannot read it.
int OpusPacketSamples(std::span<const uint8_t> packet) noexcept;

// Whether `packet` carries in-band FEC (LBRR) for the packet before it (RFC 6716 4.2.3).
// Only SILK and hybrid packets can; the flag follows the first SILK frame's VAD flags,
// which the range coder writes with probability 1/2, i.e. as raw leading bits.
bool OpusHasLbrr(std::span<const uint8_t> packet) noexcept;

class VoiceEncoder {
 public:
  // Throws ConfigError when libopus refuses the settings.
  VoiceEncoder(int bitrate_bps, bool inband_fec, int expected_loss_percent, int complexity);
  ~VoiceEncoder();
  VoiceEncoder(const VoiceEncoder&) = delete;
  VoiceEncoder& operator=(const VoiceEncoder&) = delete;

  // One 20 ms frame in; the packet's size in `out`, or a negative libopus error.
  int Encode(std::span<const int16_t, kOpusFrameSamples> pcm, std::span<uint8_t> out) noexcept;
  // Clamped to 6-510 kbit/s; only a change reaches libopus.
  void SetBitrate(int bps) noexcept;
  int Bitrate() const noexcept { return bitrate_bps_; }
  void SetExpectedLoss(int percent) noexcept;

 private:
  ::OpusEncoder* enc_ = nullptr;
  int bitrate_bps_ = 0;
};

class VoiceDecoder {
 public:
  VoiceDecoder();  // throws ConfigError
  ~VoiceDecoder();
  VoiceDecoder(const VoiceDecoder&) = delete;
  VoiceDecoder& operator=(const VoiceDecoder&) = delete;

  // Samples decoded into `out` (room for kOpusMaxFrameSamples), or -1 when rejected.
  int Decode(std::span<const uint8_t> packet, std::span<int16_t> out) noexcept;
  // The packet before `next_packet`, `samples` long, from next_packet's LBRR; -1 when it
  // has none (libopus would return concealment, which the jitter buffer does better).
  int DecodeFec(std::span<const uint8_t> next_packet, int samples,
                std::span<int16_t> out) noexcept;
  int64_t Errors() const noexcept { return errors_; }

 private:
  // opus_decode of `samples` (at most) into out; a failure is counted and answered -1.
  int Run(std::span<const uint8_t> packet, int16_t* out, int samples, bool fec) noexcept;

  ::OpusDecoder* dec_ = nullptr;
  int64_t errors_ = 0;
};

}  // namespace cbcs::codec
