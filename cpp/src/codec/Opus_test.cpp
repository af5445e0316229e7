#include "cbcs/codec/Opus.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::codec {
namespace {

// A voiced, speech-like frame: a 150 Hz harmonic series with a slow level swing.
std::array<int16_t, kOpusFrameSamples> Voiced(int frame) {
  std::array<int16_t, kOpusFrameSamples> pcm{};
  for (int i = 0; i < kOpusFrameSamples; ++i) {
    const double t = (frame * kOpusFrameSamples + i) / 48000.0;
    double x = 0.0;
    for (int h = 1; h <= 12; ++h) x += std::sin(2.0 * M_PI * 150.0 * h * t) / h;
    pcm[i] = static_cast<int16_t>(4000.0 * x * (0.6 + 0.4 * std::sin(2.0 * M_PI * 2.0 * t)));
  }
  return pcm;
}

double Rms(const int16_t* x, int n) {
  double s = 0.0;
  for (int i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
  return std::sqrt(s / n);
}

TEST(Opus, VoiceSurvivesARoundTrip) {
  VoiceEncoder enc(32000, true, 10, 5);
  VoiceDecoder dec;
  std::array<uint8_t, kOpusMaxPacket> packet{};
  std::array<int16_t, kOpusMaxFrameSamples> out{};
  double in_rms = 0.0, out_rms = 0.0;
  for (int f = 0; f < 50; ++f) {
    const auto pcm = Voiced(f);
    const int n = enc.Encode(pcm, packet);
    ASSERT_GT(n, 10);
    EXPECT_EQ(OpusPacketSamples(std::span(packet.data(), n)), kOpusFrameSamples);
    ASSERT_EQ(dec.Decode(std::span(packet.data(), n), out), kOpusFrameSamples);
    if (f >= 10) {
      in_rms += Rms(pcm.data(), kOpusFrameSamples);
      out_rms += Rms(out.data(), kOpusFrameSamples);
    }
  }
  EXPECT_NEAR(out_rms / in_rms, 1.0, 0.15);
  EXPECT_EQ(dec.Errors(), 0);
}

TEST(Opus, FecRebuildsThePacketBefore) {
  VoiceEncoder enc(32000, true, 20, 5);
  VoiceDecoder dec;
  std::array<uint8_t, kOpusMaxPacket> packet{};
  std::array<int16_t, kOpusMaxFrameSamples> out{};
  int with_lbrr = 0;
  for (int f = 0; f < 50; ++f) {
    const int n = enc.Encode(Voiced(f), packet);
    ASSERT_GT(n, 0);
    const std::span<const uint8_t> p(packet.data(), n);
    if (f < 5) {
      ASSERT_GT(dec.Decode(p, out), 0);
      continue;
    }
    if (OpusHasLbrr(p)) {
      ++with_lbrr;
      EXPECT_EQ(dec.DecodeFec(p, kOpusFrameSamples, out), kOpusFrameSamples);
      EXPECT_GT(Rms(out.data(), kOpusFrameSamples), 500.0);  // audio, not concealment's fade
    }
    ASSERT_GT(dec.Decode(p, out), 0);
  }
  EXPECT_GT(with_lbrr, 15);  // voiced frames at 20 % expected loss carry LBRR
}

TEST(Opus, NoLbrrWithoutFecOrInCeltOnlyPackets) {
  VoiceEncoder enc(32000, false, 0, 5);
  VoiceDecoder dec;
  std::array<uint8_t, kOpusMaxPacket> packet{};
  std::array<int16_t, kOpusMaxFrameSamples> out{};
  for (int f = 0; f < 20; ++f) {
    const int n = enc.Encode(Voiced(f), packet);
    EXPECT_FALSE(OpusHasLbrr(std::span(packet.data(), n)));
    EXPECT_EQ(dec.DecodeFec(std::span(packet.data(), n), kOpusFrameSamples, out), -1);
  }
  const std::array<uint8_t, 4> celt = {0xF8, 0xFF, 0xFE, 0x01};  // config 31: CELT only
  EXPECT_FALSE(OpusHasLbrr(celt));
}

TEST(Opus, GarbageIsRejectedNotCrashedOn) {
  VoiceDecoder dec;
  std::array<int16_t, kOpusMaxFrameSamples> out{};
  std::mt19937 rng(7);
  std::vector<uint8_t> junk;
  for (int i = 0; i < 2000; ++i) {
    junk.resize(rng() % 64);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    const int n = dec.Decode(junk, out);
    EXPECT_TRUE(n == -1 || (n > 0 && n <= kOpusMaxFrameSamples));
    OpusHasLbrr(junk);
    dec.DecodeFec(junk, kOpusFrameSamples, out);
  }
  EXPECT_EQ(dec.Decode({}, out), -1);
  EXPECT_EQ(OpusPacketSamples({}), -1);
}

TEST(Opus, BadSettingsAreConfigErrors) {
  EXPECT_THROW(VoiceEncoder(32000, true, 10, 11), ConfigError);
  VoiceEncoder enc(1, true, 10, 5);
  EXPECT_EQ(enc.Bitrate(), 6000);  // clamped
  enc.SetBitrate(1'000'000);
  EXPECT_EQ(enc.Bitrate(), 510000);
}

}  // namespace
}  // namespace cbcs::codec
