// Finds the lag (pitch period) at which a stretch of audio best matches itself.
#pragma once

#include <cstdint>
#include <vector>

namespace cbcs::jitter {

struct LagMatch {
  int lag = 0;
  float correlation = 0.0f;  // normalized, -1..1
  float energy = 0.0f;       // mean square of the reference segment (int16 units^2)
};

// Normalized cross-correlation search, coarse on a ~4 kHz decimated copy and refined at
// the full rate, so a search costs a few thousand multiply-adds at any sample rate.
class PitchEstimator {
 public:
  // max_samples: the longest signal Search() is given.
  PitchEstimator(int sample_rate, int max_samples);

  // Compares x[ref, ref + len) with x[ref + dir * lag, ref + dir * lag + len) for lags in
  // [min_lag, max_lag]; dir is +1 (look ahead) or -1 (look back). The caller guarantees
  // every index touched lies in [0, n).
  LagMatch Search(const int16_t* x, int n, int ref, int len, int min_lag, int max_lag,
                  int dir) noexcept;

  int Decimation() const noexcept { return decimation_; }

 private:
  static float Correlate(const float* a, const float* b, int len, float* energy_a) noexcept;
  int decimation_;
  std::vector<float> coarse_;
  std::vector<float> fine_;
};

}  // namespace cbcs::jitter
