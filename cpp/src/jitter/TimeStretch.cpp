// Accelerate and preemptive expand: change duration by whole pitch periods, not the pitch.
#include "cbcs/jitter/TimeStretch.hpp"

#include <algorithm>
#include <cmath>

namespace cbcs::jitter {

TimeStretch::TimeStretch(int sample_rate, int block_samples, int max_signal)
    : block_(block_samples),
      min_lag_(sample_rate / 400),      // 2.5 ms
      max_lag_(sample_rate * 3 / 200),  // 15 ms
      pitch_(sample_rate, max_signal) {}

void TimeStretch::CrossFade(const int16_t* a, const int16_t* b, int16_t* out) const noexcept {
  const float step = 1.0f / static_cast<float>(block_);
  for (int k = 0; k < block_; ++k) {
    const float w = (static_cast<float>(k) + 0.5f) * step;
    const float v = static_cast<float>(a[k]) * (1.0f - w) + static_cast<float>(b[k]) * w;
    out[k] = static_cast<int16_t>(std::lrint(std::clamp(v, -32768.0f, 32767.0f)));
  }
}

int TimeStretch::Accelerate(const int16_t* x, int history, int available, int16_t* out,
                            bool force, int limit) noexcept {
  const int hi = std::min({max_lag_, available - block_, limit});
  if (hi < min_lag_) return 0;
  const LagMatch m = pitch_.Search(x, history + available, history, block_, min_lag_, hi, +1);
  if (!force && m.correlation < kMinCorrelation && m.energy > kQuietEnergy) return 0;
  const int16_t* src = x + history;
  CrossFade(src, src + m.lag, out);
  return block_ + m.lag;
}

int TimeStretch::PreemptiveExpand(const int16_t* x, int history, int available, int16_t* out,
                                  bool force, int limit) noexcept {
  const int hi = std::min({max_lag_, block_ * 9 / 10, history, limit});
  if (hi < min_lag_ || available < block_) return 0;
  const LagMatch m = pitch_.Search(x, history + block_, history, block_, min_lag_, hi, -1);
  if (!force && m.correlation < kMinCorrelation && m.energy > kQuietEnergy) return 0;
  const int16_t* src = x + history;
  CrossFade(src, src - m.lag, out);
  return block_ - m.lag;
}

}  // namespace cbcs::jitter
