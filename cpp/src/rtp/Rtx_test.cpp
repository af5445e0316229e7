#include "cbcs/rtp/Rtx.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace cbcs::rtp {
namespace {

TEST(Rtx, WrapPrependsTheOriginalSequenceAndUnwrapRestoresThePacket) {
  const uint32_t csrc[] = {7};
  const uint8_t ext[] = {0x10, 0xAA, 0, 0};
  RtpHeader h{true, 96, 0xFFFE, 123456, 0xCAFE, csrc, true, 0xBEDE, ext};
  const uint8_t payload[] = {1, 2, 3, 4, 5};
  std::vector<uint8_t> original(64);
  original.resize(RtpPacket::Build(h, payload, original));
  RtpPacket orig;
  ASSERT_EQ(RtpPacket::Parse(original, orig), RtpParseStatus::kOk);

  std::vector<uint8_t> rtx(64);
  rtx.resize(Rtx::Wrap(orig, 97, 0xBEEF, 5, rtx));
  RtpPacket r;
  ASSERT_EQ(RtpPacket::Parse(rtx, r), RtpParseStatus::kOk);
  EXPECT_EQ(r.PayloadType(), 97);
  EXPECT_EQ(r.Ssrc(), 0xBEEFu);
  EXPECT_EQ(r.Sequence(), 5);
  EXPECT_EQ(r.Timestamp(), 123456u);
  EXPECT_TRUE(r.Marker());
  EXPECT_EQ(r.Csrc(0), 7u);
  ASSERT_EQ(r.Payload().size(), 7u);
  EXPECT_EQ(r.Payload()[0], 0xFF);  // OSN 0xFFFE, network order
  EXPECT_EQ(r.Payload()[1], 0xFE);
  EXPECT_EQ(r.Payload()[2], 1);

  std::vector<uint8_t> back(64);
  back.resize(Rtx::Unwrap(r, 96, 0xCAFE, back));
  EXPECT_EQ(back, original);
}

TEST(Rtx, UnwrapRejectsAPayloadWithoutOsn) {
  const uint8_t one[] = {9};
  std::vector<uint8_t> bytes(32);
  bytes.resize(RtpPacket::Build(RtpHeader{.payload_type = 97}, one, bytes));
  RtpPacket p;
  ASSERT_EQ(RtpPacket::Parse(bytes, p), RtpParseStatus::kOk);
  std::vector<uint8_t> out(64);
  EXPECT_EQ(Rtx::Unwrap(p, 96, 1, out), 0u);
}

}  // namespace
}  // namespace cbcs::rtp
