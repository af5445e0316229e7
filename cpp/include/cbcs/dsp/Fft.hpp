// Real FFT of one fixed even length (mixed radix 2/3/4/5), planned once, no allocation per call.
#pragma once

#include <complex>
#include <cstddef>
#include <span>
#include <vector>

namespace cbcs::dsp {

class Fft {
 public:
  // size: even, and size / 2 a product of 2, 3 and 5 (e.g. 320 at 16 kHz, 960 at 48 kHz).
  // Throws ConfigError otherwise.
  explicit Fft(std::size_t size);

  std::size_t Size() const noexcept { return size_; }
  std::size_t Bins() const noexcept { return size_ / 2 + 1; }

  // in: Size() real samples; out: Bins() complex values (unnormalised DFT).
  void Forward(std::span<const float> in, std::span<std::complex<float>> out) noexcept;
  // in: Bins() complex values; out: Size() samples, scaled by 1 / Size() so that
  // Inverse(Forward(x)) == x.
  void Inverse(std::span<const std::complex<float>> in, std::span<float> out) noexcept;

 private:
  struct Stage {
    std::size_t radix;
    std::size_t length;  // length of the sub-transforms entering this stage
    std::size_t stride;
    std::size_t twiddle_offset;
  };
  // Complex FFT of half_ points in work_a_; the result ends in *result.
  void ComplexForward(std::complex<float>** result) noexcept;

  std::size_t size_;
  std::size_t half_;
  std::vector<Stage> stages_;
  std::vector<std::complex<float>> twiddles_;  // per stage: W_length^(j*k)
  std::vector<std::complex<float>> real_twiddles_;  // W_size^k for the real split
  std::complex<float> roots3_[3];
  std::complex<float> roots5_[5];
  std::vector<std::complex<float>> work_a_;
  std::vector<std::complex<float>> work_b_;
};

}  // namespace cbcs::dsp
