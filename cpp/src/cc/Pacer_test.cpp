#include "cbcs/cc/Pacer.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "AllocationCounter.hpp"
#include "cbcs/common/ConfigError.hpp"

namespace cbcs::cc {
namespace {

TEST(Pacer, SendsAtThePacingRateIn5msBudgets) {
  Pacer p;
  p.SetPacingRate(800e3);  // 500 bytes per 5 ms
  for (uint64_t i = 1; i <= 400; ++i) p.Enqueue(i, 500, PacketKind::kVideo, 0);
  std::vector<PacedPacket> out(64);
  double sent = 0;
  for (double t = 0; t < 1000; t += 5) sent += p.Process(t, out) * 500.0;
  EXPECT_NEAR(sent * 8, 800e3, 800e3 * 0.02);
}

TEST(Pacer, AudioThenRetransmissionsThenVideo) {
  Pacer p;
  p.SetPacingRate(10e6);
  p.Enqueue(1, 100, PacketKind::kVideo, 0);
  p.Enqueue(2, 100, PacketKind::kRetransmission, 0);
  p.Enqueue(3, 100, PacketKind::kAudio, 0);
  p.Enqueue(4, 100, PacketKind::kFec, 0);
  std::vector<PacedPacket> out(8);
  p.Process(0, out);
  ASSERT_EQ(p.Process(5, out), 4u);
  EXPECT_EQ(out[0].id, 3u);
  EXPECT_EQ(out[1].id, 2u);
  EXPECT_EQ(out[2].id, 1u);
  EXPECT_EQ(out[3].id, 4u);
}

TEST(Pacer, BurstLimitCapsWhatAnIdleGapSaves) {
  Pacer p;  // burst 10 ms
  p.SetPacingRate(800e3);
  std::vector<PacedPacket> out(64);
  p.Process(0, out);
  for (uint64_t i = 1; i <= 20; ++i) p.Enqueue(i, 100, PacketKind::kVideo, 1000);
  // After 1 s idle only ~10 ms of budget (1000 bytes) is available at once.
  EXPECT_LE(p.Process(1000, out), 11u);
}

TEST(Pacer, ProbeClusterRunsAtItsRateWithPadding) {
  Pacer p;
  p.SetPacingRate(100e3);
  std::vector<PacedPacket> out(64);
  p.StartProbe(ProbeCluster{7, 2e6, 5, 15}, 0);
  std::vector<PacedPacket> sent;
  for (double t = 0; t < 50; t += 0.5) {
    const size_t n = p.Process(t, out);
    sent.insert(sent.end(), out.begin(), out.begin() + n);
  }
  ASSERT_GE(sent.size(), 5u);
  double bytes = 0;
  for (const auto& s : sent) {
    EXPECT_EQ(s.probe_cluster, 7);
    EXPECT_EQ(s.kind, PacketKind::kPadding);
    bytes += s.size;
  }
  EXPECT_GE(bytes * 8000, 2e6 * 15);
  EXPECT_FALSE(p.probing());
}

TEST(Pacer, FullQueueRefusesAndCounts) {
  PacerConfig c;
  c.queue_capacity = 2;
  Pacer p(c);
  EXPECT_TRUE(p.Enqueue(1, 100, PacketKind::kVideo, 0));
  EXPECT_TRUE(p.Enqueue(2, 100, PacketKind::kVideo, 0));
  EXPECT_FALSE(p.Enqueue(3, 100, PacketKind::kVideo, 0));
  EXPECT_TRUE(p.Enqueue(4, 100, PacketKind::kAudio, 0));
  EXPECT_EQ(p.stats().dropped, 1u);
  c.queue_capacity = 0;
  EXPECT_THROW(Pacer{c}, ConfigError);
}

TEST(Pacer, SteadyStateAllocatesNothing) {
  Pacer p;
  p.SetPacingRate(1e6);
  std::vector<PacedPacket> out(64);
  const auto before = testing::AllocationCount();
  for (int i = 0; i < 10000; ++i) {
    p.Enqueue(static_cast<uint64_t>(i), 600, PacketKind::kVideo, i * 5.0);
    p.Process(i * 5.0, out);
  }
  EXPECT_EQ(testing::AllocationCount(), before);
}

}  // namespace
}  // namespace cbcs::cc
