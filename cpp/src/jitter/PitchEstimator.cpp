// Finds the lag (pitch period) at which a stretch of audio best matches itself.
#include "cbcs/jitter/PitchEstimator.hpp"

#include <algorithm>
#include <cmath>

namespace cbcs::jitter {

PitchEstimator::PitchEstimator(int sample_rate, int max_samples)
    : decimation_(std::max(1, sample_rate / 4000)),
      coarse_(static_cast<size_t>(max_samples / std::max(1, sample_rate / 4000) + 2)),
      fine_(static_cast<size_t>(max_samples) + 1) {}

float PitchEstimator::Correlate(const float* a, const float* b, int len,
                                float* energy_a) noexcept {
  float ab = 0.0f, aa = 0.0f, bb = 0.0f;
  for (int i = 0; i < len; ++i) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  if (energy_a != nullptr) *energy_a = aa;
  const float denom = std::sqrt(aa * bb);
  return denom > 1e-3f ? ab / denom : 0.0f;
}

LagMatch PitchEstimator::Search(const int16_t* x, int n, int ref, int len, int min_lag,
                                int max_lag, int dir) noexcept {
  LagMatch best;
  if (len <= 0 || min_lag <= 0 || max_lag < min_lag || n <= 0) return best;
  const int d = decimation_;
  for (int i = 0; i < n; ++i) fine_[i] = static_cast<float>(x[i]);

  int coarse_lag = min_lag;
  if (d > 1 && len / d >= 8 && max_lag - min_lag > 2 * d) {
    // Box-filter decimation: a crude low-pass that is enough to find the period.
    const int m = n / d;
    const float inv = 1.0f / static_cast<float>(d);
    for (int i = 0; i < m; ++i) {
      float s = 0.0f;
      for (int j = 0; j < d; ++j) s += fine_[i * d + j];
      coarse_[i] = s * inv;
    }
    const int cref = (ref + d - 1) / d;
    const int clen = len / d - 1;
    float best_c = -2.0f;
    for (int lag = (min_lag + d - 1) / d; lag <= max_lag / d; ++lag) {
      const int other = cref + dir * lag;
      if (other < 0 || other + clen > m || cref + clen > m) continue;
      const float c = Correlate(coarse_.data() + cref, coarse_.data() + other, clen, nullptr);
      if (c > best_c) {
        best_c = c;
        coarse_lag = lag * d;
      }
    }
  } else {
    coarse_lag = -1;
  }

  const int lo = coarse_lag < 0 ? min_lag : std::max(min_lag, coarse_lag - d);
  const int hi = coarse_lag < 0 ? max_lag : std::min(max_lag, coarse_lag + d);
  float best_c = -2.0f;
  for (int lag = lo; lag <= hi; ++lag) {
    const int other = ref + dir * lag;
    if (other < 0 || other + len > n || ref + len > n || ref < 0) continue;
    float energy = 0.0f;
    const float c = Correlate(fine_.data() + ref, fine_.data() + other, len, &energy);
    if (c > best_c) {
      best_c = c;
      best.lag = lag;
      best.correlation = c;
      best.energy = energy / static_cast<float>(len);
    }
  }
  if (best.lag == 0) best.lag = min_lag;
  return best;
}

}  // namespace cbcs::jitter
