// Band energies and gain interpolation over the triangular 0-8 kHz band layout.
#include "cbcs/dsp/BandLayout.hpp"

namespace cbcs::dsp {
namespace {

constexpr std::size_t Bin(std::size_t band) {
  return static_cast<std::size_t>(BandLayout::kEdgesHz[band] / 50);
}

}  // namespace

void BandLayout::BandEnergies(std::span<const float> power, std::span<float> band_energy) noexcept {
  for (std::size_t b = 0; b < kBands; ++b) band_energy[b] = 0.0f;
  for (std::size_t b = 0; b + 1 < kBands; ++b) {
    const std::size_t lo = Bin(b), hi = Bin(b + 1);
    const float width = static_cast<float>(hi - lo);
    for (std::size_t k = lo; k < hi; ++k) {
      const float frac = static_cast<float>(k - lo) / width;
      band_energy[b] += (1.0f - frac) * power[k];
      band_energy[b + 1] += frac * power[k];
    }
  }
  band_energy[kBands - 1] += power[kTopBin];
}

void BandLayout::Interpolate(std::span<const float> band_gain, std::span<float> gain) noexcept {
  for (std::size_t b = 0; b + 1 < kBands; ++b) {
    const std::size_t lo = Bin(b), hi = Bin(b + 1);
    const float width = static_cast<float>(hi - lo);
    for (std::size_t k = lo; k < hi; ++k) {
      const float frac = static_cast<float>(k - lo) / width;
      gain[k] = (1.0f - frac) * band_gain[b] + frac * band_gain[b + 1];
    }
  }
  gain[kTopBin] = band_gain[kBands - 1];
}

}  // namespace cbcs::dsp
