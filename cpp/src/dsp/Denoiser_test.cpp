// Tests of the Denoiser: transparency, suppression, delay, musical noise, allocation, SIMD parity.
#include "cbcs/dsp/Denoiser.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numbers>
#include <random>

#include "AllocationCounter.hpp"
#include "cbcs/common/ConfigError.hpp"

namespace cbcs::dsp {
namespace {

std::vector<std::uint8_t> ShippedModel() {
  const auto path = std::filesystem::path(__FILE__).parent_path() / ".." / ".." / ".." / "python" / "cbcs" /
                    "media" / "data" / "denoise_gru.bin";
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::vector<float> Stream(Denoiser& d, const std::vector<float>& x) {
  const std::size_t hop = d.FrameSamples();
  std::vector<float> y(x.size(), 0.0f);
  for (std::size_t i = 0; i + hop <= x.size(); i += hop) {
    EXPECT_EQ(d.Process(std::span(x).subspan(i, hop), std::span(y).subspan(i, hop)), FrameStatus::kOk);
  }
  return y;
}

std::vector<float> WhiteNoise(std::size_t n, float rms, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, rms);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  return x;
}

// A voiced-speech-like signal: harmonics of a gliding pitch, syllable-rate on/off.
std::vector<float> Vowels(std::size_t n, int rate) {
  std::vector<float> x(n);
  double phase = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    const double f0 = 140.0 + 30.0 * std::sin(2.0 * std::numbers::pi * 0.7 * t);
    phase += 2.0 * std::numbers::pi * f0 / rate;
    double s = 0.0;
    for (int h = 1; h <= 20; ++h) s += std::sin(h * phase) / h;
    const double env = std::sin(2.0 * std::numbers::pi * 2.0 * t) > -0.3 ? 1.0 : 0.0;
    x[i] = static_cast<float>(0.1 * s * env);
  }
  return x;
}

double Energy(const std::vector<float>& x, std::size_t from) {
  double e = 0.0;
  for (std::size_t i = from; i < x.size(); ++i) e += static_cast<double>(x[i]) * x[i];
  return e;
}

struct Setup {
  int rate;
  bool model;
};
class DenoiserSetups : public ::testing::TestWithParam<Setup> {};

TEST_P(DenoiserSetups, RemovesStationaryNoiseAndKeepsAHarmonicSignal) {
  const auto [rate, with_model] = GetParam();
  const auto blob = ShippedModel();
  ASSERT_FALSE(blob.empty());
  DenoiserConfig config{rate, 30.0f, true, {}};
  if (with_model) config.model = blob;
  Denoiser d(config);
  const std::size_t n = static_cast<std::size_t>(rate) * 3;
  const auto noise = WhiteNoise(n, 0.01f, 1);
  const auto y = Stream(d, noise);
  // After one second of noise only, at least 15 dB less energy.
  EXPECT_LT(10.0 * std::log10(Energy(y, n / 3) / Energy(noise, n / 3)), -15.0);

  Denoiser d2(config);
  const auto speech = Vowels(n, rate);
  const auto out = Stream(d2, speech);
  // Clean input passes with its energy kept within 1 dB, delayed by exactly one frame.
  EXPECT_NEAR(10.0 * std::log10(Energy(out, n / 3) / Energy(speech, n / 3)), 0.0, 1.0);
  EXPECT_EQ(d2.DelaySamples(), static_cast<std::size_t>(rate / 100));
}

INSTANTIATE_TEST_SUITE_P(RatesAndMethods, DenoiserSetups,
                         ::testing::Values(Setup{16000, false}, Setup{16000, true}, Setup{48000, false},
                                           Setup{48000, true}));

TEST(Denoiser, ZeroSuppressionIsADelayLine) {
  Denoiser d(DenoiserConfig{16000, 0.0f, true, {}});
  const auto x = WhiteNoise(16000, 0.1f, 2);
  const auto y = Stream(d, x);
  for (std::size_t i = 160; i < x.size(); ++i) ASSERT_NEAR(y[i], x[i - 160], 1e-5f) << i;
}

TEST(Denoiser, NoMusicalNoiseOnStationaryNoise) {
  // Musical noise is random isolated spectral peaks: the residual's per-bin level would
  // fluctuate more than the input's. Compare the spread of log power across bins and frames.
  Denoiser d(DenoiserConfig{16000, 20.0f, true, {}});
  const auto x = WhiteNoise(16000 * 4, 0.02f, 3);
  const auto y = Stream(d, x);
  const auto spread = [](const std::vector<float>& s) {
    Fft fft(320);
    std::vector<float> frame(320);
    std::vector<std::complex<float>> spec(161);
    double sum = 0.0, sum2 = 0.0;
    std::size_t count = 0;
    for (std::size_t i = 16000; i + 320 <= s.size(); i += 160) {
      for (std::size_t j = 0; j < 320; ++j) {
        frame[j] = s[i + j] * static_cast<float>(std::sin(std::numbers::pi * (j + 0.5) / 320.0));
      }
      fft.Forward(frame, spec);
      for (std::size_t k = 4; k < 156; ++k) {
        const double l = 10.0 * std::log10(std::norm(spec[k]) + 1e-20);
        sum += l;
        sum2 += l * l;
        ++count;
      }
    }
    const double mean = sum / count;
    return std::sqrt(sum2 / count - mean * mean);
  };
  EXPECT_LT(spread(y), spread(x) + 1.0);
}

TEST(Denoiser, ProcessesFramesWithoutAllocating) {
  const auto blob = ShippedModel();
  for (int rate : {16000, 48000}) {
    Denoiser d(DenoiserConfig{rate, 20.0f, true, blob});
    const auto x = WhiteNoise(static_cast<std::size_t>(rate), 0.05f, 4);
    std::vector<float> y(x.size());
    std::vector<int16_t> xi(d.FrameSamples(), 100), yi(d.FrameSamples());
    const auto before = cbcs::testing::AllocationCount();
    for (std::size_t i = 0; i + d.FrameSamples() <= x.size(); i += d.FrameSamples()) {
      d.Process(std::span(x).subspan(i, d.FrameSamples()), std::span(y).subspan(i, d.FrameSamples()));
      d.Process(xi, yi);
    }
    EXPECT_EQ(cbcs::testing::AllocationCount(), before) << rate;
  }
}

TEST(Denoiser, WrongFrameSizeIsAStatusNotACrash) {
  Denoiser d(DenoiserConfig{});
  std::vector<float> in(320), out(320);
  EXPECT_EQ(d.Process(in, out), FrameStatus::kWrongSize);
  std::vector<int16_t> in16(159), out16(160);
  EXPECT_EQ(d.Process(in16, out16), FrameStatus::kWrongSize);
}

TEST(Denoiser, RejectsBadSettings) {
  EXPECT_THROW(Denoiser(DenoiserConfig{44100, 20.0f, true, {}}), ConfigError);
  EXPECT_THROW(Denoiser(DenoiserConfig{8000, 20.0f, true, {}}), ConfigError);
  EXPECT_THROW(Denoiser(DenoiserConfig{16000, -1.0f, true, {}}), ConfigError);
  EXPECT_THROW(Denoiser(DenoiserConfig{16000, 90.0f, true, {}}), ConfigError);
  std::vector<std::uint8_t> junk(100, 7);
  EXPECT_THROW(Denoiser(DenoiserConfig{16000, 20.0f, true, junk}), ConfigError);
  auto truncated = ShippedModel();
  truncated.resize(truncated.size() - 4);
  EXPECT_THROW(Denoiser(DenoiserConfig{16000, 20.0f, true, truncated}), ConfigError);
}

TEST(Denoiser, SimdAndPortablePathsAgreeBitForBit) {
  const auto blob = ShippedModel();
  Denoiser a(DenoiserConfig{16000, 25.0f, true, blob});
  Denoiser b(DenoiserConfig{16000, 25.0f, false, blob});
  EXPECT_STREQ(b.KernelName(), "portable");
  auto x = Vowels(16000, 16000);
  const auto noise = WhiteNoise(16000, 0.02f, 5);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] += noise[i];
  EXPECT_EQ(Stream(a, x), Stream(b, x));
}

}  // namespace
}  // namespace cbcs::dsp
