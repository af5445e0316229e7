#include "cbcs/cc/TrendlineEstimator.hpp"

#include <gtest/gtest.h>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::cc {
namespace {

// Feed n groups 5 ms apart whose arrival spacing exceeds the send spacing by extra_ms.
double Slope(double extra_ms, int n = 40) {
  TrendlineEstimator t;
  for (int i = 0; i < n; ++i) t.Update(5 + extra_ms, 5, 100 + i * (5 + extra_ms));
  return t.trend();
}

TEST(TrendlineEstimator, SlopeFollowsQueueGrowth) {
  EXPECT_NEAR(Slope(0), 0, 1e-9);         // steady queue
  EXPECT_GT(Slope(1), 0.05);               // queue grows 1 ms per 6 ms
  EXPECT_LT(Slope(-1), -0.05);             // draining
  EXPECT_GT(Slope(2), Slope(1));
}

TEST(TrendlineEstimator, NoTrendUntilWindowFull) {
  TrendlineEstimator t;
  for (int i = 0; i < 19; ++i) t.Update(7, 5, i * 7.0);
  EXPECT_FALSE(t.window_full());
  EXPECT_EQ(t.trend(), 0);
  t.Update(7, 5, 19 * 7.0);
  EXPECT_TRUE(t.window_full());
  EXPECT_GT(t.modified_trend(), 0);
}

TEST(TrendlineEstimator, RejectsBadConfig) {
  EXPECT_THROW(TrendlineEstimator(TrendlineConfig{1, 0.9, 4}), ConfigError);
  EXPECT_THROW(TrendlineEstimator(TrendlineConfig{20, 1.0, 4}), ConfigError);
}

}  // namespace
}  // namespace cbcs::cc
