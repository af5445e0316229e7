#include "cbcs/cc/FeedbackGenerator.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "AllocationCounter.hpp"

namespace cbcs::cc {
namespace {

std::vector<std::pair<uint16_t, int64_t>> Packets(const std::vector<uint8_t>& bytes) {
  TransportFeedback fb;
  EXPECT_EQ(fb.Parse(bytes), FeedbackStatus::kOk);
  std::vector<std::pair<uint16_t, int64_t>> out;
  fb.ForEachPacket([&](uint16_t s, bool rx, int64_t t) { out.emplace_back(s, rx ? t - fb.BaseTimeUs() : -1); });
  return out;
}

TEST(FeedbackGenerator, ReportsEveryIntervalWithLossesAcrossTheWrap) {
  FeedbackGenerator g;
  std::vector<uint8_t> buf(2048);
  g.OnPacket(65534, 1000.0);
  g.OnPacket(0, 1010.0);  // 65535 lost
  EXPECT_EQ(g.Poll(1050, buf), 0u);  // not due yet
  const size_t n = g.Poll(1100, buf);
  ASSERT_GT(n, 0u);
  const auto p = Packets({buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)});
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].first, 65534);
  EXPECT_EQ(p[1].second, -1);
  EXPECT_EQ(p[2].second - p[0].second, 10'000);
  EXPECT_EQ(g.Poll(1100, buf), 0u);  // nothing new
}

TEST(FeedbackGenerator, LateReorderedPacketIsReportedAgain) {
  FeedbackGenerator g;
  std::vector<uint8_t> buf(2048);
  g.OnPacket(10, 0);
  g.OnPacket(12, 5);
  ASSERT_GT(g.Poll(100, buf), 0u);
  g.OnPacket(11, 120);  // arrived after its loss was reported
  const size_t n = g.Poll(200, buf);
  ASSERT_GT(n, 0u);
  const auto p = Packets({buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)});
  EXPECT_EQ(p.front().first, 11);
}

TEST(FeedbackGenerator, SteadyStateAllocatesNothing) {
  FeedbackGenerator g;
  std::vector<uint8_t> buf(4096);
  double t = 0;
  for (int i = 0; i < 200; ++i) g.OnPacket(static_cast<uint16_t>(i), t += 2);
  g.Poll(t + 100, buf);
  const auto before = testing::AllocationCount();
  for (int i = 200; i < 20000; ++i) {
    g.OnPacket(static_cast<uint16_t>(i), t += 2);
    g.Poll(t, buf);
  }
  EXPECT_EQ(testing::AllocationCount(), before);
}

}  // namespace
}  // namespace cbcs::cc
