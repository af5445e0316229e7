// Tests of the AGC: reaches the target, holds the gain through pauses, limits peaks.
#include "cbcs/dsp/Agc.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "AllocationCounter.hpp"
#include "cbcs/common/ConfigError.hpp"

namespace cbcs::dsp {
namespace {

double RmsDb(const std::vector<float>& x, std::size_t from, std::size_t to) {
  double e = 0.0;
  for (std::size_t i = from; i < to; ++i) e += static_cast<double>(x[i]) * x[i];
  return 10.0 * std::log10(e / static_cast<double>(to - from) + 1e-20);
}

// Bursts of a 300 Hz tone at amplitude `amp` (1 s on, 1 s off) over faint noise.
std::vector<float> Talk(std::size_t seconds, float amp) {
  std::mt19937 rng(1);
  std::normal_distribution<float> noise(0.0f, 1e-4f);
  std::vector<float> x(seconds * 16000);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const bool on = (i / 16000) % 2 == 0;
    x[i] = noise(rng) + (on ? amp * static_cast<float>(std::sin(2.0 * std::numbers::pi * 300.0 * i / 16000.0)) : 0.0f);
  }
  return x;
}

std::vector<float> Stream(Agc& agc, const std::vector<float>& x, std::vector<float>* gains = nullptr) {
  std::vector<float> y(x.size());
  for (std::size_t i = 0; i + 160 <= x.size(); i += 160) {
    EXPECT_TRUE(agc.Process(std::span(x).subspan(i, 160), std::span(y).subspan(i, 160)));
    if (gains) gains->push_back(agc.GainDb());
  }
  return y;
}

TEST(Agc, BringsQuietAndLoudTalkersToTheTarget) {
  for (float amp : {0.01f, 0.05f, 0.5f}) {
    Agc agc(AgcConfig{16000, -20.0f, 30.0f, -20.0f, -1.0f, 400.0f});
    const auto y = Stream(agc, Talk(12, amp));
    // The last speech burst (10..11 s) sits within 2 dB of the target.
    EXPECT_NEAR(RmsDb(y, 10 * 16000, 11 * 16000), -20.0, 2.0) << amp;
  }
}

TEST(Agc, DoesNotPumpDuringPauses) {
  Agc agc(AgcConfig{});
  std::vector<float> gains;
  Stream(agc, Talk(12, 0.02f), &gains);
  // In every pause after the first second of speech, the gain stays within 1 dB.
  for (std::size_t pause = 3; pause < 12; pause += 2) {
    const auto lo = gains.begin() + static_cast<std::ptrdiff_t>(pause * 100 + 5);
    const auto hi = gains.begin() + static_cast<std::ptrdiff_t>(pause * 100 + 95);
    EXPECT_LT(*std::max_element(lo, hi) - *std::min_element(lo, hi), 1.0f) << pause;
  }
}

TEST(Agc, LimiterKeepsPeaksBelowTheLimit) {
  Agc agc(AgcConfig{16000, -3.0f, 30.0f, -20.0f, -1.0f, 400.0f});
  const auto y = Stream(agc, Talk(6, 0.3f));
  const float limit = std::pow(10.0f, -1.0f / 20.0f);
  for (float v : y) ASSERT_LE(std::abs(v), limit + 1e-6f);
}

TEST(Agc, RejectsBadSettingsAndAllocatesNothingPerFrame) {
  EXPECT_THROW(Agc(AgcConfig{44100}), ConfigError);
  EXPECT_THROW(Agc(AgcConfig{16000, 5.0f}), ConfigError);
  Agc agc(AgcConfig{});
  std::vector<int16_t> in(160, 1000), out(160);
  const auto before = cbcs::testing::AllocationCount();
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(agc.Process(in, out));
  EXPECT_FALSE(agc.Process(std::span(in).first(100), out));
  EXPECT_EQ(cbcs::testing::AllocationCount(), before);
}

}  // namespace
}  // namespace cbcs::dsp
