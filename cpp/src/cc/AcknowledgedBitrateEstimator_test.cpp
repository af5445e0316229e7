#include "cbcs/cc/AcknowledgedBitrateEstimator.hpp"

#include <gtest/gtest.h>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::cc {
namespace {

TEST(AcknowledgedBitrateEstimator, ConvergesToTheDeliveredRate) {
  for (const double bps : {100e3, 1e6, 4e6}) {
    AcknowledgedBitrateEstimator e;
    EXPECT_FALSE(e.bitrate_bps());
    const double gap = 1000 * 8 / bps * 1000;  // ms between 1000-byte packets
    for (int i = 0; i < 5000; ++i) e.OnPacket(i * gap, 1000);
    ASSERT_TRUE(e.bitrate_bps());
    // Within 10 %: at 100 kbit/s a 150 ms window holds only one or two packets.
    EXPECT_NEAR(*e.bitrate_bps(), bps, bps * 0.10) << bps;
  }
}

TEST(AcknowledgedBitrateEstimator, FollowsARateDropWithinAFewWindows) {
  AcknowledgedBitrateEstimator e;
  double t = 0;
  for (int i = 0; i < 2000; ++i) e.OnPacket(t += 4, 1000);    // 2 Mbit/s
  for (int i = 0; i < 250; ++i) e.OnPacket(t += 16, 1000);    // 0.5 Mbit/s for 4 s
  EXPECT_LT(*e.bitrate_bps(), 0.7e6);
  EXPECT_NEAR(*e.last_sample_bps(), 0.5e6, 0.1e6);
}

TEST(AcknowledgedBitrateEstimator, RecentRateFollowsADropWithinItsWindow) {
  AcknowledgedBitrateEstimator e;
  double t = 0;
  for (int i = 0; i < 2000; ++i) e.OnPacket(t += 4, 1000);  // 2 Mbit/s
  EXPECT_NEAR(*e.recent_bps(), 2e6, 0.1e6);
  for (int i = 0; i < 20; ++i) e.OnPacket(t += 16, 1000);   // 0.5 Mbit/s for 320 ms
  // The smoothed estimate still holds the old rate; the last 250 ms of arrivals do not.
  EXPECT_GT(*e.bitrate_bps(), 1.0e6);
  EXPECT_NEAR(*e.recent_bps(), 0.5e6, 0.05e6);
  e.ResetTo(*e.recent_bps());
  EXPECT_NEAR(*e.bitrate_bps(), 0.5e6, 0.05e6);
  for (int i = 0; i < 100; ++i) e.OnPacket(t += 16, 1000);
  EXPECT_NEAR(*e.bitrate_bps(), 0.5e6, 0.05e6);
}

TEST(AcknowledgedBitrateEstimator, RecentRateNeedsHalfAWindowOfArrivals) {
  AcknowledgedBitrateEstimator e;
  EXPECT_FALSE(e.recent_bps());
  for (int i = 0; i < 10; ++i) e.OnPacket(i * 10.0, 1000);  // 90 ms of a 250 ms window
  EXPECT_FALSE(e.recent_bps());
  for (int i = 10; i < 20; ++i) e.OnPacket(i * 10.0, 1000);
  ASSERT_TRUE(e.recent_bps());
  EXPECT_NEAR(*e.recent_bps(), 0.8e6, 1);
}

TEST(AcknowledgedBitrateEstimator, RejectsANonPositiveRecentWindow) {
  AcknowledgedBitrateConfig c;
  c.recent_window_ms = 0;
  EXPECT_THROW(AcknowledgedBitrateEstimator{c}, ConfigError);
}

}  // namespace
}  // namespace cbcs::cc
