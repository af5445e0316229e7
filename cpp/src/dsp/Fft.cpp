// Mixed-radix self-sorting (Stockham) FFT, wrapped as a real transform of twice the length.
#include "cbcs/dsp/Fft.hpp"

#include <cmath>
#include <numbers>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::dsp {
namespace {

using Complex = std::complex<float>;

Complex Twiddle(std::size_t num, std::size_t den) {
  // exp(-2 pi i num / den), computed in double so every stage starts exact to float.
  const double angle = -2.0 * std::numbers::pi * static_cast<double>(num % den) / static_cast<double>(den);
  return {static_cast<float>(std::cos(angle)), static_cast<float>(std::sin(angle))};
}

// Plain complex product: std::complex's operator* goes through __mulsc3 for C99 NaN rules,
// several times slower, and no value here can be NaN or infinite.
inline Complex Mul(Complex a, Complex b) noexcept {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}

}  // namespace

Fft::Fft(std::size_t size) : size_(size), half_(size / 2) {
  if (size < 4 || size % 2 != 0) {
    throw ConfigError("fft size: expected an even number >= 4, got " + std::to_string(size));
  }
  std::size_t rest = half_;
  std::vector<std::size_t> radices;
  while (rest > 1) {
    if (rest % 4 == 0) {
      radices.push_back(4);
      rest /= 4;
    } else if (rest % 2 == 0) {
      radices.push_back(2);
      rest /= 2;
    } else if (rest % 3 == 0) {
      radices.push_back(3);
      rest /= 3;
    } else if (rest % 5 == 0) {
      radices.push_back(5);
      rest /= 5;
    } else {
      throw ConfigError("fft size: expected size / 2 to be a product of 2, 3 and 5, got " +
                        std::to_string(size));
    }
  }
  std::size_t length = half_;
  std::size_t stride = 1;
  for (std::size_t radix : radices) {
    stages_.push_back({radix, length, stride, twiddles_.size()});
    const std::size_t m = length / radix;
    for (std::size_t j = 0; j < m; ++j) {
      for (std::size_t k = 0; k < radix; ++k) twiddles_.push_back(Twiddle(j * k, length));
    }
    length = m;
    stride *= radix;
  }
  for (std::size_t k = 0; k < 3; ++k) roots3_[k] = Twiddle(k, 3);
  for (std::size_t k = 0; k < 5; ++k) roots5_[k] = Twiddle(k, 5);
  for (std::size_t k = 0; k <= half_; ++k) real_twiddles_.push_back(Twiddle(k, size_));
  work_a_.resize(half_);
  work_b_.resize(half_);
}

void Fft::ComplexForward(Complex** result) noexcept {
  Complex* x = work_a_.data();
  Complex* y = work_b_.data();
  for (const Stage& st : stages_) {
    const std::size_t p = st.radix;
    const std::size_t m = st.length / p;
    const std::size_t s = st.stride;
    const Complex* tw = twiddles_.data() + st.twiddle_offset;
    for (std::size_t j = 0; j < m; ++j) {
      const Complex* w = tw + j * p;
      for (std::size_t q = 0; q < s; ++q) {
        const Complex* in = x + q + s * j;
        Complex* out = y + q + s * p * j;
        if (p == 4) {
          const Complex a0 = in[0], a1 = in[s * m], a2 = in[2 * s * m], a3 = in[3 * s * m];
          const Complex t0 = a0 + a2, t1 = a0 - a2, t2 = a1 + a3, t3 = a1 - a3;
          const Complex t3j(t3.imag(), -t3.real());  // -i * t3
          out[0] = t0 + t2;
          out[s] = Mul(t1 + t3j, w[1]);
          out[2 * s] = Mul(t0 - t2, w[2]);
          out[3 * s] = Mul(t1 - t3j, w[3]);
        } else if (p == 2) {
          const Complex a0 = in[0], a1 = in[s * m];
          out[0] = a0 + a1;
          out[s] = Mul(a0 - a1, w[1]);
        } else {
          // Radix 3 or 5: direct DFT of p points (p^2 small multiplies).
          const Complex* roots = p == 3 ? roots3_ : roots5_;
          Complex a[5];
          for (std::size_t r = 0; r < p; ++r) a[r] = in[r * s * m];
          for (std::size_t k = 0; k < p; ++k) {
            Complex acc = a[0];
            for (std::size_t r = 1; r < p; ++r) acc += Mul(a[r], roots[(r * k) % p]);
            out[k * s] = Mul(acc, w[k]);
          }
        }
      }
    }
    std::swap(x, y);
  }
  *result = x;
}

void Fft::Forward(std::span<const float> in, std::span<Complex> out) noexcept {
  for (std::size_t j = 0; j < half_; ++j) work_a_[j] = Complex(in[2 * j], in[2 * j + 1]);
  Complex* z = nullptr;
  ComplexForward(&z);
  // Split the half-length transform of (even + i * odd) into the spectra of both halves.
  for (std::size_t k = 0; k <= half_; ++k) {
    const Complex zk = z[k % half_];
    const Complex zc = std::conj(z[(half_ - k) % half_]);
    const Complex even = 0.5f * (zk + zc);
    const Complex diff = zk - zc;
    const Complex odd(0.5f * diff.imag(), -0.5f * diff.real());  // (zk - zc) / (2i)
    out[k] = even + Mul(real_twiddles_[k], odd);
  }
}

void Fft::Inverse(std::span<const Complex> in, std::span<float> out) noexcept {
  for (std::size_t k = 0; k < half_; ++k) {
    const Complex xk = in[k];
    const Complex xc = std::conj(in[half_ - k]);
    const Complex even = 0.5f * (xk + xc);
    const Complex odd = Mul(0.5f * (xk - xc), std::conj(real_twiddles_[k]));
    const Complex zk = even + Complex(-odd.imag(), odd.real());  // even + i * odd
    work_a_[k] = std::conj(zk);  // inverse through the forward transform of the conjugate
  }
  Complex* z = nullptr;
  ComplexForward(&z);
  const float scale = 1.0f / static_cast<float>(half_);
  for (std::size_t j = 0; j < half_; ++j) {
    out[2 * j] = z[j].real() * scale;
    out[2 * j + 1] = -z[j].imag() * scale;
  }
}

}  // namespace cbcs::dsp
