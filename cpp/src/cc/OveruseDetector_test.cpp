#include "cbcs/cc/OveruseDetector.hpp"

#include <gtest/gtest.h>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::cc {
namespace {

TEST(OveruseDetector, CompetingRaisesTheFloorSoASlowTrendIsNotOveruse) {
  // A loss-based competitor's slow queue growth (modified trend ~8 ms) is overuse against the
  // 6 ms floor, not against the competing floor; leaving competing mode restores the floor.
  OveruseDetector normal, competing;
  competing.SetCompeting(true);
  EXPECT_DOUBLE_EQ(competing.threshold_ms(), 15.0);
  BandwidthUsage a = BandwidthUsage::kNormal, b = BandwidthUsage::kNormal;
  double t = 0;
  for (int i = 0; i < 400; ++i, t += 5) normal.Detect(2, 0.01, 5, 60, t);  // decays to 6 ms
  for (int i = 0; i < 20; ++i, t += 5) {
    if (normal.Detect(8, 0.03, 5, 60, t) == BandwidthUsage::kOverusing) a = BandwidthUsage::kOverusing;
    if (competing.Detect(8, 0.03, 5, 60, t) == BandwidthUsage::kOverusing) b = BandwidthUsage::kOverusing;
  }
  EXPECT_EQ(a, BandwidthUsage::kOverusing);
  EXPECT_EQ(b, BandwidthUsage::kNormal);
  competing.SetCompeting(false);
  for (int i = 0; i < 400; ++i, t += 5) competing.Detect(2, 0.01, 5, 60, t);
  EXPECT_DOUBLE_EQ(competing.threshold_ms(), 6.0);
}

TEST(OveruseDetector, StartsAt12_5msAndNeedsPersistentOveruse) {
  OveruseDetector d;
  EXPECT_DOUBLE_EQ(d.threshold_ms(), 12.5);
  // One sample above the threshold is not overuse; sustained ones (>10 ms, >1 sample) are.
  EXPECT_EQ(d.Detect(20, 0.1, 5, 30, 0), BandwidthUsage::kNormal);
  EXPECT_EQ(d.Detect(20, 0.1, 5, 30, 5), BandwidthUsage::kNormal);
  EXPECT_EQ(d.Detect(20, 0.1, 5, 30, 10), BandwidthUsage::kOverusing);
  EXPECT_EQ(d.Detect(-30, -0.1, 5, 30, 15), BandwidthUsage::kUnderusing);
  EXPECT_EQ(d.Detect(0, 0, 5, 30, 20), BandwidthUsage::kNormal);
}

TEST(OveruseDetector, ThresholdAdaptsUpSlowlyAndDownFast) {
  // k_up 0.0087 while above, k_down 0.039 while below, at most 100 ms per step.
  OveruseDetector up, down;
  up.Detect(14, 0.01, 5, 30, 0);
  up.Detect(14, 0.01, 5, 30, 100);
  EXPECT_NEAR(up.threshold_ms(), 12.5 + 0.0087 * (14 - 12.5) * 100, 1e-9);
  down.Detect(0, 0, 5, 30, 0);
  down.Detect(0, 0, 5, 30, 100);
  EXPECT_NEAR(down.threshold_ms(), std::max(6.0, 12.5 - 0.039 * 12.5 * 100), 1e-9);
  // A spike far above the threshold does not move it.
  OveruseDetector spike;
  spike.Detect(0, 0, 5, 30, 0);
  spike.Detect(200, 1, 5, 30, 50);
  EXPECT_DOUBLE_EQ(spike.threshold_ms(), 12.5 - 0.039 * 12.5 * 0);
}

TEST(OveruseDetector, RejectsBadThresholds) {
  OveruseConfig c;
  c.min_threshold_ms = 20;
  EXPECT_THROW(OveruseDetector{c}, ConfigError);
}

}  // namespace
}  // namespace cbcs::cc
