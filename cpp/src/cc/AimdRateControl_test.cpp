#include "cbcs/cc/AimdRateControl.hpp"

#include <gtest/gtest.h>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::cc {
namespace {

AimdConfig Config() {
  AimdConfig c;
  c.start_bps = 500e3;
  c.min_bps = 50e3;
  c.max_bps = 5e6;
  return c;
}

TEST(AimdRateControl, BacksOffToBetaTimesAcknowledged) {
  AimdRateControl a(Config());
  EXPECT_DOUBLE_EQ(a.Update(BandwidthUsage::kOverusing, 400e3, 1000), 0.85 * 400e3);
  EXPECT_EQ(a.state(), AimdRateControl::State::kHold);
  EXPECT_TRUE(a.link_capacity_bps());
}

TEST(AimdRateControl, DeepQueueDrainsBelowBetaThenRestores) {
  AimdRateControl a(Config());
  a.SetQueueDelay(300);
  EXPECT_NEAR(a.Update(BandwidthUsage::kOverusing, 600e3, 1000), 0.7 * 600e3, 1);
  a.SetQueueDelay(5);
  EXPECT_NEAR(a.Update(BandwidthUsage::kUnderusing, 600e3, 1500), 0.85 * 600e3, 1);
}

TEST(AimdRateControl, GrowsMultiplicativelyFarFromCapacityAdditivelyNearIt) {
  AimdRateControl far(Config());
  far.Update(BandwidthUsage::kNormal, 500e3, 0);
  far.Update(BandwidthUsage::kNormal, 500e3, 1000);
  EXPECT_NEAR(far.target_bps(), 500e3 * 1.08, 100);
  AimdRateControl near(Config());
  near.SetRtt(100);
  near.Update(BandwidthUsage::kOverusing, 500e3, 0);  // learns capacity ~500k
  const double after = near.target_bps();
  near.Update(BandwidthUsage::kNormal, 500e3, 1000);  // hold -> increase
  near.Update(BandwidthUsage::kNormal, 500e3, 2000);
  EXPECT_NEAR(near.target_bps() - after, 1200 * 8 * 1000 / 200.0, 1);  // one packet per 200 ms
}

TEST(AimdRateControl, AfterABackOffRefillsMostOfTheGapToTheKnownCapacityWithinASecond) {
  AimdConfig c = Config();
  c.start_bps = 2.5e6;
  AimdRateControl a(c);
  a.SetRtt(100);
  a.Update(BandwidthUsage::kOverusing, 2e6, 0);  // capacity ~2 Mbit/s, back to 1.7
  ASSERT_NEAR(a.target_bps(), 1.7e6, 1);
  for (double t = 100; t <= 1100; t += 100) a.Update(BandwidthUsage::kNormal, 1.7e6, t);
  // One packet per 200 ms alone would have added ~48 kbit/s; the refill heads for 0.95 x 2M.
  EXPECT_GT(a.target_bps(), 1.85e6);
  EXPECT_LE(a.target_bps(), 0.95 * 2e6 + 1);
  // On a shared link (SetRefill(false)) only the rate-independent additive increase applies.
  AimdRateControl shared(c);
  shared.SetRtt(100);
  shared.SetRefill(false);
  shared.Update(BandwidthUsage::kOverusing, 2e6, 0);
  for (double t = 100; t <= 1100; t += 100) shared.Update(BandwidthUsage::kNormal, 1.7e6, t);
  EXPECT_NEAR(shared.target_bps(), 1.7e6 + 1200 * 8 * 1000 / 200.0, 2e3);
}

TEST(AimdRateControl, CapacitySampleAboveTheEstimateDropsIt) {
  AimdRateControl a(Config());
  a.Update(BandwidthUsage::kOverusing, 1e6, 0);
  ASSERT_TRUE(a.link_capacity_bps());
  a.OnCapacitySample(1.02e6);  // within the estimate's spread: still the same link
  EXPECT_TRUE(a.link_capacity_bps());
  a.OnCapacitySample(1.6e6);  // pairs came through far faster: the link grew
  EXPECT_FALSE(a.link_capacity_bps());
  a.SetLinkCapacity(2.4e6);
  EXPECT_DOUBLE_EQ(*a.link_capacity_bps(), 2.4e6);
}

TEST(AimdRateControl, NeverRunsFarAheadOfAcknowledgedRate) {
  AimdConfig c = Config();
  c.start_bps = 100e3;
  AimdRateControl a(c);
  for (int i = 0; i <= 60; ++i) a.Update(BandwidthUsage::kNormal, 100e3, i * 1000.0);
  EXPECT_LE(a.target_bps(), 1.5 * 100e3 + 10e3 + 1);
  EXPECT_GT(a.target_bps(), 150e3);
}

TEST(AimdRateControl, ValidatesBitrates) {
  AimdConfig c = Config();
  c.min_bps = 600e3;
  EXPECT_THROW(AimdRateControl{c}, ConfigError);
}

}  // namespace
}  // namespace cbcs::cc
