// Tests of the real FFT against a direct DFT, at every size the denoiser uses.
#include "cbcs/dsp/Fft.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "AllocationCounter.hpp"
#include "cbcs/common/ConfigError.hpp"

namespace cbcs::dsp {
namespace {

class FftSizes : public ::testing::TestWithParam<std::size_t> {};

TEST_P(FftSizes, MatchesDirectDftAndInvertsExactly) {
  const std::size_t n = GetParam();
  Fft fft(n);
  std::mt19937 rng(7);
  std::normal_distribution<float> dist;
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  std::vector<std::complex<float>> spectrum(fft.Bins());
  fft.Forward(x, spectrum);
  double max_err = 0.0;
  for (std::size_t k = 0; k < fft.Bins(); ++k) {
    std::complex<double> ref = 0.0;
    for (std::size_t j = 0; j < n; ++j) {
      const double ang = -2.0 * std::numbers::pi * static_cast<double>((j * k) % n) / static_cast<double>(n);
      ref += static_cast<double>(x[j]) * std::complex<double>(std::cos(ang), std::sin(ang));
    }
    max_err = std::max(max_err, std::abs(ref - std::complex<double>(spectrum[k])));
  }
  EXPECT_LT(max_err, 1e-4 * std::sqrt(static_cast<double>(n)));
  std::vector<float> back(n);
  fft.Inverse(spectrum, back);
  for (std::size_t j = 0; j < n; ++j) EXPECT_NEAR(back[j], x[j], 1e-5f) << j;
}

INSTANTIATE_TEST_SUITE_P(Sizes, FftSizes, ::testing::Values(4, 6, 10, 16, 160, 320, 480, 960));

TEST(Fft, TransformsWithoutAllocating) {
  Fft fft(960);
  std::vector<float> x(960, 0.25f), y(960);
  std::vector<std::complex<float>> spectrum(fft.Bins());
  const auto before = cbcs::testing::AllocationCount();
  fft.Forward(x, spectrum);
  fft.Inverse(spectrum, y);
  EXPECT_EQ(cbcs::testing::AllocationCount(), before);
}

TEST(Fft, RejectsSizesItCannotPlan) {
  EXPECT_THROW(Fft(7), ConfigError);
  EXPECT_THROW(Fft(2 * 7 * 16), ConfigError);
}

}  // namespace
}  // namespace cbcs::dsp
