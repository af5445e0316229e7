// Small, fast, seedable random source whose output is identical on every platform.
#pragma once

#include <cmath>
#include <cstdint>

namespace cbcs {

// xoshiro256** seeded through splitmix64. std:: distributions are implementation-defined,
// so traces would differ between standard libraries; these are not.
class Random {
 public:
  explicit Random(uint64_t seed) noexcept {
    for (auto& s : state_) s = SplitMix(seed);
  }

  uint64_t Next() noexcept {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1).
  double Uniform() noexcept { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // Uniform in (0, 1]: safe for log() and division.
  double UniformOpenLow() noexcept { return 1.0 - Uniform(); }

  bool Bernoulli(double p) noexcept { return Uniform() < p; }

  // Standard normal by Box-Muller; the second value is kept for the next call.
  double Gaussian() noexcept {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double r = std::sqrt(-2.0 * std::log(UniformOpenLow()));
    const double phi = 2.0 * 3.14159265358979323846 * Uniform();
    spare_ = r * std::sin(phi);
    has_spare_ = true;
    return r * std::cos(phi);
  }

  // Lomax (Pareto type II) with shape alpha > 1 and the given mean: heavy-tailed, support [0, inf).
  double Lomax(double mean, double alpha) noexcept {
    const double scale = mean * (alpha - 1.0);
    return scale * (std::pow(UniformOpenLow(), -1.0 / alpha) - 1.0);
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix(uint64_t& x) noexcept {
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  uint64_t state_[4];
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace cbcs
