// Tests of the Vad: speech-like bursts are detected, noise is not, decisions are held.
#include "cbcs/dsp/Vad.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <deque>
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

TEST(Vad, SeparatesHarmonicBurstsFromStationaryNoise) {
  const auto model = ShippedModel();
  Vad vad(VadConfig{16000, 0.5f, 8, true, model});
  std::mt19937 rng(2);
  std::normal_distribution<float> noise(0.0f, 0.003f);
  std::vector<float> frame(160);
  double on_sum = 0.0, off_sum = 0.0;
  int on_n = 0, off_n = 0;
  double phase = 0.0;
  for (int f = 0; f < 600; ++f) {
    const bool on = f >= 100 && (f / 50) % 2 == 0;
    for (float& v : frame) {
      phase += 2.0 * std::numbers::pi * 150.0 / 16000.0;
      double s = 0.0;
      for (int h = 1; h <= 15; ++h) s += std::sin(h * phase) / h;
      v = noise(rng) + (on ? static_cast<float>(0.05 * s) : 0.0f);
    }
    const float p = vad.Process(std::span<const float>(frame));
    ASSERT_GE(p, 0.0f);
    if (f >= 100 && f % 50 >= 10) {
      (on ? on_sum : off_sum) += p;
      (on ? on_n : off_n) += 1;
    }
  }
  EXPECT_GT(on_sum / on_n, 0.7);
  EXPECT_LT(off_sum / off_n, 0.3);
}

TEST(Vad, HoldsADecisionForTheHangover) {
  // IsSpeech() is true exactly when one of the last hangover + 1 probabilities reached the
  // threshold.
  const std::size_t hangover = 3;
  Vad vad(VadConfig{16000, 0.5f, hangover, true, ShippedModel()});
  std::mt19937 rng(4);
  std::normal_distribution<float> noise(0.0f, 0.002f);
  std::vector<float> frame(160);
  std::deque<bool> recent;
  int transitions = 0;
  bool last = false;
  for (int f = 0; f < 400; ++f) {
    const bool on = (f / 30) % 2 == 1;
    for (std::size_t i = 0; i < 160; ++i) {
      frame[i] = noise(rng) + (on ? 0.2f * static_cast<float>(std::sin(0.12 * static_cast<double>(f * 160 + i))) : 0.0f);
    }
    const float p = vad.Process(std::span<const float>(frame));
    recent.push_back(p >= 0.5f);
    if (recent.size() > hangover + 1) recent.pop_front();
    const bool expected = std::find(recent.begin(), recent.end(), true) != recent.end();
    ASSERT_EQ(vad.IsSpeech(), expected) << f;
    transitions += vad.IsSpeech() != last ? 1 : 0;
    last = vad.IsSpeech();
  }
  EXPECT_GT(transitions, 0);
}

TEST(Vad, RejectsBadSettingsAndWrongFrames) {
  EXPECT_THROW(Vad(VadConfig{16000, 1.5f}), ConfigError);
  EXPECT_THROW(Vad(VadConfig{22050}), ConfigError);
  Vad vad(VadConfig{});
  std::vector<float> bad(100);
  EXPECT_EQ(vad.Process(std::span<const float>(bad)), -1.0f);
  std::vector<int16_t> ok(160, 10);
  const auto before = cbcs::testing::AllocationCount();
  for (int i = 0; i < 50; ++i) vad.Process(std::span<const int16_t>(ok));
  EXPECT_EQ(cbcs::testing::AllocationCount(), before);
}

}  // namespace
}  // namespace cbcs::dsp
