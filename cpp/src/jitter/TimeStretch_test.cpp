#include "cbcs/jitter/TimeStretch.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace cbcs::jitter {
namespace {

std::vector<int16_t> Sine(double freq, int rate, int n, double amp = 10000.0) {
  std::vector<int16_t> v(n);
  for (int i = 0; i < n; ++i) v[i] = static_cast<int16_t>(std::lrint(amp * std::sin(2 * M_PI * freq * i / rate)));
  return v;
}

// Mean frequency from upward zero crossings (interpolated), and the largest step between
// neighbouring samples (a click shows up as a step far above the sine's own slope).
struct Tone { double freq; double max_step; };
Tone Measure(const std::vector<int16_t>& x, int rate) {
  std::vector<double> crossings;
  double max_step = 0;
  for (size_t i = 1; i < x.size(); ++i) {
    max_step = std::max(max_step, std::abs(double(x[i]) - x[i - 1]));
    if (x[i - 1] < 0 && x[i] >= 0) crossings.push_back(i - 1 + double(-x[i - 1]) / (x[i] - x[i - 1]));
  }
  const double periods = crossings.size() - 1;
  return {rate * periods / (crossings.back() - crossings.front()), max_step};
}

TEST(TimeStretch, AccelerateAndPreemptiveExpandKeepThePitch) {
  struct Case { int rate; double freq; };
  for (const Case c : {Case{8000, 200}, Case{16000, 137}, Case{16000, 440}, Case{48000, 180}}) {
    const int block = c.rate / 100;
    const auto src = Sine(c.freq, c.rate, c.rate * 4);
    const double slope = 10000.0 * 2 * M_PI * c.freq / c.rate;
    for (const bool accel : {true, false}) {
      TimeStretch ts(c.rate, block, c.rate);
      const int hist = c.rate * 40 / 1000;
      std::vector<int16_t> out;
      std::vector<int16_t> block_out(block);
      int pos = hist;
      int consumed_total = 0;
      int blocks = 0;
      while (pos + block + c.rate * 3 / 200 < static_cast<int>(src.size()) && blocks < 150) {
        const int avail = static_cast<int>(src.size()) - pos;
        const int used = accel ? ts.Accelerate(src.data() + pos - hist, hist, std::min(avail, block * 3), block_out.data(), false, 1 << 20)
                               : ts.PreemptiveExpand(src.data() + pos - hist, hist, std::min(avail, block * 3), block_out.data(), false, 1 << 20);
        ASSERT_GT(used, 0) << "a pure tone is periodic: the stretch must not decline";
        if (accel) ASSERT_GT(used, block); else ASSERT_LT(used, block);
        out.insert(out.end(), block_out.begin(), block_out.end());
        pos += used;
        consumed_total += used;
        ++blocks;
      }
      const Tone t = Measure(out, c.rate);
      EXPECT_NEAR(t.freq, c.freq, c.freq * 0.01) << c.rate << " " << c.freq << " accel=" << accel;
      EXPECT_LT(t.max_step, slope * 1.5 + 50) << "click in the stretched output";
      const double ratio = double(consumed_total) / (blocks * block);
      if (accel) EXPECT_GT(ratio, 1.2); else EXPECT_LT(ratio, 0.85);
    }
  }
}

TEST(TimeStretch, DeclinesLoudAperiodicAudioUnlessForced) {
  const int rate = 16000, block = 160, hist = 640;
  std::vector<int16_t> noise(hist + 480);
  uint32_t s = 1;
  for (auto& v : noise) { s = s * 1664525u + 1013904223u; v = static_cast<int16_t>((s >> 16) - 32768) / 2; }
  TimeStretch ts(rate, block, 2000);
  std::vector<int16_t> out(block);
  EXPECT_EQ(ts.Accelerate(noise.data(), hist, 480, out.data(), false, 1000), 0);
  EXPECT_GT(ts.Accelerate(noise.data(), hist, 480, out.data(), true, 1000), block);
  EXPECT_EQ(ts.PreemptiveExpand(noise.data(), hist, 480, out.data(), false, 1000), 0);
}

TEST(TimeStretch, NeverStretchesMoreThanTheLimit) {
  const int rate = 16000, block = 160, hist = 640;
  const auto src = Sine(160, rate, 4000);  // period 100 samples: 2 periods would be 200
  TimeStretch ts(rate, block, 4000);
  std::vector<int16_t> out(block);
  const int free_choice = ts.Accelerate(src.data(), hist, 1000, out.data(), false, 1000);
  EXPECT_TRUE(free_choice == block + 100 || free_choice == block + 200) << free_choice;
  EXPECT_EQ(ts.Accelerate(src.data(), hist, 1000, out.data(), false, 120), block + 100);
  EXPECT_EQ(ts.Accelerate(src.data(), hist, 1000, out.data(), false, 60), 0)
      << "no period fits in 60 samples: decline rather than overshoot";
}

}  // namespace
}  // namespace cbcs::jitter
