#include "cbcs/cc/AcknowledgedBitrateEstimator.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace cbcs::cc
