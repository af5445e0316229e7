#include "cbcs/rtc/AudioReceiver.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "AllocationCounter.hpp"
#include "cbcs/rtp/HeaderExtensions.hpp"
#include "cbcs/rtp/RedPayload.hpp"
#include "cbcs/rtp/RtpPacket.hpp"

namespace cbcs::rtc {
namespace {

constexpr int kOpusPt = 111;
constexpr int kRedPt = 63;
constexpr int kTccId = 3;

jitter::JitterConfig Config() {
  jitter::JitterConfig c;
  c.sample_rate = 48000;
  c.max_delay_ms = 500;
  return c;
}

// A speech-like stream, encoded: Opus payloads and the RTP packets that carry them.
struct Stream {
  explicit Stream(int loss_percent = 20) : enc(32000, true, loss_percent, 5) {}

  std::vector<uint8_t> NextOpus() {
    std::array<int16_t, codec::kOpusFrameSamples> pcm{};
    for (int i = 0; i < codec::kOpusFrameSamples; ++i) {
      const double t = (frame * codec::kOpusFrameSamples + i) / 48000.0;
      double x = 0.0;
      for (int h = 1; h <= 10; ++h) x += std::sin(2.0 * M_PI * 140.0 * h * t) / h;
      pcm[i] = static_cast<int16_t>(5000.0 * x);
    }
    ++frame;
    std::array<uint8_t, codec::kOpusMaxPacket> out{};
    const int n = enc.Encode(pcm, out);
    return {out.begin(), out.begin() + n};
  }

  // RTP for payload `body`, sequence seq0 + i, with a transport-wide sequence number.
  static std::vector<uint8_t> Rtp(int pt, uint16_t seq, uint32_t ts,
                                  const std::vector<uint8_t>& body) {
    const std::array<uint8_t, 2> tseq = {static_cast<uint8_t>(seq >> 8),
                                         static_cast<uint8_t>(seq)};
    const std::array<rtp::ExtensionElement, 1> elements = {{{kTccId, tseq}}};
    std::array<uint8_t, 8> ext{};
    const std::size_t ext_size = rtp::BuildOneByteExtensions(elements, ext);
    rtp::RtpHeader h;
    h.payload_type = static_cast<uint8_t>(pt);
    h.sequence = seq;
    h.timestamp = ts;
    h.ssrc = 0x1234;
    h.has_extension = true;
    h.extension_profile = 0xBEDE;
    h.extension = std::span<const uint8_t>(ext.data(), ext_size);
    std::vector<uint8_t> packet(rtp::RtpPacket::BuildSize(h, body.size()));
    EXPECT_GT(rtp::RtpPacket::Build(h, body, packet), 0u);
    return packet;
  }

  codec::VoiceEncoder enc;
  int frame = 0;
};

TEST(AudioReceiver, InOrderPacketsPlayAsReceivedAudio) {
  jitter::JitterBuffer jb(Config());
  AudioReceiver rx(jb, {kOpusPt, kRedPt, kTccId});
  Stream s;
  for (int i = 0; i < 100; ++i) {
    const auto packet = Stream::Rtp(kOpusPt, static_cast<uint16_t>(65500 + i),
                                    static_cast<uint32_t>(i * 960), s.NextOpus());
    const AudioPacketInfo info = rx.OnPacket(packet, 20.0 * i);
    ASSERT_TRUE(info.parsed && info.accepted);
    EXPECT_EQ(info.ssrc, 0x1234u);
    ASSERT_TRUE(info.transport_seq.has_value());
    EXPECT_EQ(*info.transport_seq, static_cast<uint16_t>(65500 + i));
    jb.Get(20.0 * i);
    jb.Get(20.0 * i + 10.0);
  }
  EXPECT_EQ(rx.Counters().packets_received, 100);
  EXPECT_EQ(rx.Expected(), 100);  // across the sequence wrap
  EXPECT_EQ(rx.HighestSeq(), 65500 + 99);
  const auto st = jb.Stats();
  EXPECT_EQ(st.packets_received, 100u);
  EXPECT_GT(st.kind_counts[static_cast<int>(jitter::PlayoutKind::kNormal)], 150u);
  EXPECT_NEAR(rx.Counters().jitter_ms, 0.0, 0.01);  // every packet exactly on time
}

// RFC 3550 A.8: arrivals alternately 0 and 10 ms late settle at a jitter near 10 ms.
TEST(AudioReceiver, JitterFollowsTheSpreadOfArrivals) {
  jitter::JitterBuffer jb(Config());
  AudioReceiver rx(jb, {kOpusPt, -1, -1});
  Stream s;
  for (int i = 0; i < 200; ++i) {
    rx.OnPayload(static_cast<uint16_t>(i), i * 960u, kOpusPt, s.NextOpus(),
                 20.0 * i + (i % 2) * 10.0);
  }
  EXPECT_NEAR(rx.Counters().jitter_ms, 10.0, 0.5);
}

TEST(AudioReceiver, DuplicatesAndPaddingAreCountedNotPlayed) {
  jitter::JitterBuffer jb(Config());
  AudioReceiver rx(jb, {kOpusPt, -1, -1});
  Stream s;
  const auto opus = s.NextOpus();
  rx.OnPayload(10, 0, kOpusPt, opus, 0.0);
  rx.OnPayload(10, 0, kOpusPt, opus, 1.0);
  rx.OnPayload(11, 960, kOpusPt, {}, 20.0);
  EXPECT_EQ(rx.Counters().packets_duplicate, 1);
  EXPECT_EQ(rx.Counters().padding, 1);
  EXPECT_EQ(jb.Stats().packets_received, 1u);
}

// RED with two earlier blocks: a run of two losses is rebuilt from the next packet.
TEST(AudioReceiver, RedRebuildsLostPackets) {
  jitter::JitterBuffer jb(Config());
  AudioReceiver rx(jb, {kOpusPt, kRedPt, kTccId});
  Stream s;
  std::vector<std::vector<uint8_t>> opus;
  const std::set<int> lost = {20, 21, 40, 60};
  for (int i = 0; i < 80; ++i) {
    opus.push_back(s.NextOpus());
    std::vector<rtp::RedBlock> red;
    for (int back = 2; back >= 1; --back) {
      if (i - back >= 0) {
        red.push_back({kOpusPt, static_cast<uint32_t>(back * 960), opus[i - back]});
      }
    }
    std::vector<uint8_t> body(rtp::RedPayload::BuildSize(red, opus[i].size()));
    ASSERT_GT(rtp::RedPayload::Build(red, kOpusPt, opus[i], body), 0u);
    if (lost.count(i)) continue;
    rx.OnPacket(Stream::Rtp(kRedPt, static_cast<uint16_t>(i), i * 960u, body), 20.0 * i);
  }
  EXPECT_EQ(rx.Counters().packets_received, 76);
  EXPECT_EQ(rx.Counters().recovered_red + rx.Counters().recovered_fec, 4);
  EXPECT_EQ(jb.Stats().packets_received, 80u);
  EXPECT_EQ(rx.Counters().malformed, 0);
}

TEST(AudioReceiver, InbandFecRebuildsASingleLossWithoutRed) {
  jitter::JitterBuffer jb(Config());
  AudioReceiver rx(jb, {kOpusPt, -1, -1});
  Stream s(20);
  int rebuildable = 0;  // losses whose next packet carries LBRR
  for (int i = 0; i < 100; ++i) {
    const auto opus = s.NextOpus();
    if (i % 10 == 5) continue;
    if (i % 10 == 6 && codec::OpusHasLbrr(opus)) ++rebuildable;
    rx.OnPayload(static_cast<uint16_t>(i), i * 960u, kOpusPt, opus, 20.0 * i);
  }
  EXPECT_GE(rebuildable, 1);
  EXPECT_EQ(rx.Counters().recovered_fec, rebuildable);
  EXPECT_EQ(jb.Stats().packets_received, static_cast<uint64_t>(90 + rebuildable));
}

TEST(AudioReceiver, StrayPacketIsHeldBackAndGarbageCounted) {
  jitter::JitterBuffer jb(Config());
  AudioReceiver rx(jb, {kOpusPt, kRedPt, kTccId});
  Stream s;
  for (int i = 0; i < 5; ++i) {
    rx.OnPacket(Stream::Rtp(kOpusPt, static_cast<uint16_t>(100 + i), i * 960u, s.NextOpus()),
                20.0 * i);
  }
  const auto stray = Stream::Rtp(kOpusPt, 30000, 0, s.NextOpus());
  EXPECT_FALSE(rx.OnPacket(stray, 100.0).accepted);
  EXPECT_EQ(rx.Guard().Rejected(), 1);
  EXPECT_EQ(rx.HighestSeq(), 104);

  std::mt19937 rng(3);
  std::vector<uint8_t> junk;
  for (int i = 0; i < 3000; ++i) {
    junk.resize(rng() % 200);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    if (i % 2 == 0 && junk.size() >= 12) {  // make it look like RTP to reach the payload
      junk[0] = 0x80;
      junk[1] = static_cast<uint8_t>(i % 4 == 0 ? kRedPt : kOpusPt);
      junk[2] = 0;
      junk[3] = static_cast<uint8_t>(105 + i % 50);
    }
    rx.OnPacket(junk, 200.0 + i);
    rx.OnPayload(static_cast<uint16_t>(rng()), static_cast<uint32_t>(rng()), kRedPt, junk,
                 200.0 + i);
  }
  EXPECT_GT(rx.Counters().malformed, 100);
}

TEST(AudioReceiver, AllocatesNothingPerPacket) {
  jitter::JitterBuffer jb(Config());
  AudioReceiver rx(jb, {kOpusPt, kRedPt, kTccId});
  Stream s;
  std::vector<std::vector<uint8_t>> packets;
  for (int i = 0; i < 50; ++i) {
    packets.push_back(Stream::Rtp(kOpusPt, static_cast<uint16_t>(i), i * 960u, s.NextOpus()));
  }
  const uint64_t before = testing::AllocationCount();
  for (int i = 0; i < 50; ++i) {
    if (i % 7 == 3) continue;
    rx.OnPacket(packets[i], 20.0 * i);
    jb.Get(20.0 * i);
  }
  EXPECT_EQ(testing::AllocationCount(), before);
}

}  // namespace
}  // namespace cbcs::rtc
