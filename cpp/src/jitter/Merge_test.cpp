#include "cbcs/jitter/Merge.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace cbcs::jitter {
namespace {

TEST(Merge, MeetsTheReceivedAudioInPhaseWithoutAClick) {
  const int rate = 16000, n = 160;
  Merge m(rate);
  // Concealment continues a 200 Hz tone; the received audio is the same tone, 90 degrees
  // out of phase. A plain cross-fade would partly cancel; Merge plays on until in phase.
  std::vector<float> conc(n + m.SearchSamples());
  for (size_t i = 0; i < conc.size(); ++i) conc[i] = 8000.0f * std::sin(2 * M_PI * 200 * i / rate);
  std::vector<int16_t> x(n);
  for (int i = 0; i < n; ++i) x[i] = static_cast<int16_t>(8000 * std::sin(2 * M_PI * 200 * i / rate + M_PI / 2));
  std::vector<int16_t> out(n);
  bool tail = true;
  const int used = m.Process(conc.data(), static_cast<int>(conc.size()), x.data(), n, n, out.data(), &tail);
  EXPECT_FALSE(tail);
  EXPECT_LT(used, n);
  EXPECT_GE(used, n - m.SearchSamples());
  double max_step = 0, min_peak = 1e9;
  for (int i = 1; i < n; ++i) max_step = std::max(max_step, std::abs(double(out[i]) - out[i - 1]));
  for (int i = 0; i + 80 <= n; i += 10) {
    double peak = 0;
    for (int k = i; k < i + 80; ++k) peak = std::max(peak, std::abs(double(out[k])));
    min_peak = std::min(min_peak, peak);
  }
  EXPECT_LT(max_step, 8000 * 2 * M_PI * 200 / rate * 1.5);
  EXPECT_GT(min_peak, 6000) << "cancellation in the fade";
  // After the fade the block is the received audio itself.
  for (int k = n - used + m.FadeSamples(); k < n; ++k) EXPECT_EQ(out[k], x[k - (n - used)]);
}

TEST(Merge, ShortReceivedAudioEndsInConcealment) {
  Merge m(16000);
  std::vector<float> conc(320, 100.0f);
  std::vector<int16_t> x(100, 100), out(160);
  bool tail = false;
  const int used = m.Process(conc.data(), 320, x.data(), 100, 160, out.data(), &tail);
  EXPECT_EQ(used, 100);
  EXPECT_TRUE(tail);
}

}  // namespace
}  // namespace cbcs::jitter
