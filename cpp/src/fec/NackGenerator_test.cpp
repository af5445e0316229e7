#include "cbcs/fec/NackGenerator.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "AllocationCounter.hpp"
#include "cbcs/common/ConfigError.hpp"

namespace cbcs::fec {
namespace {

std::vector<uint16_t> Nacks(NackGenerator& g, double now) {
  std::array<uint16_t, 64> buf;
  const std::size_t n = g.Nacks(now, buf);
  return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)};
}

TEST(NackGenerator, RequestsOncePerRttAndGivesUpAtTheDeadline) {
  NackGenerator g({.packet_interval_ms = 20, .playout_delay_ms = 200, .rtt_ms = 50});
  g.OnPacket(10, 0);
  g.OnPacket(12, 40);  // 11 missing, nominal arrival 20 ms, deadline 220 ms
  EXPECT_EQ(Nacks(g, 40), std::vector<uint16_t>{11});
  EXPECT_TRUE(Nacks(g, 60).empty());
  EXPECT_EQ(Nacks(g, 90), std::vector<uint16_t>{11});
  EXPECT_EQ(Nacks(g, 140), std::vector<uint16_t>{11});
  EXPECT_TRUE(Nacks(g, 171).empty());  // 171 + 50 > 220
  EXPECT_EQ(g.Stats().given_up, 1u);
  EXPECT_EQ(g.MissingCount(), 0u);
}

TEST(NackGenerator, ArrivalOfAMissingPacketStopsItsRequests) {
  NackGenerator g({.playout_delay_ms = 500, .rtt_ms = 10});
  g.OnPacket(65535, 0);
  g.OnPacket(2, 60);  // 0 and 1 missing across the wrap
  EXPECT_EQ(Nacks(g, 60), (std::vector<uint16_t>{0, 1}));
  g.OnPacket(0, 65);
  EXPECT_EQ(Nacks(g, 80), std::vector<uint16_t>{1});
  EXPECT_EQ(g.Stats().recovered, 1u);
}

TEST(NackGenerator, HugeJumpKeepsOnlyTheNewestGapsWithinCapacity) {
  NackGenerator g({.max_missing = 8, .playout_delay_ms = 1000, .rtt_ms = 1});
  g.OnPacket(0, 0);
  g.OnPacket(1000, 20);
  EXPECT_EQ(g.MissingCount(), 8u);
  EXPECT_EQ(g.Stats().given_up, 999u - 8u);
  EXPECT_EQ(Nacks(g, 20).front(), 992);
}

TEST(NackGenerator, SteadyStateAllocatesNothing) {
  NackGenerator g({.playout_delay_ms = 300, .rtt_ms = 30});
  std::array<uint16_t, 64> buf;
  const uint64_t before = testing::AllocationCount();
  for (int i = 0; i < 5000; ++i) {
    if (i % 7 != 3) g.OnPacket(static_cast<uint16_t>(i), i * 20.0);
    g.Nacks(i * 20.0, buf);
  }
  EXPECT_EQ(testing::AllocationCount(), before);
}

TEST(NackGenerator, RejectsBadConfig) {
  EXPECT_THROW(NackGenerator({.max_missing = 0}), ConfigError);
  EXPECT_THROW(NackGenerator({.packet_interval_ms = -1}), ConfigError);
  EXPECT_THROW(NackGenerator({.max_retries = 0}), ConfigError);
}

}  // namespace
}  // namespace cbcs::fec
