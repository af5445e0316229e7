#include "cbcs/netsim/Link.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "AllocationCounter.hpp"
#include "cbcs/common/ConfigError.hpp"

namespace cbcs::netsim {
namespace {

std::vector<double> SendTrace(const LinkParams& p, uint64_t seed, int n, double spacing_ms = 20.0,
                        int32_t size = 200) {
  Link link(p, seed);
  std::vector<double> out(n);
  for (int i = 0; i < n; ++i) out[i] = link.Send(i * spacing_ms, size);
  return out;
}

TEST(Link, SameSeedSameTraceOtherSeedOtherTrace) {
  LinkParams p;
  p.base_delay_ms = 80;
  p.jitter_ms = 20;
  p.loss_rate = 0.05;
  p.mean_burst = 2.5;
  const auto a = SendTrace(p, 7, 5000), b = SendTrace(p, 7, 5000), c = SendTrace(p, 8, 5000);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), [](double x, double y) {
    return (std::isnan(x) && std::isnan(y)) || x == y;
  }));
  int differ = 0;
  for (int i = 0; i < 5000; ++i) differ += !(a[i] == c[i]);
  EXPECT_GT(differ, 1000);
}

TEST(Link, GilbertElliottHitsRateAndBurstLength) {
  for (const double mean_burst : {1.0, 2.5, 4.0}) {
    LinkParams p;
    p.loss_rate = 0.05;
    p.mean_burst = mean_burst;
    const auto a = SendTrace(p, 1, 400000);
    int lost = 0, bursts = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::isnan(a[i])) {
        ++lost;
        if (i == 0 || !std::isnan(a[i - 1])) ++bursts;
      }
    }
    EXPECT_NEAR(lost / 400000.0, 0.05, 0.004) << mean_burst;
    EXPECT_NEAR(static_cast<double>(lost) / bursts, mean_burst / (mean_burst == 1.0 ? 0.95 : 1.0),
                0.12 * mean_burst)
        << mean_burst;
  }
}

TEST(Link, GaussianJitterHasTheAskedSpreadAndFifoKeepsOrder) {
  LinkParams p;
  p.base_delay_ms = 80;
  p.jitter_ms = 10;
  p.reorder = true;
  const auto a = SendTrace(p, 3, 100000);
  double sum = 0, sum2 = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = a[i] - i * 20.0;
    sum += d;
    sum2 += d * d;
  }
  const double mean = sum / a.size(), sd = std::sqrt(sum2 / a.size() - mean * mean);
  EXPECT_NEAR(mean, 80.0, 0.2);
  EXPECT_NEAR(sd, 10.0, 0.2);

  // 40 ms sigma at 20 ms spacing: reordering happens only when asked for.
  p.jitter_ms = 40;
  const auto reordered = SendTrace(p, 3, 10000);
  int inversions = 0;
  for (size_t i = 1; i < reordered.size(); ++i) inversions += reordered[i] < reordered[i - 1];
  EXPECT_GT(inversions, 500);
  p.reorder = false;
  const auto fifo = SendTrace(p, 3, 10000);
  EXPECT_TRUE(std::is_sorted(fifo.begin(), fifo.end()));
}

TEST(Link, HeavyTailedJitterHasItsMeanAndALongTail) {
  LinkParams p;
  p.base_delay_ms = 110;
  p.jitter_ms = 40;
  p.jitter_distribution = JitterDistribution::kHeavyTailed;
  p.reorder = true;
  const auto a = SendTrace(p, 5, 200000);
  std::vector<double> d(a.size());
  for (size_t i = 0; i < a.size(); ++i) d[i] = a[i] - i * 20.0 - 110.0;
  EXPECT_GE(*std::min_element(d.begin(), d.end()), 0.0);
  EXPECT_NEAR(std::accumulate(d.begin(), d.end(), 0.0) / d.size(), 40.0 / 3.0, 0.7);
  std::sort(d.begin(), d.end());
  // A gaussian of this mean and spread would almost never reach 15x the mean; a Lomax tail does.
  EXPECT_GT(d[static_cast<size_t>(0.9999 * d.size())], 200.0);
}

TEST(Link, PacketsQueueBehindASpikeAndLeaveTogether) {
  LinkParams p;
  p.base_delay_ms = 50;
  p.spike_probability = 0.01;
  p.spike_ms = 400;
  const auto a = SendTrace(p, 11, 20000);
  // Find a stall: several consecutive packets released at the same instant, later than base.
  int longest_group = 1, group = 1;
  for (size_t i = 1; i < a.size(); ++i) {
    group = (a[i] == a[i - 1]) ? group + 1 : 1;
    longest_group = std::max(longest_group, group);
  }
  EXPECT_GE(longest_group, 10);  // a 200+ ms stall holds 10+ packets of 20 ms
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  double max_extra = 0;
  for (size_t i = 0; i < a.size(); ++i) max_extra = std::max(max_extra, a[i] - i * 20.0 - 50.0);
  EXPECT_GT(max_extra, 400.0);
}

TEST(Link, BandwidthCapPacesAndDropsTail) {
  LinkParams p;
  p.base_delay_ms = 10;
  p.bandwidth_bps = 1'000'000;  // 1250 B take 10 ms
  p.queue_ms = 100;
  Link link(p, 1);
  std::vector<double> arrivals;
  int dropped = 0;
  for (int i = 0; i < 1000; ++i) {  // offer 2 Mbit/s for 5 s
    const double a = link.Send(i * 5.0, 1250);
    if (std::isnan(a)) {
      ++dropped;
    } else {
      arrivals.push_back(a);
      EXPECT_LE(a - i * 5.0, 10.0 + 100.0 + 10.0 + 1e-9) << i;  // base + queue + own serialisation
    }
  }
  EXPECT_EQ(link.stats().dropped, static_cast<uint64_t>(dropped));
  EXPECT_NEAR(dropped, 500, 15);  // half the offered load does not fit
  for (size_t i = 1; i < arrivals.size(); ++i) EXPECT_GE(arrivals[i] - arrivals[i - 1], 10.0 - 1e-9);
  // Below capacity nothing queues.
  Link idle(p, 1);
  EXPECT_DOUBLE_EQ(idle.Send(0.0, 125), 11.0);
  EXPECT_DOUBLE_EQ(idle.Send(20.0, 125), 31.0);
}

TEST(Link, BadPacketsAreCountedNotFatal) {
  Link link(LinkParams{}, 1);
  EXPECT_TRUE(std::isnan(link.Send(NAN, 100)));
  EXPECT_TRUE(std::isnan(link.Send(-5.0, 100)));
  EXPECT_TRUE(std::isnan(link.Send(1.0, 0)));
  EXPECT_TRUE(std::isnan(link.Send(1.0, 70000)));
  EXPECT_EQ(link.stats().invalid, 4u);
  EXPECT_EQ(link.stats().sent, 0u);
  // Time going backwards is clamped, not an error.
  EXPECT_DOUBLE_EQ(link.Send(100.0, 100), 100.0);
  EXPECT_DOUBLE_EQ(link.Send(50.0, 100), 100.0);
}

TEST(Link, RejectsImpossibleParams) {
  const auto bad = [](auto mutate) {
    LinkParams p;
    mutate(p);
    return p;
  };
  EXPECT_THROW(Link(bad([](LinkParams& p) { p.base_delay_ms = -1; }), 1), ConfigError);
  EXPECT_THROW(Link(bad([](LinkParams& p) { p.loss_rate = 1.0; }), 1), ConfigError);
  EXPECT_THROW(Link(bad([](LinkParams& p) { p.mean_burst = 0.5; }), 1), ConfigError);
  EXPECT_THROW(Link(bad([](LinkParams& p) { p.jitter_ms = NAN; }), 1), ConfigError);
  EXPECT_THROW(Link(bad([](LinkParams& p) { p.bandwidth_bps = 10; }), 1), ConfigError);
  EXPECT_THROW(Link(bad([](LinkParams& p) { p.spike_probability = 2; }), 1), ConfigError);
}

TEST(Link, SendAllocatesNothing) {
  LinkParams p;
  p.base_delay_ms = 60;
  p.jitter_ms = 15;
  p.spike_probability = 0.01;
  p.spike_ms = 100;
  p.loss_rate = 0.01;
  p.mean_burst = 2;
  p.bandwidth_bps = 5e6;
  p.queue_ms = 100;
  Link link(p, 1);
  const uint64_t before = testing::AllocationCount();
  double sink = 0;
  for (int i = 0; i < 10000; ++i) sink += link.Send(i * 20.0, 160);
  EXPECT_EQ(testing::AllocationCount(), before);
  (void)sink;
}

}  // namespace
}  // namespace cbcs::netsim
