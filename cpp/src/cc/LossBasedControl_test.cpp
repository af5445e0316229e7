#include "cbcs/cc/LossBasedControl.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace cbcs::cc {
namespace {

TEST(LossBasedControl, HeavyLossCutsByHalfTheLossFraction) {
  LossBasedControl l({}, 1e6, 5e6);
  l.OnPacketResults(80, 20);  // 20 % loss
  EXPECT_NEAR(l.Update(1e6, 100, 1000), 1e6 * (1 - 0.5 * 0.2), 1);
  // Not again within RTT + 300 ms.
  l.OnPacketResults(80, 20);
  EXPECT_NEAR(l.Update(0.9e6, 100, 1200), 0.9e6, 1);
}

TEST(LossBasedControl, ModerateLossHoldsLowLossReleases) {
  LossBasedControl l({}, 1e6, 5e6);
  l.OnPacketResults(95, 5);
  EXPECT_NEAR(l.Update(1e6, 100, 1000), 1e6, 1);
  // With low loss the bound grows 8 %/s ahead of a target that follows it.
  double target = 1e6;
  for (int i = 1; i <= 10; ++i) {
    l.OnPacketResults(100, 0);
    target = std::min(l.Update(target, 100, 1000 + i * 1000.0), 3e6);
  }
  EXPECT_GE(l.bound_bps(), 1e6 * std::pow(1.08, 9));
}

TEST(LossBasedControl, CongestionLossAlreadyHandledByDelayIsNotCutTwice) {
  LossBasedControl l({}, 1e6, 5e6);
  l.OnPacketResults(70, 30);
  EXPECT_GE(l.Update(1e6, 100, 1000, /*delay_cut_recently=*/true), 1e6);
}

TEST(LossBasedControl, ProbeResultLiftsABoundHeldDownByEarlierLoss) {
  LossBasedControl l({}, 1e6, 5e6);
  l.OnPacketResults(70, 30);
  const double cut = l.Update(1e6, 100, 1000);
  ASSERT_LT(cut, 1e6);
  l.OnProbeResult(2e6);  // the path just carried 2 Mbit/s
  EXPECT_DOUBLE_EQ(l.bound_bps(), 2e6);
  l.OnProbeResult(1e6);  // a lower result does not pull it down: that is for losses to do
  EXPECT_DOUBLE_EQ(l.bound_bps(), 2e6);
  l.OnProbeResult(9e6);
  EXPECT_DOUBLE_EQ(l.bound_bps(), 5e6);
}

}  // namespace
}  // namespace cbcs::cc
