// Periodicity: windowed autocorrelation of an 8 kHz history via its power spectrum.
#include "cbcs/dsp/Periodicity.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::dsp {
namespace {

constexpr int kRate = 8000;  // the cue needs only 0-4 kHz
constexpr std::size_t kHop = 80;
constexpr std::size_t kHistory = 320;     // 40 ms
constexpr std::size_t kShortestLag = 20;  // 2.5 ms: 400 Hz
constexpr std::size_t kLongestLag = 100;  // 12.5 ms: 80 Hz

}  // namespace

Periodicity::Periodicity(int sample_rate, bool allow_simd)
    : to_8k_(sample_rate == 16000 || sample_rate == 48000
                  ? sample_rate
                  : throw ConfigError("sample_rate: expected one of 16000, 48000, got " + std::to_string(sample_rate)),
              kRate, allow_simd),
      hop_8k_(2 * kHop, 0.0f),  // room for a resampler that hands out a sample early
      history_(kHistory, 0.0f),
      window_(kHistory),
      padded_(2 * kHistory, 0.0f),
      fft_(2 * kHistory),
      spectrum_(fft_.Bins()),
      autocorr_(fft_.Size()),
      window_corr_(kLongestLag + 1) {
  double zero = 0.0;
  for (std::size_t i = 0; i < kHistory; ++i) {
    window_[i] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * (static_cast<double>(i) + 0.5) / kHistory));
    zero += static_cast<double>(window_[i]) * window_[i];
  }
  for (std::size_t l = 0; l <= kLongestLag; ++l) {
    double sum = 0.0;
    for (std::size_t n = 0; n + l < kHistory; ++n) sum += static_cast<double>(window_[n]) * window_[n + l];
    window_corr_[l] = static_cast<float>(sum / zero);
  }
}

void Periodicity::Reset() noexcept {
  to_8k_.Reset();
  std::fill(history_.begin(), history_.end(), 0.0f);
}

float Periodicity::Push(std::span<const float> hop) noexcept {
  const std::size_t n = std::min(to_8k_.Process(hop, hop_8k_), kHop);
  std::copy(history_.begin() + static_cast<std::ptrdiff_t>(n), history_.end(), history_.begin());
  std::copy_n(hop_8k_.begin(), n, history_.end() - static_cast<std::ptrdiff_t>(n));

  for (std::size_t i = 0; i < kHistory; ++i) padded_[i] = history_[i] * window_[i];
  fft_.Forward(padded_, spectrum_);
  spectrum_[0] = 0.0f;  // no DC
  for (std::size_t k = 1; k < spectrum_.size(); ++k) spectrum_[k] = std::norm(spectrum_[k]);
  fft_.Inverse(spectrum_, autocorr_);

  const float energy = autocorr_[0];
  if (!(energy > 1e-12f)) return 0.0f;
  float best = 0.0f;
  for (std::size_t l = kShortestLag; l <= kLongestLag; ++l) best = std::max(best, autocorr_[l] / (energy * window_corr_[l]));
  return std::min(best, 1.0f);
}

}  // namespace cbcs::dsp
