#include "cbcs/cc/ProbeBitrateEstimator.hpp"
#include "cbcs/cc/ProbeController.hpp"

#include <gtest/gtest.h>

namespace cbcs::cc {
namespace {

// A probe of 10 x 1000-byte packets sent at send_bps through a path of capacity cap_bps.
std::optional<double> Probe(double send_bps, double cap_bps, bool* saturated = nullptr) {
  ProbeBitrateEstimator e;
  double arrive = 50;
  for (int i = 0; i < 10; ++i) {
    const double send = i * 8000.0 / send_bps * 1000;
    arrive = std::max(arrive + 8000.0 / cap_bps * 1000, 50 + send);
    e.OnProbePacket(3, 5, send, arrive, 1000, 200);
  }
  if (saturated) *saturated = e.last_saturated();
  return e.FetchEstimate();
}

TEST(ProbeBitrateEstimator, MeasuresSendRateWhenThePathKeepsUp) {
  bool sat = true;
  const auto r = Probe(1e6, 5e6, &sat);
  ASSERT_TRUE(r);
  EXPECT_NEAR(*r, 1e6, 0.02e6);
  EXPECT_FALSE(sat);
}

TEST(ProbeBitrateEstimator, MeasuresCapacityWhenItDoesNot) {
  bool sat = false;
  const auto r = Probe(1.8e6, 1e6, &sat);
  ASSERT_TRUE(r);
  EXPECT_NEAR(*r, 0.95 * 1e6, 0.03e6);
  EXPECT_TRUE(sat);
  EXPECT_FALSE(Probe(3e6, 1e6));  // more than 2x apart: not trusted
}

TEST(ProbeController, InitialProbesAt3xAnd6xThenFurtherOnSuccess) {
  ProbeController c({}, 10e6);
  c.OnEstimate(300e3, 0);
  ProbeCluster out[4];
  ASSERT_EQ(c.TakeClusters(out, 4), 2u);
  EXPECT_DOUBLE_EQ(out[0].bitrate_bps, 900e3);
  EXPECT_DOUBLE_EQ(out[1].bitrate_bps, 1800e3);
  c.OnEstimate(1700e3, 300);  // reached 0.7 x the last probe
  ASSERT_EQ(c.TakeClusters(out, 4), 1u);
  EXPECT_DOUBLE_EQ(out[0].bitrate_bps, 3400e3);
  c.OnEstimate(1000e3, 600);  // failed: stop
  EXPECT_EQ(c.TakeClusters(out, 4), 0u);
}

TEST(ProbeController, ApplicationLimitedProbingEvery5s) {
  ProbeControllerConfig cfg;
  cfg.initial_probing = false;
  ProbeController c(cfg, 10e6);
  ProbeCluster out[4];
  c.OnEstimate(500e3, 0);
  c.Process(500e3, 6000);
  EXPECT_EQ(c.TakeClusters(out, 4), 0u);  // not application limited
  c.OnApplicationLimited(true);
  c.Process(500e3, 7000);
  ASSERT_EQ(c.TakeClusters(out, 4), 1u);
  EXPECT_DOUBLE_EQ(out[0].bitrate_bps, 1e6);
}

}  // namespace
}  // namespace cbcs::cc
