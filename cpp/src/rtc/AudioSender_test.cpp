#include "cbcs/rtc/AudioSender.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "AllocationCounter.hpp"
#include "cbcs/jitter/JitterBuffer.hpp"
#include "cbcs/rtc/AudioReceiver.hpp"
#include "cbcs/rtp/HeaderExtensions.hpp"
#include "cbcs/rtp/RedPayload.hpp"
#include "cbcs/rtp/RtpPacket.hpp"

namespace cbcs::rtc {
namespace {

std::array<int16_t, codec::kOpusFrameSamples> Tone(int frame) {
  std::array<int16_t, codec::kOpusFrameSamples> pcm{};
  for (int i = 0; i < codec::kOpusFrameSamples; ++i) {
    const double t = (frame * codec::kOpusFrameSamples + i) / 48000.0;
    pcm[i] = static_cast<int16_t>(6000.0 * std::sin(2.0 * M_PI * 180.0 * t));
  }
  return pcm;
}

TEST(AudioSender, PacketsCarryRedMidAndTransportSequenceAsNegotiated) {
  codec::VoiceEncoder enc(32000, true, 10, 5);
  AudioSender sender(enc, {111, 0x11223344, 65534, 0xFFFFF000});
  sender.SetRed(63, 2);
  const std::array<uint8_t, 1> mid = {'0'};
  ASSERT_TRUE(sender.SetExtensions(4, mid, 3));
  std::array<uint8_t, AudioSender::kMaxPacket> out{};
  for (int i = 0; i < 10; ++i) {
    const std::size_t n = sender.Next(Tone(i), static_cast<uint16_t>(100 + i), out);
    ASSERT_GT(n, 0u);
    rtp::RtpPacket p;
    ASSERT_EQ(rtp::RtpPacket::Parse({out.data(), n}, p), rtp::RtpParseStatus::kOk);
    EXPECT_EQ(p.PayloadType(), 63);
    EXPECT_EQ(p.Ssrc(), 0x11223344u);
    EXPECT_EQ(p.Marker(), i == 0);
    EXPECT_EQ(p.Sequence(), static_cast<uint16_t>(65534 + i));  // wraps
    EXPECT_EQ(p.Timestamp(), 0xFFFFF000u + 960u * i);
    const auto m = rtp::FindExtension(p.ExtensionProfile(), p.Extension(), 4);
    ASSERT_TRUE(m && m->size() == 1 && (*m)[0] == '0');
    const auto t = rtp::FindExtension(p.ExtensionProfile(), p.Extension(), 3);
    ASSERT_TRUE(t && t->size() == 2);
    EXPECT_EQ(((*t)[0] << 8) | (*t)[1], 100 + i);
    std::array<rtp::RedBlock, 8> blocks;
    std::size_t count = 0;
    ASSERT_EQ(rtp::RedPayload::Parse(p.Payload(), blocks, count), rtp::RedParseStatus::kOk);
    ASSERT_EQ(count, static_cast<std::size_t>(std::min(i, 2) + 1));
    for (std::size_t b = 0; b + 1 < count; ++b) {
      EXPECT_EQ(blocks[b].timestamp_offset, 960u * (count - 1 - b));  // oldest first
    }
    EXPECT_EQ(sender.LastPayloadSize(), p.Payload().size());
    sender.Sent();
  }
}

TEST(AudioSender, AnUnsentPacketLeavesNoSequenceGapButTimeMovesOn) {
  codec::VoiceEncoder enc(32000, true, 10, 5);
  AudioSender sender(enc, {111, 1, 10, 0});
  std::array<uint8_t, AudioSender::kMaxPacket> out{};
  ASSERT_GT(sender.Next(Tone(0), 0, out), 0u);  // not sent: no connection yet
  const std::size_t n = sender.Next(Tone(1), 0, out);
  rtp::RtpPacket p;
  ASSERT_EQ(rtp::RtpPacket::Parse({out.data(), n}, p), rtp::RtpParseStatus::kOk);
  EXPECT_EQ(p.Sequence(), 10);
  EXPECT_TRUE(p.Marker());
  EXPECT_EQ(p.Timestamp(), 960u);
  EXPECT_FALSE(p.HasExtension());
  EXPECT_EQ(p.PayloadType(), 111);
}

TEST(AudioSender, TwoLegsFrameOneSharedEncodeEachWithItsOwnSequenceAndRed) {
  codec::VoiceEncoder shared(32000, true, 10, 5), unused_a(32000, true, 10, 5),
      unused_b(32000, true, 10, 5);
  AudioSender a(unused_a, {111, 0xA, 100, 5000}), b(unused_b, {111, 0xB, 7, 0});
  b.SetRed(63, 1);
  std::array<uint8_t, codec::kOpusMaxPacket> opus{};
  std::array<uint8_t, AudioSender::kMaxPacket> out{};
  std::array<std::size_t, 3> sizes{};
  const uint64_t before = testing::AllocationCount();
  for (int i = 0; i < 3; ++i) {
    const int n = shared.Encode(Tone(i), opus);
    ASSERT_GT(n, 0);
    sizes[i] = static_cast<std::size_t>(n);
    const std::span<const uint8_t> payload(opus.data(), sizes[i]);
    rtp::RtpPacket p;
    std::size_t size = a.NextEncoded(payload, 0, out);
    ASSERT_EQ(rtp::RtpPacket::Parse({out.data(), size}, p), rtp::RtpParseStatus::kOk);
    EXPECT_EQ(p.Ssrc(), 0xAu);
    EXPECT_EQ(p.Sequence(), 100 + i);
    EXPECT_EQ(p.Timestamp(), 5000u + 960u * i);
    EXPECT_TRUE(std::equal(payload.begin(), payload.end(), p.Payload().begin(),
                           p.Payload().end()));
    a.Sent();
    size = b.NextEncoded(payload, 0, out);
    ASSERT_EQ(rtp::RtpPacket::Parse({out.data(), size}, p), rtp::RtpParseStatus::kOk);
    EXPECT_EQ(p.Sequence(), 7 + i);
    EXPECT_EQ(p.PayloadType(), 63);
    std::array<rtp::RedBlock, 8> blocks;
    std::size_t count = 0;
    ASSERT_EQ(rtp::RedPayload::Parse(p.Payload(), blocks, count), rtp::RedParseStatus::kOk);
    ASSERT_EQ(count, i == 0 ? 1u : 2u);   // the previous shared payload rides along
    EXPECT_EQ(blocks[count - 1].data.size(), sizes[i]);
    if (i > 0) {
      EXPECT_EQ(blocks[0].data.size(), sizes[i - 1]);
    }
    b.Sent();
  }
  EXPECT_EQ(testing::AllocationCount(), before);
  EXPECT_EQ(a.NextEncoded({}, 0, out), 0u);   // nothing to frame: counted
  EXPECT_EQ(a.EncodeErrors(), 1);
}

TEST(AudioSender, BadExtensionIdsAreRefused) {
  codec::VoiceEncoder enc(32000, true, 10, 5);
  AudioSender sender(enc, {111, 1, 0, 0});
  const std::array<uint8_t, 1> mid = {'a'};
  EXPECT_FALSE(sender.SetExtensions(15, mid, 3));
  EXPECT_FALSE(sender.SetExtensions(1, mid, 0));
  EXPECT_TRUE(sender.SetExtensions(-1, {}, -1));
}

// What the sender makes, the receiver takes: RED depth 2 through a loss pattern it can
// repair, with nothing allocated on either side.
TEST(AudioSender, ItsRedRepairsLossesAtTheReceiver) {
  codec::VoiceEncoder enc(32000, true, 10, 5);
  AudioSender sender(enc, {111, 7, 0, 0});
  sender.SetRed(63, 2);
  jitter::JitterConfig config;
  config.sample_rate = 48000;
  jitter::JitterBuffer jb(config);
  AudioReceiver rx(jb, {111, 63, -1});
  std::array<uint8_t, AudioSender::kMaxPacket> out{};
  std::vector<std::array<int16_t, codec::kOpusFrameSamples>> frames;
  for (int i = 0; i < 60; ++i) frames.push_back(Tone(i));
  const uint64_t before = testing::AllocationCount();
  for (int i = 0; i < 60; ++i) {
    const std::size_t n = sender.Next(frames[i], 0, out);
    ASSERT_GT(n, 0u);
    sender.Sent();
    if (i == 20 || i == 21 || i == 40) continue;  // lost on the way
    rx.OnPacket({out.data(), n}, 20.0 * i);
    jb.Get(20.0 * i);
    jb.Get(20.0 * i + 10.0);
  }
  EXPECT_EQ(testing::AllocationCount(), before);
  EXPECT_EQ(rx.Counters().packets_received, 57);
  EXPECT_EQ(rx.Counters().recovered_red, 3);
}

}  // namespace
}  // namespace cbcs::rtc
