// OM-LSA gain rule: LSA gain under speech presence, a floor under absence, mixed in log domain.
#include "cbcs/dsp/SpectralGain.hpp"

#include <algorithm>
#include <cmath>

namespace cbcs::dsp {
namespace {

constexpr float kXiTimeSmoothing = 0.7f;
// A-priori absence is 1 below kXiLow and 0 above kXiHigh, log-linear in between.
constexpr float kXiLow = 0.1f;    // -10 dB
constexpr float kXiHigh = 0.316f; // -5 dB
constexpr std::size_t kGlobalHalfWidth = 15;
constexpr float kMaxAbsence = 0.95f;
constexpr float kMaxPosteriorSnr = 1000.0f;

float DbToPower(float db) { return std::pow(10.0f, db / 10.0f); }

float Membership(float xi) noexcept {
  if (xi <= kXiLow) return 0.0f;
  if (xi >= kXiHigh) return 1.0f;
  return std::log(xi / kXiLow) / std::log(kXiHigh / kXiLow);
}

}  // namespace

float ExpIntegralE1(float x) noexcept {
  if (x < 1.0f) {
    const float series = x * (1.0f + x * (-0.25f + x * (1.0f / 18.0f - x / 96.0f)));
    return -0.5772157f - std::log(std::max(x, 1e-20f)) + series;
  }
  const float num = x * x + 2.334733f * x + 0.250621f;
  const float den = x * x + 3.330657f * x + 1.681534f;
  return std::exp(-x) / x * (num / den);
}

SpectralGain::SpectralGain(std::size_t bins, const SpectralGainConfig& config)
    : config_(config),
      floor_(std::pow(10.0f, config.floor_db / 20.0f)),
      xi_min_(DbToPower(config.xi_min_db)),
      prev_clean_(bins, 0.0f),
      xi_(bins, 0.0f),
      xi_smooth_(bins, 0.0f),
      local_(bins, 0.0f),
      presence_(bins, 0.0f) {}

void SpectralGain::SetFloorDb(float floor_db) noexcept {
  config_.floor_db = floor_db;
  floor_ = std::pow(10.0f, floor_db / 20.0f);
}

void SpectralGain::Reset() noexcept {
  std::fill(prev_clean_.begin(), prev_clean_.end(), 0.0f);
  std::fill(xi_smooth_.begin(), xi_smooth_.end(), 0.0f);
  first_ = true;
}

void SpectralGain::Compute(std::span<const float> power, std::span<const float> noise,
                           std::span<float> gain) noexcept {
  const std::size_t n = xi_.size();
  const float alpha = first_ ? 0.0f : config_.dd_alpha;
  first_ = false;
  for (std::size_t k = 0; k < n; ++k) {
    const float gamma = std::min(power[k] / noise[k], kMaxPosteriorSnr);
    const float ml = std::max(gamma - 1.0f, 0.0f);
    xi_[k] = std::max(xi_min_, alpha * prev_clean_[k] / noise[k] + (1.0f - alpha) * ml);
    xi_smooth_[k] = kXiTimeSmoothing * xi_smooth_[k] + (1.0f - kXiTimeSmoothing) * xi_[k];
  }
  // Local (3 bins, triangular) and global (31 bins, running mean) averages of smoothed xi.
  float global_sum = 0.0f;
  std::size_t lo = 0, hi = 0;  // global window [lo, hi)
  for (std::size_t k = 0; k < n; ++k) {
    const float left = xi_smooth_[k == 0 ? 0 : k - 1];
    const float right = xi_smooth_[k + 1 < n ? k + 1 : k];
    local_[k] = 0.25f * left + 0.5f * xi_smooth_[k] + 0.25f * right;
  }
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t want_hi = std::min(n, k + kGlobalHalfWidth + 1);
    const std::size_t want_lo = k > kGlobalHalfWidth ? k - kGlobalHalfWidth : 0;
    while (hi < want_hi) global_sum += xi_smooth_[hi++];
    while (lo < want_lo) global_sum -= xi_smooth_[lo++];
    const float global = global_sum / static_cast<float>(hi - lo);
    const float q = std::min(kMaxAbsence, 1.0f - Membership(local_[k]) * Membership(global));

    const float gamma = std::min(power[k] / noise[k], kMaxPosteriorSnr);
    const float xi = xi_[k];
    const float ratio = xi / (1.0f + xi);
    const float v = std::max(ratio * gamma, 1e-6f);
    const float g_h1 = std::min(1.0f, ratio * std::exp(0.5f * ExpIntegralE1(v)));
    // P(H1 | Y) = 1 / (1 + q / (1 - q) * (1 + xi) * exp(-v))
    const float odds = q / (1.0f - q) * (1.0f + xi) * std::exp(-std::min(v, 60.0f));
    const float p = 1.0f / (1.0f + odds);
    presence_[k] = p;
    gain[k] = std::pow(g_h1, p) * std::pow(floor_, 1.0f - p);
    prev_clean_[k] = g_h1 * g_h1 * power[k];
  }
}

}  // namespace cbcs::dsp
