// Tests for probe scheduling: start-up probes and ramp-up probe chains.
#include "cbcs/cc/ProbeController.hpp"

#include <gtest/gtest.h>

namespace cbcs::cc {
namespace {

TEST(ProbeController, StartsWith3xAnd6x) {
  ProbeController p({}, 5'000'000);
  p.OnEstimate(300'000, 0);
  ProbeCluster c[4];
  ASSERT_EQ(p.TakeClusters(c, 4), 2u);
  EXPECT_DOUBLE_EQ(c[0].bitrate_bps, 900'000);
  EXPECT_DOUBLE_EQ(c[1].bitrate_bps, 1'800'000);
}

TEST(ProbeController, RampProbeChainsWhileProbesSucceedAndOneAtATime) {
  ProbeControllerConfig cfg;
  cfg.initial_probing = false;
  ProbeController p(cfg, 5'000'000);
  p.OnEstimate(1'000'000, 0);
  ProbeCluster c[4];
  EXPECT_EQ(p.TakeClusters(c, 4), 0u);
  ASSERT_TRUE(p.RequestRampProbe(1'000'000, 100));
  EXPECT_FALSE(p.RequestRampProbe(1'000'000, 150));  // one out already
  ASSERT_EQ(p.TakeClusters(c, 4), 1u);
  EXPECT_DOUBLE_EQ(c[0].bitrate_bps, 1'500'000);
  // An estimate short of 85 % of the probe is no success: no further probe.
  p.OnEstimate(1'200'000, 200);
  EXPECT_EQ(p.TakeClusters(c, 4), 0u);
  // The probe got through: the chain goes on at 1.5x the new estimate.
  p.OnEstimate(1'450'000, 250);
  ASSERT_EQ(p.TakeClusters(c, 4), 1u);
  EXPECT_DOUBLE_EQ(c[0].bitrate_bps, 2'175'000);
  // No result within a second: the chain ends and a new ramp probe may start.
  p.Process(1'450'000, 1400);
  EXPECT_TRUE(p.RequestRampProbe(1'450'000, 1400));
}

TEST(ProbeController, AProbeAtTheCapEndsItsChain) {
  // The 6x start-up probe is capped at 3 Mbit/s; an estimate of 2.4 Mbit/s (over 70 % of the
  // cap) used to start another probe at the cap after every feedback, keeping a queue full.
  ProbeController p({}, 3'000'000);
  p.OnEstimate(500'000, 0);
  ProbeCluster c[4];
  ASSERT_EQ(p.TakeClusters(c, 4), 2u);
  EXPECT_DOUBLE_EQ(c[1].bitrate_bps, 3'000'000);
  for (int i = 1; i <= 10; ++i) p.OnEstimate(2'400'000, 200.0 * i);
  EXPECT_EQ(p.TakeClusters(c, 4), 0u);
}

}  // namespace
}  // namespace cbcs::cc
