#include "cbcs/rtp/RtcpNack.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace cbcs::rtp {
namespace {

TEST(RtcpNack, WorkedExampleFromRfc4585Layout) {
  // Lost 100, 102, 116 (100 + 16) and 200: entries (100, BLP bits 1 and 15), (200, 0).
  const std::vector<uint16_t> lost = {100, 102, 116, 200};
  std::vector<uint8_t> out(64);
  const std::size_t n = RtcpNack::Build(0x11223344, 0x55667788, lost, out);
  out.resize(n);
  const std::vector<uint8_t> expected = {0x81, 205,  0x00, 0x04, 0x11, 0x22, 0x33, 0x44,
                                         0x55, 0x66, 0x77, 0x88, 0x00, 100,  0x80, 0x02,
                                         0x00, 200,  0x00, 0x00};
  EXPECT_EQ(out, expected);
  std::array<uint16_t, 64> parsed;
  RtcpNackInfo info;
  ASSERT_EQ(RtcpNack::Parse(out, parsed, info), RtcpNackParseStatus::kOk);
  EXPECT_EQ(info.sender_ssrc, 0x11223344u);
  EXPECT_EQ(info.media_ssrc, 0x55667788u);
  EXPECT_EQ(info.packet_size, n);
  EXPECT_EQ(std::vector<uint16_t>(parsed.begin(), parsed.begin() + info.lost_count), lost);
}

TEST(RtcpNack, PacksAcrossTheSequenceWrap) {
  const std::vector<uint16_t> lost = {65534, 65535, 0, 1};
  std::vector<uint8_t> out(64);
  const std::size_t n = RtcpNack::Build(1, 2, lost, out);
  ASSERT_EQ(n, 16u);  // one entry
  std::array<uint16_t, 64> parsed;
  RtcpNackInfo info;
  ASSERT_EQ(RtcpNack::Parse(std::span(out.data(), n), parsed, info), RtcpNackParseStatus::kOk);
  EXPECT_EQ(std::vector<uint16_t>(parsed.begin(), parsed.begin() + info.lost_count), lost);
}

TEST(RtcpNack, UnsortedInputComesBackInTheSameOrder) {
  const std::vector<uint16_t> lost = {0, 7, 2, 4, 7, 8};  // as a fuzzer found it
  std::vector<uint8_t> out(RtcpNack::BuildSize(lost));
  ASSERT_EQ(RtcpNack::Build(1, 2, lost, out), out.size());
  std::array<uint16_t, 64> parsed;
  RtcpNackInfo info;
  ASSERT_EQ(RtcpNack::Parse(out, parsed, info), RtcpNackParseStatus::kOk);
  EXPECT_EQ(std::vector<uint16_t>(parsed.begin(), parsed.begin() + info.lost_count), lost);
}

TEST(RtcpNack, OtherRtcpIsSkippableAndGarbageRejected) {
  std::array<uint16_t, 4> parsed;
  RtcpNackInfo info;
  // A receiver report (PT 201) with no blocks: 8 bytes, not a NACK.
  const std::vector<uint8_t> rr = {0x80, 201, 0x00, 0x01, 1, 2, 3, 4};
  EXPECT_EQ(RtcpNack::Parse(rr, parsed, info), RtcpNackParseStatus::kNotNack);
  EXPECT_EQ(info.packet_size, 8u);
  EXPECT_EQ(RtcpNack::Parse(std::vector<uint8_t>{0x81, 205, 0x00, 0x05}, parsed, info),
            RtcpNackParseStatus::kTooShort);
  EXPECT_EQ(RtcpNack::Parse(std::vector<uint8_t>{0x41, 205, 0, 0}, parsed, info),
            RtcpNackParseStatus::kBadVersion);
  EXPECT_EQ(RtcpNack::Parse(std::vector<uint8_t>{0x81, 205, 0, 1, 0, 0, 0, 0}, parsed, info),
            RtcpNackParseStatus::kBadLength);
  // Every BLP bit set: 17 numbers, more than the 4 slots given.
  const std::vector<uint8_t> many = {0x81, 205, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 7, 0xFF, 0xFF};
  EXPECT_EQ(RtcpNack::Parse(many, parsed, info), RtcpNackParseStatus::kTooManyLost);
}

}  // namespace
}  // namespace cbcs::rtp
