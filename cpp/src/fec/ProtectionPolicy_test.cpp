#include "cbcs/fec/ProtectionPolicy.hpp"

#include <gtest/gtest.h>

namespace cbcs::fec {
namespace {

TEST(ProtectionPolicy, ModelReducesToKnownCases) {
  // Independent loss is the chain with mean burst 1 / (1 - p): copies fail independently.
  const double p = 0.1, independent = 1 / (1 - p);
  EXPECT_NEAR(ProtectionPolicy::RedResidual(p, independent, 2, 1), p * p * p, 1e-12);
  // Burst length b, spacing 1: the next packet is lost with 1 - 1/b.
  EXPECT_NEAR(ProtectionPolicy::RedResidual(0.05, 4.0, 1, 1), 0.05 * 0.75, 1e-12);
  // Mean burst 1 means every burst is one packet: one copy always gets through.
  EXPECT_NEAR(ProtectionPolicy::RedResidual(0.05, 1.0, 1, 1), 0.0, 1e-12);
  // RS 2+1, independent loss: a source is lost for good when one of the other two is too.
  EXPECT_NEAR(ProtectionPolicy::FecResidual(p, independent, 2, 1), p * (1 - (1 - p) * (1 - p)), 1e-12);
  // More repair packets per group only help.
  EXPECT_LT(ProtectionPolicy::FecResidual(0.04, 3, 6, 6), ProtectionPolicy::FecResidual(0.04, 3, 6, 2));
}

TEST(ProtectionPolicy, DecisionsFollowTheLink) {
  ProtectionInputs clean;
  EXPECT_EQ(ProtectionPolicy::Decide(clean).mode, ProtectionMode::kNone);

  ProtectionInputs short_rtt{.loss_rate = 0.03, .mean_burst = 1.5, .rtt_ms = 30, .playout_slack_ms = 150};
  EXPECT_EQ(ProtectionPolicy::Decide(short_rtt).mode, ProtectionMode::kNack);

  ProtectionInputs long_rtt{.loss_rate = 0.04, .mean_burst = 3, .rtt_ms = 400, .playout_slack_ms = 60};
  const auto d = ProtectionPolicy::Decide(long_rtt);
  EXPECT_NE(d.mode, ProtectionMode::kNack);
  EXPECT_NE(d.mode, ProtectionMode::kNone);
  EXPECT_LE(d.added_delay_ms, 60.0);
  EXPECT_LE(d.predicted_residual, 0.01);

  // With no delay budget and no slack only what needs no waiting is possible.
  ProtectionInputs no_budget{.loss_rate = 0.04, .mean_burst = 3, .rtt_ms = 400,
                             .playout_slack_ms = 0, .max_added_delay_ms = 0};
  EXPECT_EQ(ProtectionPolicy::Decide(no_budget).mode, ProtectionMode::kNone);

  // A bitrate cap below one redundant copy rules RED out.
  ProtectionInputs capped = long_rtt;
  capped.allowed_bitrate_bps = 60000;  // 56 kbit/s on the wire without protection
  const auto c = ProtectionPolicy::Decide(capped);
  EXPECT_LE(c.overhead, 60000.0 / 56000.0 - 1 + 1e-9);
}

}  // namespace
}  // namespace cbcs::fec
