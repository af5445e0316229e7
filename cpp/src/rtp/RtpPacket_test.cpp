#include "cbcs/rtp/RtpPacket.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace cbcs::rtp {
namespace {

TEST(RtpPacket, ParsesAWorkedExampleByteForByte) {
  // V=2 P=0 X=1 CC=1 | M=1 PT=111 | seq 0x1234 | ts 0xDEADBEEF | ssrc 0x01020304 |
  // csrc 0x0A0B0C0D | ext profile 0xBEDE, 1 word | ext data | payload "hi".
  const std::vector<uint8_t> bytes = {0x91, 0xEF, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02,
                                      0x03, 0x04, 0x0A, 0x0B, 0x0C, 0x0D, 0xBE, 0xDE, 0x00, 0x01,
                                      0x10, 0xFF, 0x00, 0x00, 'h',  'i'};
  RtpPacket p;
  ASSERT_EQ(RtpPacket::Parse(bytes, p), RtpParseStatus::kOk);
  EXPECT_TRUE(p.Marker());
  EXPECT_EQ(p.PayloadType(), 111);
  EXPECT_EQ(p.Sequence(), 0x1234);
  EXPECT_EQ(p.Timestamp(), 0xDEADBEEFu);
  EXPECT_EQ(p.Ssrc(), 0x01020304u);
  ASSERT_EQ(p.CsrcCount(), 1u);
  EXPECT_EQ(p.Csrc(0), 0x0A0B0C0Du);
  EXPECT_EQ(p.ExtensionProfile(), 0xBEDE);
  EXPECT_EQ(p.Extension().size(), 4u);
  ASSERT_EQ(p.Payload().size(), 2u);
  EXPECT_EQ(p.Payload()[0], 'h');

  // Building the same fields gives the same bytes.
  const uint32_t csrc[] = {0x0A0B0C0D};
  const uint8_t ext[] = {0x10, 0xFF, 0x00, 0x00};
  RtpHeader h{true, 111, 0x1234, 0xDEADBEEF, 0x01020304, csrc, true, 0xBEDE, ext};
  std::vector<uint8_t> out(64);
  const uint8_t payload[] = {'h', 'i'};
  const std::size_t n = RtpPacket::Build(h, payload, out);
  out.resize(n);
  EXPECT_EQ(out, bytes);
}

TEST(RtpPacket, PaddingIsStrippedFromThePayload) {
  std::vector<uint8_t> out(64);
  const uint8_t payload[] = {1, 2, 3};
  const std::size_t n = RtpPacket::Build(RtpHeader{.payload_type = 8}, payload, out, 4);
  ASSERT_EQ(n, 12u + 3 + 4);
  EXPECT_EQ(out[0], 0xA0);
  EXPECT_EQ(out[n - 1], 4);
  RtpPacket p;
  ASSERT_EQ(RtpPacket::Parse(std::span(out.data(), n), p), RtpParseStatus::kOk);
  EXPECT_EQ(p.Payload().size(), 3u);
  EXPECT_EQ(p.PaddingSize(), 4u);
}

TEST(RtpPacket, RejectsMalformedInput) {
  struct Case { std::vector<uint8_t> bytes; RtpParseStatus status; };
  const std::vector<Case> cases = {
      {{0x80, 0x00}, RtpParseStatus::kTooShort},
      {{0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, RtpParseStatus::kBadVersion},
      {{0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, RtpParseStatus::kTooShort},  // CSRC missing
      {{0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xBE, 0xDE, 0, 2, 0, 0, 0, 0}, RtpParseStatus::kTooShort},
      {{0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 0}, RtpParseStatus::kBadPadding},
      {{0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9}, RtpParseStatus::kBadPadding},
  };
  for (const Case& c : cases) {
    RtpPacket p;
    EXPECT_EQ(RtpPacket::Parse(c.bytes, p), c.status);
  }
}

TEST(RtpPacket, BuildRefusesInvalidHeaders) {
  std::vector<uint8_t> out(64);
  EXPECT_EQ(RtpPacket::Build(RtpHeader{.payload_type = 128}, {}, out), 0u);
  const uint8_t ext[] = {1, 2, 3};
  EXPECT_EQ(RtpPacket::Build(RtpHeader{.has_extension = true, .extension = ext}, {}, out), 0u);
  std::vector<uint8_t> tiny(11);
  EXPECT_EQ(RtpPacket::Build(RtpHeader{}, {}, tiny), 0u);
}

}  // namespace
}  // namespace cbcs::rtp
