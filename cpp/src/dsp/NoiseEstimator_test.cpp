// Tests of the noise tracker: converges, follows a noise step, ignores a sustained tone.
#include "cbcs/dsp/NoiseEstimator.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "AllocationCounter.hpp"

namespace cbcs::dsp {
namespace {

// Periodogram values of white noise with mean `level`: exponentially distributed.
std::vector<float> NoiseFrame(std::mt19937& rng, float level, std::size_t bins) {
  std::exponential_distribution<float> dist(1.0f / level);
  std::vector<float> p(bins);
  for (float& v : p) v = dist(rng);
  return p;
}

double MeanDb(std::span<const float> x) {
  double s = 0.0;
  for (float v : x) s += v;
  return 10.0 * std::log10(s / static_cast<double>(x.size()));
}

TEST(NoiseEstimator, ConvergesAndFollowsANoiseStepWithinASecond) {
  NoiseEstimator est(161);
  std::mt19937 rng(1);
  for (int f = 0; f < 200; ++f) est.Update(NoiseFrame(rng, 1.0f, 161));
  EXPECT_NEAR(MeanDb(est.Noise()), 0.0, 1.5);
  for (int f = 0; f < 150; ++f) est.Update(NoiseFrame(rng, 10.0f, 161));  // +10 dB, 1.5 s
  EXPECT_NEAR(MeanDb(est.Noise()), 10.0, 1.5);
  for (int f = 0; f < 100; ++f) est.Update(NoiseFrame(rng, 1.0f, 161));  // back down
  EXPECT_NEAR(MeanDb(est.Noise()), 0.0, 1.5);
}

TEST(NoiseEstimator, ASustainedLoudBinDoesNotBecomeNoise) {
  NoiseEstimator est(161);
  std::mt19937 rng(2);
  for (int f = 0; f < 100; ++f) est.Update(NoiseFrame(rng, 1.0f, 161));
  // Bin 40 carries a tone 40 dB above the noise for 0.8 s (a long held vowel harmonic).
  for (int f = 0; f < 80; ++f) {
    auto p = NoiseFrame(rng, 1.0f, 161);
    p[40] += 1e4f;
    est.Update(p);
    ASSERT_LT(est.Noise()[40], 20.0f) << f;  // stays within 13 dB of the true noise
    ASSERT_GT(est.Presence()[40], 0.9f) << f;
  }
}

TEST(NoiseEstimator, UpdatesWithoutAllocating) {
  NoiseEstimator est(481);
  std::mt19937 rng(3);
  const auto frame = NoiseFrame(rng, 1.0f, 481);
  const auto before = cbcs::testing::AllocationCount();
  for (int f = 0; f < 100; ++f) est.Update(frame);
  EXPECT_EQ(cbcs::testing::AllocationCount(), before);
}

}  // namespace
}  // namespace cbcs::dsp
