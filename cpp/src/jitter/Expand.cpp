// Loss concealment: continue the last pitch period, then fade into background noise.
#include "cbcs/jitter/Expand.hpp"

#include <algorithm>
#include <cmath>

namespace cbcs::jitter {

Expand::Expand(int sample_rate, int max_history)
    : sample_rate_(sample_rate),
      hold_(sample_rate * 3 / 100),
      fade_(sample_rate * 2 / 25),
      min_lag_(sample_rate / 400),
      max_lag_(sample_rate * 3 / 200),
      pitch_(sample_rate, max_history),
      noise_(0x2545F491u),
      period_buf_(static_cast<size_t>(sample_rate * 3 / 200 + 1)),
      noise_tmp_(static_cast<size_t>(sample_rate / 100 * 8)) {}

void Expand::Start(const int16_t* history, int n) noexcept {
  elapsed_ = 0;
  phase_ = 0;
  const int len = sample_rate_ / 100;  // compare the last 10 ms with earlier audio
  int hi = std::min(max_lag_, n - len);
  if (hi < min_lag_ || n < 2 * min_lag_) {
    // Too little history to find a period: noise only.
    period_ = std::max(1, std::min(min_lag_, n));
    voicing_ = 0.0f;
    for (int i = 0; i < period_; ++i) period_buf_[i] = 0.0f;
    noise_.Analyze(history, n);
    noise_gain_ = 1.0f;
    return;
  }
  const LagMatch m = pitch_.Search(history, n, n - len, len, min_lag_, hi, -1);
  period_ = m.lag;
  voicing_ = std::clamp((m.correlation - 0.3f) / 0.6f, 0.0f, 1.0f);
  // Loop buffer = last period; its last quarter cross-fades into the period before, so
  // wrapping from the end back to the start is smooth.
  const int t = period_;
  const int16_t* last = history + n - t;
  const int overlap = std::min(t / 4 + 1, n - 2 * t >= 0 ? t : 0);
  for (int i = 0; i < t; ++i) period_buf_[i] = static_cast<float>(last[i]);
  if (n >= 2 * t) {
    const int16_t* before = history + n - 2 * t;
    for (int i = t - overlap; i < t; ++i) {
      const float w = static_cast<float>(i - (t - overlap) + 1) / static_cast<float>(overlap + 1);
      period_buf_[i] = period_buf_[i] * (1.0f - w) + static_cast<float>(before[i]) * w;
    }
  }
  noise_.Analyze(history + std::max(0, n - 2 * len), std::min(n, 2 * len));
  noise_gain_ = std::sqrt(std::max(0.0f, 1.0f - voicing_ * voicing_));
}

void Expand::GenerateFloat(const float* background, float* out, int count) noexcept {
  int done = 0;
  while (done < count) {
    const int chunk = std::min(count - done, static_cast<int>(noise_tmp_.size()));
    float* nz = noise_tmp_.data();
    std::fill(nz, nz + chunk, 0.0f);
    noise_.Generate(nz, chunk, noise_gain_);
    for (int i = 0; i < chunk; ++i) {
      const int t = elapsed_ + i;
      float amp = 1.0f;
      if (t >= hold_) amp = std::max(0.0f, 1.0f - static_cast<float>(t - hold_) / static_cast<float>(fade_));
      const float periodic = voicing_ * period_buf_[phase_];
      if (++phase_ >= period_) phase_ = 0;
      const float bg = background != nullptr ? background[done + i] : 0.0f;
      out[done + i] = amp * (periodic + nz[i]) + (1.0f - amp) * bg;
    }
    elapsed_ += chunk;
    done += chunk;
  }
}

void Expand::Generate(const float* background, int16_t* out, int count) noexcept {
  // Reuse the tail of noise_tmp_ as float scratch: count is at most one block.
  float tmp[480];
  int done = 0;
  while (done < count) {
    const int chunk = std::min(count - done, 480);
    GenerateFloat(background != nullptr ? background + done : nullptr, tmp, chunk);
    for (int i = 0; i < chunk; ++i) {
      out[done + i] = static_cast<int16_t>(std::lrint(std::clamp(tmp[i], -32768.0f, 32767.0f)));
    }
    done += chunk;
  }
}

}  // namespace cbcs::jitter
