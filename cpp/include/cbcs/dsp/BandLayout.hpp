// Triangular frequency bands (0-8 kHz, 22 bands) shared by the gain model's features and gains.
#pragma once

#include <array>
#include <cstddef>
#include <span>

namespace cbcs::dsp {

// Bands are triangles centred on kEdgesHz, in FFT bins of 50 Hz (the denoiser's 20 ms
// window at both 16 and 48 kHz), so one model serves both rates. Energy in a bin is split
// between its two neighbouring band centres; gains are interpolated back the same way.
class BandLayout {
 public:
  static constexpr std::size_t kBands = 22;
  static constexpr std::array<int, kBands> kEdgesHz = {0,    100,  200,  300,  400,  500,  600,  800,
                                                        1000, 1200, 1400, 1700, 2000, 2400, 2800, 3300,
                                                        3900, 4600, 5400, 6300, 7200, 8000};
  static constexpr double kBinHz = 50.0;
  // Bins 0..kTopBin (inclusive) are covered by the bands.
  static constexpr std::size_t kTopBin = 160;

  // band_energy[b] = sum over bins of weight(b, k) * power[k].
  static void BandEnergies(std::span<const float> power, std::span<float> band_energy) noexcept;
  // gain[k] for k <= kTopBin from band gains by linear interpolation between centres.
  static void Interpolate(std::span<const float> band_gain, std::span<float> gain) noexcept;
};

}  // namespace cbcs::dsp
