#include "cbcs/fec/RetransmissionHistory.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "AllocationCounter.hpp"
#include "cbcs/common/ConfigError.hpp"

namespace cbcs::fec {
namespace {

TEST(RetransmissionHistory, KeepsTheLastCapacityPacketsWithinMaxAge) {
  RetransmissionHistory h(4, 100, 500);
  for (int i = 0; i < 6; ++i) {
    std::vector<uint8_t> p(20, static_cast<uint8_t>(i));
    ASSERT_TRUE(h.Store(static_cast<uint16_t>(i), p, i * 10.0));
  }
  EXPECT_TRUE(h.Resend(1, 60, 0).empty());  // overwritten by 5
  const auto p5 = h.Resend(5, 60, 0);
  ASSERT_EQ(p5.size(), 20u);
  EXPECT_EQ(p5[0], 5);
  EXPECT_TRUE(h.Resend(4, 600, 0).empty());  // 4 was sent at 40 ms: too old at 600
  EXPECT_EQ(h.MemoryBytes(), 400u);
}

TEST(RetransmissionHistory, LimitsResendsToOncePerInterval) {
  RetransmissionHistory h(16, 100, 1000);
  std::vector<uint8_t> p(30, 1);
  h.Store(7, p, 0);
  EXPECT_FALSE(h.Resend(7, 10, 100).empty());
  EXPECT_TRUE(h.Resend(7, 50, 100).empty());
  EXPECT_FALSE(h.Resend(7, 111, 100).empty());
  EXPECT_EQ(h.Stats().too_soon, 1u);
}

TEST(RetransmissionHistory, StoreAndResendAllocateNothing) {
  RetransmissionHistory h(64, 1200, 1000);
  std::vector<uint8_t> p(1000, 3);
  const uint64_t before = testing::AllocationCount();
  for (int i = 0; i < 1000; ++i) {
    h.Store(static_cast<uint16_t>(i), p, i * 20.0);
    h.Resend(static_cast<uint16_t>(i - 5), i * 20.0, 50);
  }
  EXPECT_EQ(testing::AllocationCount(), before);
  EXPECT_FALSE(h.Store(1, std::vector<uint8_t>(1201), 0));
}

TEST(RetransmissionHistory, RejectsBadConfig) {
  EXPECT_THROW(RetransmissionHistory(0, 100, 10), ConfigError);
  EXPECT_THROW(RetransmissionHistory(10, 5, 10), ConfigError);
  EXPECT_THROW(RetransmissionHistory(10, 100, 0), ConfigError);
}

}  // namespace
}  // namespace cbcs::fec
