#include "cbcs/jitter/PacketBuffer.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace cbcs::jitter {
namespace {

std::vector<int16_t> Ramp(int start, int n) {
  std::vector<int16_t> v(n);
  for (int i = 0; i < n; ++i) v[i] = static_cast<int16_t>(start + i);
  return v;
}

TEST(PacketBuffer, KeepsTimestampOrderWhateverTheInsertOrder) {
  PacketBuffer b(8, 320);
  for (int64_t ts : {640, 0, 320, 960}) {
    auto pcm = Ramp(static_cast<int>(ts), 320);
    EXPECT_EQ(b.Insert(ts / 320, ts, pcm.data(), 320, 0.0), PacketBuffer::InsertResult::kOk);
  }
  ASSERT_EQ(b.Size(), 4);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(b.At(i).timestamp, i * 320);
}

TEST(PacketBuffer, ReadsContiguouslyAcrossPacketsAndStopsAtAGap) {
  PacketBuffer b(8, 320);
  auto a = Ramp(0, 320), c = Ramp(320, 320), d = Ramp(960, 320);
  b.Insert(0, 0, a.data(), 320, 0);
  b.Insert(1, 320, c.data(), 320, 0);
  b.Insert(3, 960, d.data(), 320, 0);  // 640..960 missing
  std::vector<int16_t> out(1000);
  EXPECT_EQ(b.Read(100, 1000, out.data()), 540);
  for (int i = 0; i < 540; ++i) ASSERT_EQ(out[i], 100 + i);
  EXPECT_EQ(b.Read(640, 100, nullptr), 0);
  EXPECT_EQ(b.Read(1000, 1000, nullptr), 280);
  EXPECT_EQ(b.FirstAfter(640), 2);
  EXPECT_EQ(b.FirstAfter(960), -1);
  EXPECT_EQ(b.End(0), 1280);
}

TEST(PacketBuffer, DuplicateTimestampIsRefusedAndFullIsReported) {
  PacketBuffer b(2, 160);
  auto p = Ramp(0, 160);
  EXPECT_EQ(b.Insert(0, 0, p.data(), 160, 0), PacketBuffer::InsertResult::kOk);
  EXPECT_EQ(b.Insert(0, 0, p.data(), 160, 0), PacketBuffer::InsertResult::kDuplicate);
  EXPECT_EQ(b.Insert(1, 160, p.data(), 160, 0), PacketBuffer::InsertResult::kOk);
  EXPECT_EQ(b.Insert(2, 320, p.data(), 160, 0), PacketBuffer::InsertResult::kFull);
  EXPECT_EQ(b.Insert(3, 480, p.data(), 200, 0), PacketBuffer::InsertResult::kFull);  // too long
}

TEST(PacketBuffer, DropBeforeCountsOnlyPacketsPlayoutNeverRead) {
  PacketBuffer b(8, 160);
  auto p = Ramp(0, 160);
  for (int i = 0; i < 4; ++i) b.Insert(i, i * 160, p.data(), 160, 0);
  b.MarkRead(0, 200);                // packets 0 and 1 touched
  EXPECT_EQ(b.DropBefore(480), 1);   // 0, 1 read; 2 skipped
  EXPECT_EQ(b.Size(), 1);
  EXPECT_EQ(b.At(0).timestamp, 480);
  // Slots are reused after drops: no growth.
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(b.Insert(10 + i, 1000 + i * 160, p.data(), 160, 0), PacketBuffer::InsertResult::kOk);
  }
}

}  // namespace
}  // namespace cbcs::jitter
