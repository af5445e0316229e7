#include "cbcs/cc/SendSideBwe.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "AllocationCounter.hpp"
#include "cbcs/cc/FeedbackGenerator.hpp"
#include "cbcs/common/ConfigError.hpp"

namespace cbcs::cc {
namespace {

// Closed loop over a fixed-capacity FIFO with 40 ms one-way delay, feedback every 100 ms as
// real transport-cc packets. Returns the target after duration_ms.
struct Loop {
  SendSideBwe bwe;
  FeedbackGenerator gen;
  double busy_until = 0;
  double credit = 0;
  uint16_t seq = 0;
  std::vector<std::pair<double, std::vector<uint8_t>>> in_flight_fb;
  std::vector<std::pair<double, uint16_t>> in_flight;
  std::vector<uint8_t> buf = std::vector<uint8_t>(1 << 16);

  double frame_ms = 0;  // > 0: a video source, each frame's packets leave together
  double queue_limit_ms = 300;  // drop-tail depth

  explicit Loop(SendSideBweConfig c) : bwe(c) {}

  void Run(double from, double to, double capacity_bps) {
    for (double t = from; t < to; t += 5) {
      // Send 5 ms of media at the target in 1000-byte packets (or a frame's worth at once).
      credit = std::min(credit + bwe.target_bps() * 5 / 8000, frame_ms > 0 ? 50000.0 : 5000.0);
      if (frame_ms > 0 && std::floor(t / frame_ms) == std::floor((t - 5) / frame_ms)) continue;
      for (; credit >= 1000; credit -= 1000) {
        bwe.OnPacketSent(seq, 1000, t);
        const double start = std::max(t, busy_until);
        if (start - t > queue_limit_ms) { ++seq; continue; }  // drop-tail
        busy_until = start + 8000.0 / capacity_bps * 1000;
        in_flight.emplace_back(busy_until + 40, seq++);
      }
      for (auto it = in_flight.begin(); it != in_flight.end();) {
        if (it->first <= t) { gen.OnPacket(it->second, it->first); it = in_flight.erase(it); } else { ++it; }
      }
      while (size_t k = gen.Poll(t, buf)) in_flight_fb.emplace_back(t + 40, std::vector<uint8_t>(buf.begin(), buf.begin() + k));
      for (auto it = in_flight_fb.begin(); it != in_flight_fb.end();) {
        if (it->first <= t) { bwe.OnTransportFeedback(it->second, t); it = in_flight_fb.erase(it); } else { ++it; }
      }
      bwe.Process(t);
    }
  }
};

SendSideBweConfig NoProbing() {
  SendSideBweConfig c;
  c.probing.initial_probing = false;
  c.max_bps = 3e6;
  return c;
}

TEST(SendSideBwe, ConvergesBelowCapacityAndFollowsADrop) {
  Loop loop(NoProbing());
  loop.Run(0, 30000, 1e6);
  EXPECT_GT(loop.bwe.target_bps(), 0.7e6);
  EXPECT_LT(loop.bwe.target_bps(), 1.1e6);
  loop.Run(30000, 33000, 0.4e6);
  EXPECT_LT(loop.bwe.target_bps(), 0.4e6);
}

TEST(SendSideBwe, NoticesAGrownLinkFromPacketPairs) {
  Loop loop(NoProbing());
  loop.Run(0, 30000, 1e6);
  ASSERT_GT(loop.bwe.stats().link_capacity_bps, 0);
  // Packets sent faster than the target now arrive as spaced as they left: the 1 Mbit/s
  // capacity estimate is stale, and the rate grows multiplicatively instead of one packet
  // per response time (~50 kbit/s per second).
  loop.Run(30000, 30500, 2.5e6);
  EXPECT_GT(loop.bwe.stats().burst_rate_bps, 1.3e6);
  EXPECT_EQ(loop.bwe.stats().link_capacity_bps, 0);
  const double at = loop.bwe.target_bps();
  loop.Run(30500, 34500, 2.5e6);
  EXPECT_GT(loop.bwe.target_bps(), at * 1.25);
}

TEST(SendSideBwe, SharpCapacityDropIsCutBeforeTheQueueOverflows) {
  Loop loop(NoProbing());
  loop.frame_ms = 1000.0 / 30;
  loop.Run(0, 30000, 2e6);
  const double before = loop.bwe.target_bps();
  ASSERT_GT(before, 1.5e6);
  // A quarter of the capacity: the 300 ms queue fills in about 100 ms. With whole frames per
  // arrival group the trendline alone needs ~600 ms to turn; the queue's jump must bring the
  // target below the new capacity within 500 ms.
  loop.Run(30000, 30500, 0.5e6);
  EXPECT_LT(loop.bwe.target_bps(), 0.5e6);
}

TEST(SendSideBwe, QueueJumpReleasedInOneBurstIsAStallNotACapacityDrop) {
  // 300 kbit/s of 1000-byte packets with feedback every 100 ms, then a 250 ms radio stall:
  // the packets it held all come out together. Their queueing delay jumped past 100 ms, yet
  // they arrived far faster than we send; a cut would be for nothing.
  SendSideBwe bwe(NoProbing());
  uint16_t seq = 0;
  std::vector<PacketResult> fb;
  double t = 0;
  auto send = [&](double arrival_delay) {
    bwe.OnPacketSent(seq, 1000, t);
    fb.push_back(PacketResult{seq++, t + arrival_delay});
  };
  for (; t < 3000; t += 26.7) {
    send(40);
    if (fb.size() == 4) {
      bwe.OnFeedback(fb, t + 80);
      fb.clear();
    }
  }
  if (!fb.empty()) bwe.OnFeedback(fb, t + 40);
  fb.clear();
  const double before = bwe.target_bps();
  const double stall_end = t + 250;
  for (int i = 0; i < 6; ++i, t += 26.7) send(stall_end - t + 40 + 0.3 * i);
  bwe.OnFeedback(fb, stall_end + 100);
  EXPECT_GE(bwe.target_bps(), before);
}

// Feeds a flat standing queue straight into OnFeedback: 1000-byte packets every 10 ms, one
// feedback per 100 ms, 40 ms of propagation; from standing_from_ms on every packet waits
// queue_ms more and every lost_every-th packet is lost (0: none). No delay gradient after the
// step: only the standing queue itself can tell the estimator it sends too much.
struct FlatQueue {
  SendSideBwe bwe;
  uint16_t seq = 0;
  double t = 0;
  std::vector<PacketResult> fb;
  explicit FlatQueue(SendSideBweConfig c) : bwe(c) {}
  void Run(double to, double standing_from_ms, double queue_ms, int lost_every) {
    for (; t < to; t += 10) {
      bwe.OnPacketSent(seq, 1000, t);
      const bool lost = t >= standing_from_ms && lost_every > 0 && seq % lost_every == 0;
      const double q = t >= standing_from_ms ? queue_ms : 0;
      fb.push_back(PacketResult{seq++, lost ? std::nan("") : t + 40 + q});
      if (fb.size() == 10) {
        bwe.OnFeedback(fb, t + 80 + q);
        fb.clear();
      }
    }
  }
};

SendSideBweConfig Steady(double bps) {
  SendSideBweConfig c = NoProbing();
  c.start_bps = bps;
  return c;
}

TEST(SendSideBwe, FullQueueWithPersistentLossComesBelowWhatGetsThrough) {
  // 800 kbit/s offered, a full 200 ms queue that loses every 8th packet: 700 kbit/s gets
  // through. Loss between 2 and 10 % alone only holds the loss-based bound; behind a standing
  // queue it means we send more than the path carries.
  FlatQueue f(Steady(800e3));
  f.Run(3000, 3000, 0, 0);
  f.Run(6000, 3000, 200, 8);
  EXPECT_GT(f.bwe.stats().full_queue_overuses, 0u);
  EXPECT_LT(f.bwe.target_bps(), 0.7e6);
}

TEST(SendSideBwe, FlatStandingQueueWithoutLossIsDrained) {
  // 80 ms of queue that neither grows nor loses: we send at about what the path carries.
  FlatQueue f(Steady(800e3));
  f.Run(3000, 3000, 0, 0);
  const double before = f.bwe.target_bps();
  f.Run(6000, 3000, 80, 0);
  EXPECT_GT(f.bwe.stats().standing_overuses, 0u);
  EXPECT_LT(f.bwe.target_bps(), 0.9 * before);
  EXPECT_FALSE(f.bwe.stats().competing);
}

TEST(SendSideBwe, OwnFullQueueAfterADropIsDrainedAndNotTakenForACompetitor) {
  // 2.5 -> 0.6 Mbit/s behind a 250 ms drop-tail buffer, frames leaving in bursts.
  Loop loop(NoProbing());
  loop.frame_ms = 1000.0 / 30;
  loop.queue_limit_ms = 250;
  loop.Run(0, 30000, 2.5e6);
  ASSERT_GT(loop.bwe.target_bps(), 1.8e6);
  loop.Run(30000, 32000, 0.6e6);
  EXPECT_LT(loop.bwe.target_bps(), 0.6e6);
  for (double t = 32000; t < 40000; t += 1000) {
    loop.Run(t, t + 1000, 0.6e6);
    EXPECT_FALSE(loop.bwe.stats().competing) << t;
    // Additive increase may probe a little past capacity; the queue must not stand again.
    EXPECT_LT(loop.busy_until - (t + 1000), 100) << t;
  }
}

TEST(SendSideBwe, RembCapsTheTarget) {
  SendSideBwe bwe(NoProbing());
  bwe.OnRemb(120e3, 0);
  EXPECT_DOUBLE_EQ(bwe.target_bps(), 120e3);
}

TEST(SendSideBwe, CountsMalformedAndUnknownFeedback) {
  SendSideBwe bwe;
  const uint8_t junk[] = {0x8F, 205, 0, 1, 0, 0};
  EXPECT_NE(bwe.OnTransportFeedback(junk, 0), FeedbackStatus::kOk);
  PacketResult r{77, 10.0};
  bwe.OnFeedback({&r, 1}, 10);
  EXPECT_EQ(bwe.stats().bad_feedback, 1u);
  EXPECT_EQ(bwe.stats().unknown_packets, 1u);
}

TEST(SendSideBwe, ValidatesConfig) {
  SendSideBweConfig c;
  c.min_bps = 1e6;
  EXPECT_THROW(SendSideBwe{c}, ConfigError);
  c = SendSideBweConfig{};
  c.history = 1000;
  EXPECT_THROW(SendSideBwe{c}, ConfigError);
}

TEST(SendSideBwe, PerPacketAndFeedbackPathsAllocateNothing) {
  SendSideBwe bwe;
  std::vector<PacketResult> fb(50);
  double t = 0;
  uint16_t seq = 0;
  auto step = [&] {
    for (auto& r : fb) {
      bwe.OnPacketSent(seq, 1000, t);
      r = PacketResult{seq++, t + 40};
      t += 2;
    }
    bwe.OnFeedback(fb, t + 40);
    bwe.Process(t);
  };
  for (int i = 0; i < 20; ++i) step();
  const auto before = testing::AllocationCount();
  for (int i = 0; i < 500; ++i) step();
  EXPECT_EQ(testing::AllocationCount(), before);
}

}  // namespace
}  // namespace cbcs::cc
