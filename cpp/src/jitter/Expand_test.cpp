#include "cbcs/jitter/Expand.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace cbcs::jitter {
namespace {

TEST(Expand, ContinuesThePitchPeriodThenFadesIntoTheBackground) {
  for (const int rate : {8000, 16000, 48000}) {
    const double freq = 210.0;
    const int hist = rate * 40 / 1000;
    std::vector<int16_t> h(hist);
    for (int i = 0; i < hist; ++i) h[i] = static_cast<int16_t>(8000 * std::sin(2 * M_PI * freq * i / rate));
    Expand e(rate, hist);
    e.Start(h.data(), hist);
    EXPECT_GT(e.Voicing(), 0.9f);
    const int n = rate * 15 / 100;  // 150 ms
    std::vector<float> bg(n, 0.0f);
    std::vector<int16_t> out(n);
    e.Generate(bg.data(), out.data(), n);
    // The first 10 ms are the tone itself, continuing in phase.
    double err = 0;
    for (int i = 0; i < rate / 100; ++i) {
      err = std::max(err, std::abs(out[i] - 8000 * std::sin(2 * M_PI * freq * (hist + i) / rate)));
    }
    EXPECT_LT(err, 800) << rate;
    // After 30 ms of hold and 80 ms of fade only the (here silent) background is left.
    int loud = 0;
    for (int i = rate * 110 / 1000 + 1; i < n; ++i) loud += std::abs(out[i]) > 1;
    EXPECT_EQ(loud, 0) << rate;
    EXPECT_TRUE(e.Faded());
  }
}

TEST(Expand, NoiseHistoryGivesNoiseOfTheSameLevelNotABuzz) {
  const int rate = 16000, hist = 640;
  std::vector<int16_t> h(hist);
  uint32_t s = 5;
  double e_in = 0;
  for (auto& v : h) { s = s * 1664525u + 1013904223u; v = static_cast<int16_t>(static_cast<int>(s >> 20) - 2048); e_in += double(v) * v; }
  Expand e(rate, hist);
  e.Start(h.data(), hist);
  EXPECT_LT(e.Voicing(), 0.3f);
  std::vector<int16_t> out(160);
  e.Generate(nullptr, out.data(), 160);
  double e_out = 0;
  for (auto v : out) e_out += double(v) * v;
  const double ratio = (e_out / 160) / (e_in / hist);
  EXPECT_GT(ratio, 0.4);
  EXPECT_LT(ratio, 2.5);
}

}  // namespace
}  // namespace cbcs::jitter
