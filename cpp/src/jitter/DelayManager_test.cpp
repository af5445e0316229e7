#include "cbcs/jitter/DelayManager.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace cbcs::jitter {
namespace {

JitterConfig Config(double q = 0.95, double forget = 3000.0) {
  JitterConfig c;
  c.quantile = q;
  c.forget_ms = forget;
  return c;
}

TEST(DelayManager, TargetIsTheQuantileOfRelativeDelay) {
  struct Case { double q; double sigma; };
  for (const Case c : {Case{0.95, 20.0}, Case{0.99, 20.0}, Case{0.9, 5.0}}) {
    DelayManager dm(Config(c.q, 20000.0));
    std::mt19937 rng(7);
    std::normal_distribution<double> jitter(0.0, c.sigma);
    std::vector<double> seen;
    for (int i = 0; i < 5000; ++i) {
      const double r = 1000.0 + std::max(-60.0, jitter(rng));  // offset: sender clock
      dm.Update(r, 20.0, i * 20.0);
      if (i >= 3000) seen.push_back(r);
    }
    std::sort(seen.begin(), seen.end());
    const double expect = seen[static_cast<size_t>(c.q * seen.size())];
    EXPECT_NEAR(dm.HighRelativeMs(), expect, 0.1 * c.sigma + 1.5) << c.q << " " << c.sigma;
    EXPECT_NEAR(dm.LowRelativeMs(), seen[seen.size() / 50], 0.25 * c.sigma + 1.5);
  }
}

TEST(DelayManager, RisesWithinASecondOfASpikeAndDecaysWithinTenSeconds) {
  DelayManager dm(Config());
  double t = 0.0;
  std::mt19937 rng(3);
  std::normal_distribution<double> j(0.0, 3.0);
  for (; t < 20000.0; t += 20.0) dm.Update(80.0 + std::abs(j(rng)), 20.0, t);
  const double before = dm.TargetDelayMs();
  // A 400 ms stall: packets queued behind it leave together.
  double peak = before;
  double spike_end = t + 400.0;
  for (int k = 0; t < 21000.0; t += 20.0, ++k) {
    const double extra = std::max(0.0, spike_end - t);
    dm.Update(80.0 + extra + std::abs(j(rng)), 20.0, t + extra);
    peak = std::max(peak, dm.TargetDelayMs());
  }
  EXPECT_GT(peak, before + 150.0) << "target must follow a spike within a second";
  double back_at = -1.0;
  for (; t < 40000.0; t += 20.0) {
    dm.Update(80.0 + std::abs(j(rng)), 20.0, t);
    if (back_at < 0 && std::abs(dm.TargetDelayMs() - before) <= 20.0) back_at = t;
  }
  ASSERT_GT(back_at, 0.0);
  EXPECT_LT(back_at - 20000.0, 10000.0);
  EXPECT_NEAR(dm.TargetDelayMs(), before, 20.0);
}

TEST(DelayManager, DriftIsEstimatedAndTheTargetLeadsTheRamp) {
  for (const double drift : {0.01, -0.01}) {
    DelayManager dm(Config());
    double r = 0;
    for (double t = 0.0; t < 30000.0; t += 20.0) {
      r = 50.0 + drift * t;
      dm.Update(r, 20.0, t);
    }
    EXPECT_NEAR(dm.DriftSlope(), drift, 0.002) << drift;
    // Without compensation the quantile lags by drift * forget_ms (30 ms here).
    EXPECT_NEAR(dm.TargetRelativeMs(), r, 8.0) << drift;
  }
}

TEST(DelayManager, ShiftMovesTheWholeDistribution) {
  DelayManager dm(Config());
  for (int i = 0; i < 500; ++i) dm.Update(100.0 + (i % 10), 20.0, i * 20.0);
  const double high = dm.HighRelativeMs(), low = dm.LowRelativeMs();
  dm.Shift(-5000.0);
  EXPECT_NEAR(dm.HighRelativeMs(), high - 5000.0, 1e-9);
  EXPECT_NEAR(dm.LowRelativeMs(), low - 5000.0, 1e-9);
}

TEST(DelayManager, SurvivesLongStreamsAndHugeValues) {
  DelayManager dm(Config());
  // Weights are renormalised and the histogram re-centred: stays finite and sensible.
  for (int i = 0; i < 300000; ++i) dm.Update(1e9 + 0.01 * i + (i % 7), 20.0, i * 20.0);
  EXPECT_TRUE(std::isfinite(dm.TargetRelativeMs()));
  EXPECT_GT(dm.TargetDelayMs(), 0.0);
  EXPECT_LT(dm.TargetDelayMs(), 30.0);
}

}  // namespace
}  // namespace cbcs::jitter
