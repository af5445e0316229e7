#include "cbcs/cc/TransportFeedback.hpp"

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <vector>

#include "AllocationCounter.hpp"
#include "cbcs/cc/TransportSequenceExtension.hpp"
#include "cbcs/common/ConfigError.hpp"

namespace cbcs::cc {
namespace {

using Bytes = std::vector<uint8_t>;

// A feedback packet around the given chunk and delta bytes, with an honest length field and
// RFC 3550 padding when needed.
Bytes Wrap(uint16_t base_seq, uint16_t count, const Bytes& body) {
  Bytes b = {0x8F, 205, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2,
             static_cast<uint8_t>(base_seq >> 8), static_cast<uint8_t>(base_seq),
             static_cast<uint8_t>(count >> 8), static_cast<uint8_t>(count), 0, 0, 1, 0};
  b.insert(b.end(), body.begin(), body.end());
  const size_t padding = (4 - b.size() % 4) % 4;
  if (padding) {
    b[0] |= 0x20;
    for (size_t i = 0; i + 1 < padding; ++i) b.push_back(0);
    b.push_back(static_cast<uint8_t>(padding));
  }
  b[3] = static_cast<uint8_t>(b.size() / 4 - 1);
  return b;
}

Bytes Build(TransportFeedback& fb) {
  Bytes out(fb.SerializedSize());
  EXPECT_EQ(fb.Serialize(out), out.size());
  return out;
}

// Draft 3.1.3, run length chunk example 1: "0|00|0000011011101" is a run of 221 "packet not
// received". Chrome's encoder emits exactly this chunk for 221 losses followed by one arrival.
TEST(TransportFeedback, DraftRunLengthExample1) {
  TransportFeedback fb;
  ASSERT_EQ(fb.Parse(Wrap(100, 221, {0x00, 0xDD})), FeedbackStatus::kOk);
  EXPECT_EQ(fb.status_count(), 221u);
  for (size_t i = 0; i < 221; ++i) EXPECT_FALSE(fb.received(i));

  fb.Reset(1, 2, 100, 0, 0);
  ASSERT_EQ(fb.AddReceivedPacket(static_cast<uint16_t>(100 + 221), 1000), FeedbackStatus::kOk);
  const Bytes built = Build(fb);
  EXPECT_EQ(built[20], 0x00);
  EXPECT_EQ(built[21], 0xDD);                 // the draft's chunk
  EXPECT_EQ(built[22], 0x20);                 // then a run of one small delta
  EXPECT_EQ(built[23], 0x01);
  EXPECT_EQ(built[24], 4);                    // 1000 us = 4 ticks
}

// Draft 3.1.3 example 2 uses symbol 11 ("received w/o recv delta"), which 3.1.1 itself marks
// reserved and Chrome rejects; we reject it the same way. The intended run (24 packets received
// with small deltas) is 0|01|0000000011000.
TEST(TransportFeedback, DraftRunLengthExample2ReservedSymbolRejected) {
  TransportFeedback fb;
  EXPECT_EQ(fb.Parse(Wrap(0, 24, {0x60, 0x18})), FeedbackStatus::kReservedSymbol);

  fb.Reset(1, 2, 7, 0, 0);
  for (int i = 0; i < 24; ++i) ASSERT_EQ(fb.AddReceivedPacket(static_cast<uint16_t>(7 + i), 1000 * i), FeedbackStatus::kOk);
  const Bytes built = Build(fb);
  EXPECT_EQ(built[20], 0x20);
  EXPECT_EQ(built[21], 0x18);
  TransportFeedback back;
  ASSERT_EQ(back.Parse(built), FeedbackStatus::kOk);
  EXPECT_EQ(back.status_count(), 24u);
}

// Draft 3.1.4, status vector example 1: "1|0|0 1 1 1 1 1 0 0 0 1 1 1 0 0" = 1x not received,
// 5x received, 3x not received, 3x received, 2x not received (0 = not received, as in the
// draft's example and in Chrome; the prose above it has the bit meanings swapped).
TEST(TransportFeedback, DraftStatusVectorExample1) {
  TransportFeedback fb;
  // 8 received packets, one small delta byte each.
  const Bytes wire = Wrap(10, 14, {0x9F, 0x1C, 1, 2, 3, 4, 5, 6, 7, 8});
  ASSERT_EQ(fb.Parse(wire), FeedbackStatus::kOk);
  const std::array<int, 14> expect = {0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0};
  for (size_t i = 0; i < 14; ++i) EXPECT_EQ(fb.received(i), expect[i] == 1) << i;
  std::vector<int64_t> arrivals;
  fb.ForEachPacket([&](uint16_t, bool rx, int64_t t) {
    if (rx) arrivals.push_back(t);
  });
  ASSERT_EQ(arrivals.size(), 8u);
  EXPECT_EQ(arrivals.back() - fb.BaseTimeUs(), (1 + 2 + 3 + 4 + 5 + 6 + 7 + 8) * 250);

  // Built from the same arrivals (the trailing losses cannot end a feedback), the chunk is the
  // draft's one: a one-bit vector padded with "not received".
  fb.Reset(1, 2, 10, 0, 0);
  int64_t t = 0;
  int k = 1;
  for (int i = 0; i < 12; ++i) {
    if (expect[i]) {
      t += 250 * k++;
      ASSERT_EQ(fb.AddReceivedPacket(static_cast<uint16_t>(10 + i), t), FeedbackStatus::kOk);
    }
  }
  const Bytes built = Build(fb);
  EXPECT_EQ(built[20], 0x9F);
  EXPECT_EQ(built[21], 0x1C);
}

// Draft 3.1.4 example 2 again uses the reserved symbol; with a large delta in its place the
// two-bit vector "1|1|00 10 01 01 01 00 00" is what Chrome builds for that pattern.
TEST(TransportFeedback, DraftStatusVectorExample2) {
  TransportFeedback fb;
  EXPECT_EQ(fb.Parse(Wrap(0, 7, {0xCD, 0x50, 1, 2, 3, 4})), FeedbackStatus::kReservedSymbol);

  fb.Reset(1, 2, 0, 0, 0);
  ASSERT_EQ(fb.AddReceivedPacket(1, 100'000), FeedbackStatus::kOk);  // 400 ticks: large
  ASSERT_EQ(fb.AddReceivedPacket(2, 101'000), FeedbackStatus::kOk);
  ASSERT_EQ(fb.AddReceivedPacket(3, 102'000), FeedbackStatus::kOk);
  ASSERT_EQ(fb.AddReceivedPacket(4, 103'000), FeedbackStatus::kOk);
  const Bytes built = Build(fb);
  EXPECT_EQ(built[20], 0xC9);
  EXPECT_EQ(built[21], 0x50);
  EXPECT_EQ(built[22], 0x01);  // 400 as a 16-bit signed delta
  EXPECT_EQ(built[23], 0x90);
}

// A whole packet worked out by hand from the draft's field definitions: sequence wrap, a loss,
// a small, a large negative delta (reordering), the 64 ms reference time and the padding.
TEST(TransportFeedback, WholePacketByHand) {
  TransportFeedback fb;
  fb.Reset(0x01020304, 0x05060708, 65534, 1'000'000, 7);  // reference 15 x 64 ms = 960 ms
  ASSERT_EQ(fb.AddReceivedPacket(65534, 1'000'000), FeedbackStatus::kOk);  // +40 ms = 160 ticks
  ASSERT_EQ(fb.AddReceivedPacket(0, 1'001'300), FeedbackStatus::kOk);     // 65535 lost; 5 ticks
  ASSERT_EQ(fb.AddReceivedPacket(1, 1'000'500), FeedbackStatus::kOk);     // -3 ticks: large
  const Bytes expect = {
      0xAF, 0xCD, 0x00, 0x06,  // V=2 P=1 FMT=15, PT=205, length 6 words
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
      0xFF, 0xFE, 0x00, 0x04,  // base 65534, 4 statuses
      0x00, 0x00, 0x0F, 0x07,  // reference 15, feedback count 7
      0xD1, 0x80,              // two-bit vector: small, not received, small, large
      0xA0, 0x05, 0xFF, 0xFD,  // deltas 160, 5, -3
      0x00, 0x02,              // padding, count in the last byte
  };
  EXPECT_EQ(Build(fb), expect);

  TransportFeedback back;
  ASSERT_EQ(back.Parse(expect), FeedbackStatus::kOk);
  EXPECT_EQ(back.base_seq(), 65534);
  EXPECT_EQ(back.feedback_count(), 7);
  EXPECT_EQ(back.BaseTimeUs(), 960'000);
  std::vector<std::pair<uint16_t, int64_t>> got;
  back.ForEachPacket([&](uint16_t seq, bool rx, int64_t t) { got.emplace_back(seq, rx ? t : -1); });
  const std::vector<std::pair<uint16_t, int64_t>> want = {
      {65534, 1'000'000}, {65535, -1}, {0, 1'001'250}, {1, 1'000'500}};
  EXPECT_EQ(got, want);
}

TEST(TransportFeedback, RejectsMalformedPackets) {
  TransportFeedback fb;
  const Bytes good = Wrap(0, 2, {0x20, 0x02, 1, 1});
  ASSERT_EQ(fb.Parse(good), FeedbackStatus::kOk);
  struct Case {
    Bytes bytes;
    FeedbackStatus want;
  };
  Bytes wrong_fmt = good;
  wrong_fmt[0] = 0x81;
  Bytes long_len = good;
  long_len[3] = 9;
  Bytes bad_pad = Wrap(0, 1, {0x20, 0x01, 1});
  bad_pad.back() = 0;
  Bytes huge_pad = Wrap(0, 1, {0x20, 0x01, 1});
  huge_pad.back() = 200;
  const std::vector<Case> cases = {
      {{}, FeedbackStatus::kTooShort},
      {{0x8F, 205}, FeedbackStatus::kTooShort},
      {wrong_fmt, FeedbackStatus::kNotTransportFeedback},
      {long_len, FeedbackStatus::kTooShort},
      {bad_pad, FeedbackStatus::kBadPadding},
      {huge_pad, FeedbackStatus::kBadPadding},
      {Wrap(0, 0, {0x20, 0x01}), FeedbackStatus::kEmpty},
      {Wrap(0, 30, {0x80, 0x00}), FeedbackStatus::kTruncated},  // 14 of 30 statuses
  };
  for (const auto& c : cases) EXPECT_EQ(fb.Parse(c.bytes), c.want);
  TransportFeedback small(10);
  EXPECT_EQ(small.Parse(Wrap(0, 11, {0x00, 0x0B})), FeedbackStatus::kTooManyPackets);
}

TEST(TransportFeedback, StatusesWithoutDeltasAreTimestampless) {
  TransportFeedback fb;
  // Two-bit vector: not received, small, small; and no delta bytes at all.
  ASSERT_EQ(fb.Parse(Wrap(5, 3, {0xC5, 0x00})), FeedbackStatus::kOk);
  EXPECT_FALSE(fb.has_timestamps());
  EXPECT_FALSE(fb.received(0));
  EXPECT_TRUE(fb.received(1));
  EXPECT_TRUE(fb.received(2));
}

TEST(TransportFeedback, BuilderRejectsWhatCannotBeEncoded) {
  TransportFeedback fb;
  fb.Reset(1, 2, 100, 0, 0);
  EXPECT_EQ(fb.AddReceivedPacket(99, 0), FeedbackStatus::kOutOfOrder);
  ASSERT_EQ(fb.AddReceivedPacket(100, 0), FeedbackStatus::kOk);
  EXPECT_EQ(fb.AddReceivedPacket(100, 10), FeedbackStatus::kOutOfOrder);
  EXPECT_EQ(fb.AddReceivedPacket(101, 8'192'000), FeedbackStatus::kDeltaTooLarge);
  EXPECT_EQ(fb.AddReceivedPacket(101, 8'191'750), FeedbackStatus::kOk);
  EXPECT_EQ(fb.AddReceivedPacket(static_cast<uint16_t>(101 + 0x7FFF), 8'191'750),
            FeedbackStatus::kTooManyPackets);
  EXPECT_THROW(TransportFeedback(0), ConfigError);
  EXPECT_THROW(TransportFeedback(70000), ConfigError);
}

// Round trip over random arrival patterns, including long loss runs and reordering.
TEST(TransportFeedback, RandomRoundTripKeepsArrivalsWithin125us) {
  std::mt19937 rng(5);
  TransportFeedback fb, back;
  Bytes buf(300'000);
  for (int trial = 0; trial < 300; ++trial) {
    const uint16_t base = static_cast<uint16_t>(rng());
    const int64_t ref = static_cast<int64_t>(rng() % 1'000'000'000);
    fb.Reset(9, 10, base, ref, static_cast<uint8_t>(trial));
    std::vector<std::pair<uint16_t, int64_t>> sent;
    uint16_t seq = base;
    int64_t t = ref;
    const int n = 1 + static_cast<int>(rng() % 400);
    for (int i = 0; i < n; ++i) {
      const int gap = (rng() % 10 == 0) ? static_cast<int>(rng() % 300) : 0;
      seq = static_cast<uint16_t>(seq + gap);
      t += static_cast<int64_t>(rng() % 100'000) - 10'000;
      if (fb.AddReceivedPacket(seq, t) != FeedbackStatus::kOk) break;
      sent.emplace_back(seq, t);
      seq = static_cast<uint16_t>(seq + 1);
    }
    const size_t len = fb.Serialize(buf);
    ASSERT_GT(len, 0u);
    ASSERT_EQ(len % 4, 0u);
    ASSERT_EQ(back.Parse(std::span(buf.data(), len)), FeedbackStatus::kOk);
    size_t k = 0;
    // Arrival times come back relative to the 64 ms-aligned reference.
    const int64_t shift = ref - (ref % TransportFeedback::kReferenceTickUs) - back.BaseTimeUs();
    back.ForEachPacket([&](uint16_t s, bool rx, int64_t at) {
      if (!rx) return;
      ASSERT_LT(k, sent.size());
      EXPECT_EQ(s, sent[k].first);
      EXPECT_LE(std::llabs(at + shift - sent[k].second), 125);
      ++k;
    });
    EXPECT_EQ(k, sent.size());
  }
}

TEST(TransportFeedback, ParseAndBuildAllocateNothing) {
  TransportFeedback fb;
  Bytes buf(4096);
  fb.Reset(1, 2, 0, 0, 0);
  for (int i = 0; i < 200; i += 1 + (i % 3)) fb.AddReceivedPacket(static_cast<uint16_t>(i), i * 3000);
  const size_t len = fb.Serialize(buf);
  const auto before = testing::AllocationCount();
  for (int i = 0; i < 100; ++i) {
    fb.Parse(std::span(buf.data(), len));
    fb.Serialize(buf);
  }
  EXPECT_EQ(testing::AllocationCount(), before);
}

TEST(TransportSequenceExtension, ParsesAndWritesBothForms) {
  std::array<uint8_t, 4> buf{};
  EXPECT_EQ(TransportSequenceExtension::WriteOneByteElement(buf, 5, 0xABCD), 3u);
  EXPECT_EQ(buf[0], 0x51);
  EXPECT_EQ(buf[1], 0xAB);
  EXPECT_EQ(buf[2], 0xCD);
  EXPECT_EQ(TransportSequenceExtension::WriteOneByteElement(buf, 15, 1), 0u);
  uint16_t seq = 0;
  bool has = true;
  TransportSequenceExtension::FeedbackRequest req;
  ASSERT_TRUE(TransportSequenceExtension::Parse(std::span(buf).subspan(1, 2), &seq, &has, &req));
  EXPECT_EQ(seq, 0xABCD);
  EXPECT_FALSE(has);
  ASSERT_EQ(TransportSequenceExtension::WriteWithRequest(buf, 7, {false, 0x1234}), 4u);
  ASSERT_TRUE(TransportSequenceExtension::Parse(buf, &seq, &has, &req));
  EXPECT_TRUE(has);
  EXPECT_FALSE(req.include_timestamps);
  EXPECT_EQ(req.sequence_count, 0x1234);
  EXPECT_FALSE(TransportSequenceExtension::Parse(std::span(buf).first(3), &seq, &has, &req));
}

}  // namespace
}  // namespace cbcs::cc
