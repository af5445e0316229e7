#include "cbcs/jitter/JitterBuffer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <vector>

#include "AllocationCounter.hpp"
#include "cbcs/common/ConfigError.hpp"

namespace cbcs::jitter {
namespace {

// The sender: a tone whose phase follows the RTP timestamp, so any packet's content is
// known, and packets are numbered from given start values (to test wrap-around).
struct Sender {
  int rate = 16000;
  int packet_ms = 20;
  uint16_t seq0 = 0;
  uint32_t ts0 = 0;
  double freq = 220.0;
  int Samples() const { return rate * packet_ms / 1000; }
  std::vector<int16_t> Pcm(int64_t index) const {
    std::vector<int16_t> v(Samples());
    for (int i = 0; i < Samples(); ++i) {
      const double t = static_cast<double>(index * Samples() + i) / rate;
      v[i] = static_cast<int16_t>(std::lrint(6000.0 * std::sin(2 * M_PI * freq * t)));
    }
    return v;
  }
  uint16_t Seq(int64_t index) const { return static_cast<uint16_t>(seq0 + index); }
  uint32_t Ts(int64_t index) const { return static_cast<uint32_t>(ts0 + index * Samples()); }
};

struct Event { double arrival; int64_t index; };

struct Outcome {
  std::vector<Playout> blocks;
  std::vector<double> times;
  std::vector<int> played_first_at;  // per packet: block index of first play, -1 never
  std::vector<PutStatus> statuses;   // per put, in put order
  JitterStats stats;
};

// Runs a whole trace: packets are put when the 10 ms clock passes their arrival, then one
// Get per tick. Records which packets were played from [timestamp, +source_samples).
Outcome RunTrace(JitterBuffer& jb, const Sender& s, std::vector<Event> events, int64_t packets,
            double until_ms, double start_ms = 0.0) {
  // std::sort with an index tie-break, not stable_sort: stable_sort's temporary buffer
  // uses nothrow operator new, which the allocation counter does not replace (ASan then
  // reports a new/free mismatch).
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.arrival < b.arrival || (a.arrival == b.arrival && a.index < b.index);
  });
  Outcome o;
  o.played_first_at.assign(packets, -1);
  size_t next = 0;
  for (double t = start_ms; t < until_ms; t += 10.0) {
    while (next < events.size() && events[next].arrival <= t) {
      const auto pcm = s.Pcm(events[next].index);
      o.statuses.push_back(jb.Put(s.Seq(events[next].index), s.Ts(events[next].index), pcm.data(),
                                  static_cast<int64_t>(pcm.size()), events[next].arrival));
      ++next;
    }
    const Playout p = jb.Get(t);
    if (p.has_timestamp && p.source_samples > 0) {
      const int64_t rel = static_cast<uint32_t>(p.timestamp - s.ts0);
      for (int64_t k = rel / s.Samples(); k <= (rel + p.source_samples - 1) / s.Samples(); ++k) {
        if (k < packets && o.played_first_at[k] < 0) o.played_first_at[k] = static_cast<int>(o.blocks.size());
      }
    }
    o.blocks.push_back(p);
    o.times.push_back(t);
  }
  o.stats = jb.Stats();
  return o;
}

JitterConfig Config(int rate = 16000) {
  JitterConfig c;
  c.sample_rate = rate;
  return c;
}

std::vector<Event> Regular(const Sender& s, int64_t n, double base_ms, double sigma = 0.0,
                           uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> j(0.0, 1.0);
  std::vector<Event> ev;
  double last = 0;
  for (int64_t i = 0; i < n; ++i) {
    double a = 1000.0 + i * s.packet_ms + base_ms + (sigma > 0 ? std::abs(sigma * j(rng)) : 0.0);
    a = std::max(a, last);  // FIFO link
    last = a;
    ev.push_back({a, i});
  }
  return ev;
}

int CountKind(const Outcome& o, PlayoutKind k) {
  return static_cast<int>(std::count_if(o.blocks.begin(), o.blocks.end(),
                                        [k](const Playout& p) { return p.kind == k; }));
}

int NeverPlayed(const Outcome& o, const std::vector<Event>& ev) {
  int n = 0;
  for (const Event& e : ev) n += o.played_first_at[e.index] < 0;
  return n;
}

TEST(JitterBuffer, RejectsConfigurationsItCannotUse) {
  for (int rate : {0, 44100, 32000, -16000}) {
    JitterConfig c = Config();
    c.sample_rate = rate;
    EXPECT_THROW(JitterBuffer{c}, ConfigError) << rate;
  }
  JitterConfig c = Config();
  c.max_delay_ms = 50;
  EXPECT_THROW(JitterBuffer{c}, ConfigError);
  c = Config();
  c.min_delay_ms = 2000;
  c.max_delay_ms = 1000;
  EXPECT_THROW(JitterBuffer{c}, ConfigError);
  c = Config();
  c.quantile = 1.0;
  EXPECT_THROW(JitterBuffer{c}, ConfigError);
  try {
    JitterConfig bad = Config();
    bad.sample_rate = 44100;
    JitterBuffer jb(bad);
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "sample_rate: expected one of 8000, 16000, 48000, got 44100");
  }
}

TEST(JitterBuffer, PlaysEveryPacketOnceAcrossSequenceAndTimestampWrap) {
  struct Case { uint16_t seq0; uint32_t ts0; };
  for (const Case c : {Case{0, 0}, Case{32767 - 50, 0x7FFFFFFFu - 3000}, Case{65535 - 50, 0xFFFFFFFFu - 5000},
                       Case{65535, 0xFFFFFFFFu}}) {
    Sender s;
    s.seq0 = c.seq0;
    s.ts0 = c.ts0;
    JitterBuffer jb(Config());
    const auto ev = Regular(s, 200, 50.0, 5.0);
    const Outcome o = RunTrace(jb, s, ev, 200, 6000.0);
    EXPECT_EQ(NeverPlayed(o, ev), 0) << c.seq0;
    EXPECT_EQ(o.stats.lost_packets, 0u) << c.seq0;
    EXPECT_EQ(o.stats.late_packets, 0u);
    EXPECT_EQ(o.stats.stream_resets, 0u) << "a wrap is not a reset";
    // Played ranges follow each other exactly (mod 2^32) while audio flows.
    uint32_t expect = 0;
    bool have = false;
    for (const Playout& p : o.blocks) {
      if (!p.has_timestamp) continue;
      if (have && p.kind != PlayoutKind::kMerge) {
        EXPECT_EQ(p.timestamp, expect) << c.seq0;
      }
      expect = p.timestamp + static_cast<uint32_t>(p.source_samples);
      have = true;
    }
  }
}

TEST(JitterBuffer, SampleRatesAndPacketSizes) {
  for (int rate : {8000, 16000, 48000}) {
    for (int ms : {10, 20, 30, 40, 60}) {
      Sender s;
      s.rate = rate;
      s.packet_ms = ms;
      JitterBuffer jb(Config(rate));
      const int64_t n = 3000 / ms;
      const auto ev = Regular(s, n, 40.0, 8.0, static_cast<uint32_t>(rate + ms));
      const Outcome o = RunTrace(jb, s, ev, n, 5000.0);
      EXPECT_EQ(NeverPlayed(o, ev), 0) << rate << " " << ms;
      for (const Playout& p : o.blocks) ASSERT_EQ(p.samples, rate / 100);
    }
  }
}

TEST(JitterBuffer, NormalPlayoutIsBitExact) {
  Sender s;
  JitterBuffer jb(Config());
  std::vector<Event> ev = Regular(s, 100, 30.0);
  const Outcome o = RunTrace(jb, s, ev, 100, 3000.0);
  int checked = 0;
  // Compare a few normal blocks with the sender's signal (tone phase from the timestamp).
  JitterBuffer jb2(Config());
  size_t next = 0;
  std::sort(ev.begin(), ev.end(), [](auto& a, auto& b) { return a.arrival < b.arrival; });
  for (double t = 0; t < 3000; t += 10) {
    while (next < ev.size() && ev[next].arrival <= t) {
      const auto pcm = s.Pcm(ev[next].index);
      jb2.Put(s.Seq(ev[next].index), s.Ts(ev[next].index), pcm.data(), 320, ev[next].arrival);
      ++next;
    }
    const Playout p = jb2.Get(t);
    if (p.kind != PlayoutKind::kNormal) continue;
    const int64_t rel = static_cast<uint32_t>(p.timestamp - s.ts0);
    const auto pcm = s.Pcm(rel / 320);
    const int off = static_cast<int>(rel % 320);
    for (int i = 0; i < 160 && off + i < 320; ++i) ASSERT_EQ(p.pcm[i], pcm[off + i]);
    ++checked;
  }
  EXPECT_GT(checked, 150);
  EXPECT_GT(CountKind(o, PlayoutKind::kNormal), 150);
}

TEST(JitterBuffer, ReorderedPacketsAllPlay) {
  Sender s;
  JitterBuffer jb(Config());
  std::vector<Event> ev;
  for (int64_t i = 0; i < 300; ++i) {
    // Every 7th packet overtaken by its successor by 15 ms.
    const double a = 1000.0 + i * 20 + 60 + ((i % 7 == 3) ? 35.0 : 0.0);
    ev.push_back({a, i});
  }
  const Outcome o = RunTrace(jb, s, ev, 300, 8000.0);
  // The first overtaken packet teaches the buffer how long reordering lasts; it may be
  // late itself, none after it.
  EXPECT_LE(NeverPlayed(o, ev), 1);
  EXPECT_LE(o.stats.late_packets, 1u);
  EXPECT_GT(o.stats.reordered_packets, 30u);
  EXPECT_EQ(o.stats.lost_packets, 0u);
}

TEST(JitterBuffer, DuplicatesAreCountedAndPlayedOnce) {
  Sender s;
  JitterBuffer jb(Config());
  std::vector<Event> ev = Regular(s, 100, 40.0);
  const size_t n = ev.size();
  for (size_t i = 0; i < n; i += 2) ev.push_back({ev[i].arrival + 5.0, ev[i].index});
  const Outcome o = RunTrace(jb, s, ev, 100, 4000.0);
  EXPECT_EQ(o.stats.duplicate_packets, 50u);
  EXPECT_EQ(std::count(o.statuses.begin(), o.statuses.end(), PutStatus::kDuplicate), 50);
  EXPECT_EQ(o.stats.packets_received, 100u);
  EXPECT_EQ(NeverPlayed(o, ev), 0);
}

TEST(JitterBuffer, LossIsConcealedAndMergedWithoutLosingNeighbours) {
  Sender s;
  JitterBuffer jb(Config());
  std::vector<Event> all = Regular(s, 500, 60.0, 3.0), ev;
  std::vector<int64_t> lost;
  for (const Event& e : all) {
    if (e.index % 23 == 5 || e.index % 61 == 7 || e.index % 61 == 8) {
      lost.push_back(e.index);
    } else {
      ev.push_back(e);
    }
  }
  const Outcome o = RunTrace(jb, s, ev, 500, 12000.0);
  EXPECT_EQ(NeverPlayed(o, ev), 0);
  EXPECT_EQ(o.stats.lost_packets, lost.size());
  EXPECT_GT(CountKind(o, PlayoutKind::kMerge), static_cast<int>(lost.size()) / 2);
  EXPECT_GT(CountKind(o, PlayoutKind::kExpand), static_cast<int>(lost.size()));
  EXPECT_EQ(o.stats.late_packets, 0u);
}

TEST(JitterBuffer, APacketLateBehindASpikeStillPlays) {
  // A 300 ms stall: nothing newer is buffered, so the buffer conceals and waits rather
  // than declaring loss; the queued packets then play and accelerate brings delay back.
  Sender s;
  JitterBuffer jb(Config());
  std::vector<Event> ev = Regular(s, 500, 60.0, 2.0);
  for (Event& e : ev) {
    if (e.index >= 200 && e.index < 215) e.arrival = std::max(e.arrival, 1000.0 + 200 * 20 + 60 + 300.0);
  }
  const Outcome o = RunTrace(jb, s, ev, 500, 12000.0);
  EXPECT_EQ(NeverPlayed(o, ev), 0);
  EXPECT_EQ(o.stats.late_packets, 0u);
  EXPECT_GT(o.stats.accelerated_ms, 150.0);
  // Delay at the end is back near the start.
  const auto delay_of = [&](int64_t k) {
    return o.times[o.played_first_at[k]] - (1000.0 + k * 20);
  };
  EXPECT_LT(std::abs(delay_of(480) - delay_of(150)), 25.0);
}

TEST(JitterBuffer, LatePacketAfterItsGapWasConcealedIsDroppedAndCounted) {
  Sender s;
  JitterBuffer jb(Config());
  std::vector<Event> ev = Regular(s, 200, 40.0);
  ev[100].arrival += 400.0;  // long after 101.. arrived: its slot is concealed as loss
  const Outcome o = RunTrace(jb, s, ev, 200, 6000.0);
  EXPECT_EQ(o.stats.late_packets, 1u);
  EXPECT_EQ(std::count(o.statuses.begin(), o.statuses.end(), PutStatus::kLate), 1);
  EXPECT_EQ(o.played_first_at[100], -1);
  EXPECT_EQ(o.stats.lost_packets, 0u) << "it did arrive: late, not lost";
}

TEST(JitterBuffer, DtxGapIsComfortNoiseNotEndlessLoss) {
  Sender s;
  JitterBuffer jb(Config());
  std::vector<Event> ev;
  // 2 s of talk, 3 s of nothing (seq continues, timestamp jumps 3 s), 2 s of talk.
  for (int64_t i = 0; i < 100; ++i) ev.push_back({1000.0 + i * 20 + 50, i});
  for (int64_t i = 250; i < 350; ++i) ev.push_back({1000.0 + i * 20 + 50, i});
  // Sequence numbers: the second talkspurt continues right after the first.
  JitterBuffer jb2(Config());
  Outcome o;
  {
    o.played_first_at.assign(350, -1);
    size_t next = 0;
    for (double t = 0; t < 9000; t += 10) {
      while (next < ev.size() && ev[next].arrival <= t) {
        const int64_t i = ev[next].index;
        const auto pcm = s.Pcm(i);
        const uint16_t seq = static_cast<uint16_t>(i < 100 ? i : i - 150);
        jb2.Put(seq, s.Ts(i), pcm.data(), 320, ev[next].arrival);
        ++next;
      }
      const Playout p = jb2.Get(t);
      if (p.has_timestamp) {
        const int64_t k = p.timestamp / 320;
        if (k < 350 && o.played_first_at[k] < 0) o.played_first_at[k] = static_cast<int>(o.blocks.size());
      }
      o.blocks.push_back(p);
      o.times.push_back(t);
    }
    o.stats = jb2.Stats();
  }
  EXPECT_EQ(o.stats.lost_packets, 0u);
  EXPECT_EQ(NeverPlayed(o, ev), 0);
  EXPECT_GT(CountKind(o, PlayoutKind::kComfortNoise), 250);
  // Only the fade-out after each talkspurt (110-120 ms) is concealment; the pause is not.
  EXPECT_LE(o.stats.concealed_ms, 250.0) << "the pause is comfort noise, not concealment";
  // The second talkspurt plays with the same delay as the first.
  const double d1 = o.times[o.played_first_at[50]] - (1000.0 + 50 * 20);
  const double d2 = o.times[o.played_first_at[300]] - (1000.0 + 300 * 20);
  EXPECT_NEAR(d2, d1, 20.0);
}

TEST(JitterBuffer, TimestampJumpRestartsTheTimeline) {
  for (const int64_t jump : {int64_t{16000 * 600}, int64_t{-16000 * 100}, int64_t{0x80000000LL}}) {
    Sender s;
    JitterBuffer jb(Config());
    std::vector<Event> ev = Regular(s, 400, 40.0, 3.0);
    Outcome o;
    o.played_first_at.assign(400, -1);
    size_t next = 0;
    int played_after = 0;
    for (double t = 0; t < 10000; t += 10) {
      while (next < ev.size() && ev[next].arrival <= t) {
        const int64_t i = ev[next].index;
        const auto pcm = s.Pcm(i);
        const uint32_t ts = static_cast<uint32_t>(s.Ts(i) + (i >= 200 ? jump : 0));
        jb.Put(s.Seq(i), ts, pcm.data(), 320, ev[next].arrival);
        ++next;
      }
      const Playout p = jb.Get(t);
      if (t > 1000 + 210 * 20 + 300 && p.kind == PlayoutKind::kNormal) ++played_after;
    }
    const JitterStats st = jb.Stats();
    EXPECT_EQ(st.stream_resets, 1u) << jump;
    EXPECT_GT(played_after, 300) << jump << ": playout resumes on the new timeline";
    EXPECT_EQ(st.lost_packets, 0u) << jump;
  }
}

TEST(JitterBuffer, SenderClockDriftKeepsDelayBounded) {
  for (const double drift : {0.01, -0.01}) {
    Sender s;
    JitterBuffer jb(Config());
    std::vector<Event> ev;
    const int64_t n = 6000;  // 120 s
    std::mt19937 rng(5);
    std::normal_distribution<double> j(0.0, 5.0);
    double last = 0;
    for (int64_t i = 0; i < n; ++i) {
      // The sender's 20 ms are 20 * (1 + drift) ms of receiver time.
      double a = 1000.0 + i * 20.0 * (1.0 + drift) + 60 + std::abs(j(rng));
      a = std::max(a, last);
      last = a;
      ev.push_back({a, i});
    }
    const Outcome o = RunTrace(jb, s, ev, n, 1000.0 + n * 20.0 * (1 + drift) + 500);
    EXPECT_EQ(NeverPlayed(o, ev), 0) << drift;
    // Buffering delay (play time - arrival) stays bounded over two minutes.
    double lo = 1e9, hi = -1e9;
    for (const Event& e : ev) {
      if (e.index < 1000) continue;
      const double d = o.times[o.played_first_at[e.index]] - e.arrival;
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    EXPECT_GE(lo, -10.0) << drift;
    EXPECT_LT(hi, 60.0) << drift;
    // 1.2 s of audio to add (slow sender) or remove (fast sender) over two minutes.
    if (drift > 0) {
      EXPECT_GT(o.stats.expanded_ms + o.stats.concealed_ms, 1000.0);
    } else {
      EXPECT_GT(o.stats.accelerated_ms, 1000.0);
    }
  }
}

TEST(JitterBuffer, TargetFollowsASpikeAndComesBackWithinTenSeconds) {
  Sender s;
  JitterBuffer jb(Config());
  std::vector<Event> ev = Regular(s, 2000, 80.0, 3.0);
  const int64_t k = 1000;  // spike at 21 s
  for (Event& e : ev) {
    const double extra = 400.0 - (e.index - k) * 20.0;
    if (e.index >= k && extra > 0) e.arrival = std::max(e.arrival, 1000.0 + e.index * 20 + 80 + extra);
  }
  const Outcome o = RunTrace(jb, s, ev, 2000, 42000.0);
  auto target_at = [&](double t) { return o.blocks[static_cast<size_t>(t / 10)].target_delay_ms; };
  const double before = target_at(20900);
  double peak = 0;
  for (double t = 21000; t < 22500; t += 10) peak = std::max(peak, target_at(t));
  EXPECT_GT(peak, before + 100.0);
  double back = -1;
  for (double t = 21500; t < 41000; t += 10) {
    if (std::abs(target_at(t) - before) <= 20.0) { back = t; break; }
  }
  ASSERT_GT(back, 0);
  EXPECT_LT(back - 21000.0, 10000.0);
  EXPECT_EQ(NeverPlayed(o, ev), 0);
}

TEST(JitterBuffer, MaximumDelayIsRespected) {
  Sender s;
  JitterConfig c = Config();
  c.max_delay_ms = 300;
  JitterBuffer jb(c);
  std::vector<Event> ev = Regular(s, 600, 40.0, 2.0);
  for (Event& e : ev) {
    // A 2 s stall: far beyond max delay.
    if (e.index >= 200 && e.index < 300) e.arrival = std::max(e.arrival, 1000.0 + 200 * 20 + 2000.0);
  }
  const Outcome o = RunTrace(jb, s, ev, 600, 14000.0);
  EXPECT_GT(o.stats.late_packets + o.stats.flushed_packets, 50u);
  for (const Event& e : ev) {
    const int b = o.played_first_at[e.index];
    if (b >= 0) {
      EXPECT_LT(o.times[b] - e.arrival, 300.0 + 40.0) << e.index;
    }
  }
  // Packets before and well after the stall all play.
  for (int64_t i : {100, 150, 450, 550}) EXPECT_GE(o.played_first_at[i], 0) << i;
}

TEST(JitterBuffer, BadPacketsAreCountedNeverCrash) {
  JitterBuffer jb(Config());
  std::vector<int16_t> pcm(960, 100);
  struct Case { int64_t seq; int64_t ts; int64_t samples; double arrival; const int16_t* data; };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const Case cases[] = {
      {-1, 0, 320, 0, pcm.data()},        {65536, 0, 320, 0, pcm.data()},
      {0, -1, 320, 0, pcm.data()},        {0, 1LL << 32, 320, 0, pcm.data()},
      {0, 0, 0, 0, pcm.data()},           {0, 0, 100, 0, pcm.data()},   // not 10 ms multiple
      {0, 0, 1120, 0, pcm.data()},        {0, 0, -320, 0, pcm.data()},  // > 60 ms, negative
      {0, 0, 320, nan, pcm.data()},       {0, 0, 320, inf, pcm.data()},
      {0, 0, 320, -5, pcm.data()},        {0, 0, 320, 1e300, pcm.data()},
      {0, 0, 320, 0, nullptr},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(jb.Put(c.seq, c.ts, c.data, c.samples, c.arrival), PutStatus::kInvalid);
  }
  EXPECT_EQ(jb.Stats().invalid_packets, std::size(cases));
  // Garbage that is well-formed: random timestamps and arrival times. No crash, and
  // every Get still returns a full block.
  std::mt19937_64 rng(1);
  for (int i = 0; i < 20000; ++i) {
    const int64_t seq = rng() & 0xFFFF;
    const int64_t ts = rng() & 0xFFFFFFFF;
    const double arrival = (rng() % 3 == 0) ? static_cast<double>(rng() % 1000000000) : i * 5.0;
    jb.Put(seq, ts, pcm.data(), 160 * (1 + rng() % 6), arrival);
    if (i % 2 == 0) {
      const Playout p = jb.Get((rng() % 5 == 0) ? nan : i * 5.0);
      ASSERT_EQ(p.samples, 160);
      ASSERT_NE(p.pcm, nullptr);
    }
  }
}

TEST(JitterBuffer, NoAllocationPerPacketOrBlockInSteadyState) {
  Sender s;
  JitterBuffer jb(Config());
  std::vector<std::vector<int16_t>> pcm;
  for (int i = 0; i < 50; ++i) pcm.push_back(s.Pcm(i));
  std::mt19937 rng(2);
  std::normal_distribution<double> j(0.0, 15.0);
  auto run = [&](int from, int to) {
    double t = from * 20.0;
    for (int i = from; i < to; ++i) {
      if (i % 17 != 3) {  // some loss, jitter with reordering
        jb.Put(s.Seq(i), s.Ts(i), pcm[i % 50].data(), 320, t + 60 + std::abs(j(rng)));
      }
      jb.Get(t);
      jb.Get(t + 10);
      t += 20;
    }
  };
  run(0, 500);  // warm up
  const uint64_t before = testing::AllocationCount();
  run(500, 5000);
  EXPECT_EQ(testing::AllocationCount() - before, 0u);
}

}  // namespace
}  // namespace cbcs::jitter
