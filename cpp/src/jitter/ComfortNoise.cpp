// Background-noise model: tracks the noise floor and its spectral shape, and synthesises it.
#include "cbcs/jitter/ComfortNoise.hpp"

#include <algorithm>
#include <cmath>

namespace cbcs::jitter {
namespace {

void Autocorrelation(const int16_t* x, int n, std::array<double, ComfortNoise::kOrder + 1>& r) {
  // int16 products summed in int64 are exact and vectorise well.
  for (int lag = 0; lag <= ComfortNoise::kOrder; ++lag) {
    int64_t s = 0;
    for (int i = lag; i < n; ++i) s += static_cast<int32_t>(x[i]) * x[i - lag];
    r[lag] = static_cast<double>(s) / n;
  }
}

}  // namespace

void ComfortNoise::Fit(const std::array<double, kOrder + 1>& r_in) noexcept {
  // Levinson-Durbin with a little white-noise correction and lag window, so near-silent
  // or tonal input still gives a stable, smooth filter.
  std::array<double, kOrder + 1> r = r_in;
  if (r[0] <= 1e-9) {
    lpc_.fill(0.0f);
    excitation_rms_ = 0.0f;
    level_ = 0.0f;
    return;
  }
  r[0] *= 1.0001;
  for (int i = 1; i <= kOrder; ++i) r[i] *= std::exp(-0.5 * (0.01 * i) * (0.01 * i) * 40.0);
  std::array<double, kOrder + 1> a{};
  std::array<double, kOrder + 1> tmp{};
  a[0] = 1.0;
  double err = r[0];
  for (int i = 1; i <= kOrder; ++i) {
    double acc = r[i];
    for (int j = 1; j < i; ++j) acc += a[j] * r[i - j];
    const double k = -acc / err;
    tmp = a;
    for (int j = 1; j < i; ++j) a[j] = tmp[j] + k * tmp[i - j];
    a[i] = k;
    err *= (1.0 - k * k);
    if (err <= r[0] * 1e-6) {
      err = r[0] * 1e-6;
      break;
    }
  }
  for (int i = 0; i < kOrder; ++i) lpc_[i] = static_cast<float>(a[i + 1]);
  excitation_rms_ = static_cast<float>(std::sqrt(err));
  level_ = static_cast<float>(r_in[0]);
}

void ComfortNoise::Analyze(const int16_t* x, int n) noexcept {
  if (n <= kOrder) return;
  std::array<double, kOrder + 1> r{};
  Autocorrelation(x, n, r);
  Fit(r);
}

void ComfortNoise::Observe(const int16_t* x, int n) noexcept {
  if (n <= kOrder) return;
  double e = 0.0;
  for (int i = 0; i < n; ++i) e += static_cast<double>(x[i]) * x[i];
  Observe(x, n, e / n);
}

void ComfortNoise::Observe(const int16_t* x, int n, double e) noexcept {
  if (n <= kOrder) return;
  // Minimum statistics: follow drops at once, rise slowly (about 3 dB per second at
  // 10 ms blocks) so speech does not lift the floor but a louder room eventually does.
  if (floor_ < 0 || e < floor_) {
    floor_ = e;
  } else {
    floor_ = std::min(e, floor_ * 1.007 + 1e-3);
  }
  // The shape changes slowly: refit from one floor block in sixteen (keeps the per-block
  // cost of playout low even when everything is background noise).
  if (e <= floor_ * 2.0 && (++floor_blocks_ & 15) == 1) {
    std::array<double, kOrder + 1> r{};
    Autocorrelation(x, n, r);
    const bool first = bg_r_[0] <= 0.0;
    for (int i = 0; i <= kOrder; ++i) bg_r_[i] = first ? r[i] : 0.8 * bg_r_[i] + 0.2 * r[i];
  }
}

void ComfortNoise::UseBackground() noexcept {
  if (bg_r_[0] <= 0.0 || floor_ <= 0.0) {
    std::array<double, kOrder + 1> r{};
    r[0] = std::max(floor_, 0.0);
    Fit(r);
    return;
  }
  // Shape from the floor blocks, level from the tracked floor itself.
  std::array<double, kOrder + 1> r = bg_r_;
  const double scale = floor_ / bg_r_[0];
  for (double& v : r) v *= scale;
  Fit(r);
}

float ComfortNoise::NextGaussian() noexcept {
  // Sum of uniforms (Irwin-Hall, 4 terms): cheap, smooth enough for noise.
  float s = 0.0f;
  for (int i = 0; i < 4; ++i) {
    rng_ = rng_ * 1664525u + 1013904223u;
    s += static_cast<float>(rng_ >> 8) * (1.0f / 16777216.0f);
  }
  return (s - 2.0f) * 1.7320508f;  // variance 4/12 -> 1
}

void ComfortNoise::Generate(float* out, int n, float gain) noexcept {
  const float g = gain * excitation_rms_;
  for (int i = 0; i < n; ++i) {
    float y = g * NextGaussian();
    for (int j = 0; j < kOrder; ++j) y -= lpc_[j] * state_[j];
    for (int j = kOrder - 1; j > 0; --j) state_[j] = state_[j - 1];
    state_[0] = std::clamp(y, -65536.0f, 65536.0f);
    out[i] += y;
  }
}

}  // namespace cbcs::jitter
