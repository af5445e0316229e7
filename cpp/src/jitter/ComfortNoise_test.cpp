#include "cbcs/jitter/ComfortNoise.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace cbcs::jitter {
namespace {

TEST(ComfortNoise, TracksTheFloorNotTheSpeechAndReproducesItsLevel) {
  ComfortNoise cn;
  std::vector<int16_t> block(160);
  uint32_t s = 9;
  // Alternate loud "speech" and quiet background (rms ~ 100).
  for (int b = 0; b < 300; ++b) {
    const double amp = (b / 20) % 2 ? 8000 : 100;
    for (int i = 0; i < 160; ++i) {
      s = s * 1664525u + 1013904223u;
      const double u = (static_cast<double>(s >> 8) / 16777216.0 - 0.5) * std::sqrt(12.0);
      block[i] = static_cast<int16_t>(amp * (b % 2 ? std::sin(0.3 * i) * 1.4 : u));
    }
    cn.Observe(block.data(), 160);
  }
  cn.UseBackground();
  std::vector<float> out(16000, 0.0f);
  cn.Generate(out.data(), 16000, 1.0f);
  double e = 0;
  for (float v : out) e += double(v) * v;
  const double rms = std::sqrt(e / out.size());
  EXPECT_GT(rms, 40);
  EXPECT_LT(rms, 250);
}

TEST(ComfortNoise, SilenceInSilenceOut) {
  ComfortNoise cn;
  std::vector<int16_t> zeros(160, 0);
  for (int b = 0; b < 10; ++b) cn.Observe(zeros.data(), 160);
  cn.UseBackground();
  std::vector<float> out(480, 0.0f);
  cn.Generate(out.data(), 480, 1.0f);
  for (float v : out) EXPECT_EQ(v, 0.0f);
}

}  // namespace
}  // namespace cbcs::jitter
