#include "cbcs/cc/InterArrival.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace cbcs::cc {
namespace {

TEST(InterArrival, GroupsPacketsSentWithin5msAndReportsGroupDeltas) {
  InterArrival ia;
  InterArrivalDelta d;
  // Group A: sent 0,2,4 ms; group B: 10,12; group C: 20 (starts B's report).
  EXPECT_FALSE(ia.Update(0, 100, 500, &d));
  EXPECT_FALSE(ia.Update(2, 102, 500, &d));
  EXPECT_FALSE(ia.Update(4, 104, 500, &d));
  EXPECT_FALSE(ia.Update(10, 112, 400, &d));  // closes A, no previous group yet
  EXPECT_FALSE(ia.Update(12, 115, 400, &d));
  ASSERT_TRUE(ia.Update(20, 121, 300, &d));   // closes B: compare with A
  EXPECT_DOUBLE_EQ(d.send_delta_ms, 12 - 4);
  EXPECT_DOUBLE_EQ(d.arrival_delta_ms, 115 - 104);
  EXPECT_EQ(d.size_delta_bytes, 800 - 1500);
}

TEST(InterArrival, BurstArrivingTogetherJoinsTheGroup) {
  InterArrival ia;
  InterArrivalDelta d;
  ia.Update(0, 100, 100, &d);
  // Sent 8 ms later but arrives 1 ms after (a radio burst): same group, no delta produced.
  EXPECT_FALSE(ia.Update(8, 101, 100, &d));
  EXPECT_FALSE(ia.Update(16, 150, 100, &d));  // new group
  ASSERT_TRUE(ia.Update(30, 170, 100, &d));
  EXPECT_DOUBLE_EQ(d.send_delta_ms, 16 - 8);
}

TEST(InterArrival, StandingQueueBehindPacedBurstsStillYieldsAGroupPerFrame) {
  // 30 fps frames: 8 packets released together, one more 5 ms later (2.6 Mbit/s); a 2.5 Mbit/s
  // bottleneck serves 1200 bytes in 3.84 ms and its queue never empties. Every packet after a send gap
  // arrives less than 5 ms after the one before and ahead of its send spacing, yet the groups
  // took longer to arrive than to send: no burst, one group per frame, not 100 ms chains.
  InterArrival ia;
  InterArrivalDelta d;
  double busy = 0;
  int deltas = 0;
  for (int frame = 0; frame < 30; ++frame) {
    const double t = frame * 1000.0 / 30;
    for (double send : {t, t, t, t, t, t, t, t, t + 5}) {
      busy = std::max(busy, send) + 3.84;
      if (ia.Update(send, busy + 50, 1200, &d)) {
        ++deltas;
        EXPECT_LT(d.send_delta_ms, 40);
      }
    }
  }
  EXPECT_GE(deltas, 27);
}

TEST(InterArrival, IgnoresPacketsSentBeforeTheCurrentGroup) {
  InterArrival ia;
  InterArrivalDelta d;
  ia.Update(10, 100, 100, &d);
  EXPECT_FALSE(ia.Update(5, 101, 100, &d));
  ia.Update(20, 110, 100, &d);
  ASSERT_TRUE(ia.Update(30, 120, 100, &d));
  EXPECT_DOUBLE_EQ(d.send_delta_ms, 10);
}

}  // namespace
}  // namespace cbcs::cc
