// Periodicity: voiced sounds score high, clicks and noise low, the same at 16 and 48 kHz.
#include "cbcs/dsp/Periodicity.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "AllocationCounter.hpp"
#include "cbcs/common/ConfigError.hpp"

namespace cbcs::dsp {
namespace {

// The cue after 60 ms of `make(t)` (t in seconds) at `rate`.
template <typename Signal>
float Score(int rate, Signal make) {
  Periodicity p(rate);
  const std::size_t hop = static_cast<std::size_t>(rate / 100);
  std::vector<float> frame(hop);
  float cue = 0.0f;
  for (std::size_t f = 0; f < 6; ++f) {
    for (std::size_t i = 0; i < hop; ++i) frame[i] = make(static_cast<double>(f * hop + i) / rate);
    cue = p.Push(frame);
  }
  return cue;
}

// A vowel-like sound: harmonics of f0 with falling amplitude.
float Voiced(double f0, double t) {
  double s = 0.0;
  for (int h = 1; h * f0 < 4000.0; ++h) s += std::sin(2.0 * std::numbers::pi * h * f0 * t + 0.3 * h) / h;
  return static_cast<float>(0.2 * s);
}

TEST(Periodicity, VoicedSoundsScoreHighAcrossThePitchRange) {
  for (double f0 : {90.0, 120.0, 180.0, 250.0, 380.0}) {
    for (int rate : {16000, 48000}) {
      EXPECT_GT(Score(rate, [&](double t) { return Voiced(f0, t); }), 0.85f) << f0 << " Hz at " << rate;
    }
  }
}

TEST(Periodicity, NoiseAndClicksScoreLow) {
  std::mt19937 rng(3);
  std::normal_distribution<float> g;
  for (int rate : {16000, 48000}) {
    EXPECT_LT(Score(rate, [&](double) { return 0.1f * g(rng); }), 0.4f) << rate;
    // A key stroke: a broadband burst decaying within a few milliseconds, 15 ms ago.
    std::mt19937 burst_rng(5);
    const auto click = [&](double t) {
      const double s = t - 0.045;
      return s < 0 ? 0.0f : static_cast<float>(std::exp(-s / 0.003)) * g(burst_rng);
    };
    EXPECT_LT(Score(rate, click), 0.4f) << rate;
  }
}

TEST(Periodicity, SameCueAtBothRates) {
  for (double f0 : {110.0, 210.0}) {
    const auto voiced = [&](double t) { return Voiced(f0, t); };
    EXPECT_NEAR(Score(16000, voiced), Score(48000, voiced), 0.05f) << f0;
  }
}

TEST(Periodicity, SilenceScoresZeroAndPushDoesNotAllocate) {
  Periodicity p(16000);
  std::vector<float> frame(160, 0.0f);
  const auto before = cbcs::testing::AllocationCount();
  EXPECT_EQ(p.Push(frame), 0.0f);
  float cue = 0.0f;
  for (int f = 0; f < 6; ++f) {
    for (std::size_t i = 0; i < frame.size(); ++i) frame[i] = Voiced(150.0, static_cast<double>(f * 160 + i) / 16000);
    cue = p.Push(frame);
  }
  EXPECT_GT(cue, 0.85f);
  EXPECT_EQ(cbcs::testing::AllocationCount(), before);
  p.Reset();
  std::fill(frame.begin(), frame.end(), 0.0f);
  EXPECT_EQ(p.Push(frame), 0.0f);
}

TEST(Periodicity, RejectsOtherRates) { EXPECT_THROW(Periodicity(44100), ConfigError); }

}  // namespace
}  // namespace cbcs::dsp
