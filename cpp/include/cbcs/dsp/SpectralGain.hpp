// Optimally modified log-spectral amplitude (OM-LSA) gains with a decision-directed SNR.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace cbcs::dsp {

struct SpectralGainConfig {
  float floor_db = -20.0f;          // gain applied where speech is absent (suppression depth)
  float dd_alpha = 0.98f;           // decision-directed smoothing of the a-priori SNR
  float xi_min_db = -25.0f;         // lower bound of the a-priori SNR
};

// Gains per bin from the noisy power and the noise PSD. The LSA gain is weighted by a
// speech-presence probability whose a-priori absence comes from the a-priori SNR smoothed
// over time and over a local and a global frequency window (Cohen 2001/2003), so isolated
// bins that flare up in noise get the floor instead of a random gain: that is what keeps
// stationary noise free of musical tones.
class SpectralGain {
 public:
  SpectralGain(std::size_t bins, const SpectralGainConfig& config);

  void Compute(std::span<const float> power, std::span<const float> noise, std::span<float> gain) noexcept;
  void Reset() noexcept;
  void SetFloorDb(float floor_db) noexcept;

  // Speech-presence probability per bin of the last Compute().
  std::span<const float> Presence() const noexcept { return presence_; }
  // A-priori SNR per bin of the last Compute().
  std::span<const float> PrioriSnr() const noexcept { return xi_; }

 private:
  SpectralGainConfig config_;
  float floor_;
  float xi_min_;
  std::vector<float> prev_clean_;   // G_H1^2 |Y|^2 of the previous frame
  std::vector<float> xi_;
  std::vector<float> xi_smooth_;    // recursive average of xi over time
  std::vector<float> local_;        // xi_smooth averaged over 3 bins
  std::vector<float> presence_;
  bool first_ = true;
};

// Exponential integral E1(x) for x > 0 (Abramowitz & Stegun 5.1.53 / 5.1.56).
float ExpIntegralE1(float x) noexcept;

}  // namespace cbcs::dsp
