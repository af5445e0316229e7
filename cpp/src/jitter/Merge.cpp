// Joins concealment back onto received audio without a click.
#include "cbcs/jitter/Merge.hpp"

#include <algorithm>
#include <cmath>

namespace cbcs::jitter {
namespace {
int16_t Saturate(float v) {
  return static_cast<int16_t>(std::lrint(std::clamp(v, -32768.0f, 32767.0f)));
}
}  // namespace

Merge::Merge(int sample_rate) : fade_(sample_rate / 200), search_(sample_rate / 100) {}

int Merge::Process(const float* concealment, int conceal_len, const int16_t* x, int available,
                   int n, int16_t* out, bool* tail_concealed) const noexcept {
  *tail_concealed = false;
  const int fade = std::min({fade_, n, available});
  // Offsets that keep the block fed: the received part is n - off samples long.
  if (fade <= 0) {
    for (int k = 0; k < n; ++k) out[k] = Saturate(concealment[std::min(k, conceal_len - 1)]);
    *tail_concealed = true;
    return 0;
  }
  const int max_off = std::max(0, std::min({search_, conceal_len - fade, n - fade}));
  int best = 0;
  float best_score = -2.0f;
  const int step = fade > 120 ? 3 : 1;  // 48 kHz: the fade hides a sample of mismatch
  for (int off = 0; off <= max_off; off += step) {
    float ab = 0.0f, aa = 0.0f, bb = 0.0f;
    for (int k = 0; k < fade; ++k) {
      const float a = concealment[off + k];
      const float b = static_cast<float>(x[k]);
      ab += a * b;
      aa += a * a;
      bb += b * b;
    }
    const float c = (aa > 1.0f && bb > 1.0f) ? ab / std::sqrt(aa * bb) : 0.0f;
    // Later offsets add delay: prefer the earliest offset unless a later one is clearly
    // better in phase.
    const float score = c - 0.3f * static_cast<float>(off) / static_cast<float>(search_ + 1);
    if (score > best_score) {
      best_score = score;
      best = off;
    }
  }
  for (int k = 0; k < best; ++k) out[k] = Saturate(concealment[k]);
  for (int k = 0; k < fade; ++k) {
    const float w = (static_cast<float>(k) + 0.5f) / static_cast<float>(fade);
    out[best + k] = Saturate(concealment[best + k] * (1.0f - w) + static_cast<float>(x[k]) * w);
  }
  const int rest = std::min(n - best - fade, available - fade);
  for (int k = 0; k < rest; ++k) out[best + fade + k] = x[fade + k];
  // If received audio runs out before the block is full (a short tail), keep concealing.
  for (int k = best + fade + rest; k < n; ++k) out[k] = Saturate(concealment[std::min(k, conceal_len - 1)]);
  *tail_concealed = best + fade + rest < n;
  return fade + rest;
}

}  // namespace cbcs::jitter
