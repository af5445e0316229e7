// Tests of the polyphase resampler: lengths, tones, round-trip accuracy, SIMD parity.
#include "cbcs/dsp/Resampler.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "AllocationCounter.hpp"
#include "cbcs/common/ConfigError.hpp"

namespace cbcs::dsp {
namespace {

std::vector<float> Tone(double freq, int rate, std::size_t n) {
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(0.5 * std::sin(2.0 * std::numbers::pi * freq * static_cast<double>(i) / rate));
  }
  return x;
}

std::vector<float> Stream(Resampler& r, const std::vector<float>& x, std::size_t chunk) {
  std::vector<float> y;
  std::vector<float> buf(chunk * 6 + 8);
  for (std::size_t i = 0; i < x.size(); i += chunk) {
    const std::size_t len = std::min(chunk, x.size() - i);
    const std::size_t n = r.Process(std::span(x).subspan(i, len), buf);
    y.insert(y.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return y;
}

struct RatePair {
  int in, out;
};
class ResamplerRates : public ::testing::TestWithParam<RatePair> {};

TEST_P(ResamplerRates, ProducesTheRightCountAndKeepsAToneInBand) {
  const auto [in_rate, out_rate] = GetParam();
  Resampler r(in_rate, out_rate);
  const auto x = Tone(1000.0, in_rate, static_cast<std::size_t>(in_rate / 2));
  const auto y = Stream(r, x, static_cast<std::size_t>(in_rate / 100));
  ASSERT_EQ(y.size(), x.size() * static_cast<std::size_t>(out_rate) / static_cast<std::size_t>(in_rate));
  // After the filter's delay the output is the same tone, delayed.
  const double delay = r.DelaySeconds();
  double err = 0.0, sig = 0.0;
  for (std::size_t i = y.size() / 4; i < y.size(); ++i) {
    const double t = static_cast<double>(i) / out_rate - delay;
    const double ref = 0.5 * std::sin(2.0 * std::numbers::pi * 1000.0 * t);
    err += (y[i] - ref) * (y[i] - ref);
    sig += ref * ref;
  }
  EXPECT_GT(10.0 * std::log10(sig / err), 70.0);
}

INSTANTIATE_TEST_SUITE_P(Pairs, ResamplerRates,
                         ::testing::Values(RatePair{8000, 16000}, RatePair{16000, 8000}, RatePair{16000, 48000},
                                           RatePair{48000, 16000}, RatePair{8000, 48000}, RatePair{48000, 8000},
                                           RatePair{16000, 16000}));

TEST(Resampler, RoundTrip16To48To16IsAbove60DbInBand) {
  // Band-limited noise (sum of tones below 7 kHz, random phases) through 16 -> 48 -> 16.
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> phase(0.0, 2.0 * std::numbers::pi);
  const std::size_t n = 16000;
  std::vector<float> x(n, 0.0f);
  for (double f = 100.0; f < 7000.0; f += 137.0) {
    const double ph = phase(rng);
    for (std::size_t i = 0; i < n; ++i) {
      x[i] += static_cast<float>(0.02 * std::sin(2.0 * std::numbers::pi * f * static_cast<double>(i) / 16000.0 + ph));
    }
  }
  Resampler up(16000, 48000), down(48000, 16000);
  const auto y = Stream(down, Stream(up, x, 160), 480);
  const double delay = (up.DelaySeconds() + down.DelaySeconds()) * 16000.0;
  const std::size_t d = static_cast<std::size_t>(std::lround(delay));
  ASSERT_NEAR(delay, static_cast<double>(d), 1e-9);  // integer delay at 16 kHz
  double err = 0.0, sig = 0.0;
  for (std::size_t i = 2000; i + d < n; ++i) {
    err += (y[i + d] - x[i]) * (y[i + d] - x[i]);
    sig += static_cast<double>(x[i]) * x[i];
  }
  EXPECT_GT(10.0 * std::log10(sig / err), 60.0);
}

TEST(Resampler, RejectsOtherRates) {
  EXPECT_THROW(Resampler(44100, 16000), ConfigError);
  EXPECT_THROW(Resampler(16000, 22050), ConfigError);
}

TEST(Resampler, SimdAndPortablePathsAgreeBitForBit) {
  Resampler a(16000, 48000, true), b(16000, 48000, false);
  const auto x = Tone(440.0, 16000, 1600);
  EXPECT_EQ(Stream(a, x, 160), Stream(b, x, 160));
}

TEST(Resampler, ProcessesFramesWithoutAllocating) {
  Resampler r(48000, 16000);
  std::vector<float> in(480, 0.1f), out(160);
  r.Process(in, out);
  const auto before = cbcs::testing::AllocationCount();
  for (int i = 0; i < 100; ++i) EXPECT_EQ(r.Process(in, out), 160u);
  EXPECT_EQ(cbcs::testing::AllocationCount(), before);
}

}  // namespace
}  // namespace cbcs::dsp
