#include "cbcs/rtp/Ulpfec.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace cbcs::rtp {
namespace {

std::vector<std::vector<uint8_t>> MakeStream(uint16_t first_seq, std::size_t n, std::mt19937& rng) {
  std::vector<std::vector<uint8_t>> out;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<uint8_t> payload(20 + rng() % 200);
    for (auto& b : payload) b = static_cast<uint8_t>(rng());
    RtpHeader h{.marker = (i % 3) == 0,
                .payload_type = 96,
                .sequence = static_cast<uint16_t>(first_seq + i),
                .timestamp = static_cast<uint32_t>(3000 * i + 17),
                .ssrc = 0x1234};
    std::vector<uint8_t> pkt(400);
    pkt.resize(RtpPacket::Build(h, payload, pkt, i == 2 ? 3 : 0));
    out.push_back(pkt);
  }
  return out;
}

TEST(Ulpfec, RecoversAnyOneLostPacketOfTheGroupExactly) {
  std::mt19937 rng(4);
  for (std::size_t n : {1u, 2u, 5u, 16u, 17u, 48u}) {
    const auto stream = MakeStream(65530, n, rng);  // crosses the sequence wrap
    std::vector<RtpPacket> parsed(n);
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(RtpPacket::Parse(stream[i], parsed[i]), RtpParseStatus::kOk);
    std::vector<uint8_t> fec(2000);
    std::size_t size = 0;
    ASSERT_EQ(Ulpfec::Build(parsed, fec, size), UlpfecStatus::kOk);
    UlpfecHeader h;
    ASSERT_EQ(Ulpfec::Parse(std::span(fec.data(), size), h), UlpfecStatus::kOk);
    EXPECT_EQ(h.long_mask, n > 16);
    EXPECT_EQ(h.sequence_base, 65530);
    for (std::size_t lost = 0; lost < n; ++lost) {
      std::vector<RtpPacket> present;
      for (std::size_t i = 0; i < n; ++i) if (i != lost) present.push_back(parsed[i]);
      std::vector<uint8_t> out(2000);
      std::size_t out_size = 0;
      ASSERT_EQ(Ulpfec::Recover(h, present, 0x1234, out, out_size), UlpfecStatus::kOk);
      out.resize(out_size);
      EXPECT_EQ(out, stream[lost]) << "n=" << n << " lost=" << lost;
    }
    // Two losses cannot be rebuilt from one XOR.
    if (n >= 2) {
      std::vector<RtpPacket> present(parsed.begin() + 2, parsed.end());
      std::vector<uint8_t> out(2000);
      std::size_t out_size = 0;
      EXPECT_EQ(Ulpfec::Recover(h, present, 0x1234, out, out_size), UlpfecStatus::kNotRecoverable);
    }
  }
}

TEST(Ulpfec, ShortMaskHeaderLayout) {
  std::mt19937 rng(1);
  const auto stream = MakeStream(1000, 3, rng);
  std::vector<RtpPacket> parsed(3);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(RtpPacket::Parse(stream[i], parsed[i]), RtpParseStatus::kOk);
  std::vector<uint8_t> fec(1000);
  std::size_t size = 0;
  ASSERT_EQ(Ulpfec::Build(parsed, fec, size), UlpfecStatus::kOk);
  EXPECT_EQ(fec[0] & 0xC0, 0);          // E=0, L=0
  EXPECT_EQ(fec[2], 1000 >> 8);         // SN base
  EXPECT_EQ(fec[3], 1000 & 0xff);
  EXPECT_EQ(fec[12], 0xE0);             // mask: base, base+1, base+2 -> top three bits
  EXPECT_EQ(fec[13], 0x00);
}

TEST(Ulpfec, ParseAndBuildRejectBadInput) {
  UlpfecHeader h;
  EXPECT_EQ(Ulpfec::Parse(std::vector<uint8_t>(5), h), UlpfecStatus::kTooShort);
  std::vector<uint8_t> e(20);
  e[0] = 0x80;
  EXPECT_EQ(Ulpfec::Parse(e, h), UlpfecStatus::kUnsupported);
  std::vector<uint8_t> lying(14);
  lying[10] = 0x01;  // protection length 256 with nothing behind it
  EXPECT_EQ(Ulpfec::Parse(lying, h), UlpfecStatus::kTooShort);
  std::vector<uint8_t> out(100);
  std::size_t size = 0;
  EXPECT_EQ(Ulpfec::Build({}, out, size), UlpfecStatus::kBadInput);
}

}  // namespace
}  // namespace cbcs::rtp
