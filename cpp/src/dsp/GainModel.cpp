// Inference of the denoiser's gain network: normalise, dense+tanh, GRU, dense+sigmoid.
#include "cbcs/dsp/GainModel.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::dsp {
namespace {

constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kMaxDim = 1024;

std::size_t Pad8(std::size_t n) { return (n + 7) / 8 * 8; }

class BlobReader {
 public:
  explicit BlobReader(std::span<const std::uint8_t> blob) : blob_(blob) {}
  std::uint32_t U32() {
    std::uint32_t v = 0;
    Take(&v, 4);
    return v;
  }
  // rows x cols floats into a row-padded matrix.
  std::vector<float> Matrix(std::size_t rows, std::size_t cols, std::size_t cols_pad) {
    std::vector<float> m(rows * cols_pad, 0.0f);
    for (std::size_t r = 0; r < rows; ++r) Take(m.data() + r * cols_pad, cols * 4);
    return m;
  }
  std::vector<float> Vector(std::size_t n) { return Matrix(1, n, n); }
  void Finish() const {
    if (pos_ != blob_.size()) {
      throw ConfigError("gain model: expected " + std::to_string(pos_) + " bytes, got " + std::to_string(blob_.size()));
    }
  }

 private:
  void Take(void* dst, std::size_t n) {
    if (pos_ + n > blob_.size()) {
      throw ConfigError("gain model: expected more than " + std::to_string(blob_.size()) + " bytes (truncated)");
    }
    std::memcpy(dst, blob_.data() + pos_, n);
    pos_ += n;
  }
  std::span<const std::uint8_t> blob_;
  std::size_t pos_ = 0;
};

inline float Sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

}  // namespace

GainModel::GainModel(std::span<const std::uint8_t> blob, const Kernels& kernels) : kernels_(&kernels) {
  BlobReader r(blob);
  const std::uint32_t magic = r.U32();
  if (magic != 0x4D474243u) {  // "CBGM"
    throw ConfigError("gain model: expected magic CBGM, got a different file");
  }
  const std::uint32_t version = r.U32();
  if (version != kVersion) {
    throw ConfigError("gain model: expected version 1, got " + std::to_string(version));
  }
  inputs_ = r.U32();
  dense_ = r.U32();
  hidden_ = r.U32();
  outputs_ = r.U32();
  for (std::size_t d : {inputs_, dense_, hidden_, outputs_}) {
    if (d == 0 || d > kMaxDim) throw ConfigError("gain model: expected layer sizes in 1..1024, got " + std::to_string(d));
  }
  // Check the length before allocating anything sized by the header.
  const std::size_t floats = 2 * inputs_ + dense_ * inputs_ + dense_ + 3 * hidden_ * dense_ +
                             3 * hidden_ * hidden_ + 6 * hidden_ + outputs_ * hidden_ + outputs_;
  if (blob.size() != 24 + 4 * floats) {
    throw ConfigError("gain model: expected " + std::to_string(24 + 4 * floats) + " bytes for its layer sizes, got " +
                      std::to_string(blob.size()));
  }
  inputs_pad_ = Pad8(inputs_);
  dense_pad_ = Pad8(dense_);
  hidden_pad_ = Pad8(hidden_);
  mean_ = r.Vector(inputs_);
  scale_ = r.Vector(inputs_);
  dense_w_ = r.Matrix(dense_, inputs_, inputs_pad_);
  dense_b_ = r.Vector(dense_);
  w_ih_ = r.Matrix(3 * hidden_, dense_, dense_pad_);
  w_hh_ = r.Matrix(3 * hidden_, hidden_, hidden_pad_);
  b_ih_ = r.Vector(3 * hidden_);
  b_hh_ = r.Vector(3 * hidden_);
  out_w_ = r.Matrix(outputs_, hidden_, hidden_pad_);
  out_b_ = r.Vector(outputs_);
  r.Finish();
  x_.assign(inputs_pad_, 0.0f);
  d_.assign(dense_pad_, 0.0f);
  h_.assign(hidden_pad_, 0.0f);
  h_new_.assign(hidden_pad_, 0.0f);
}

void GainModel::Reset() noexcept { std::fill(h_.begin(), h_.end(), 0.0f); }

void GainModel::Run(std::span<const float> features, std::span<float> out) noexcept {
  for (std::size_t i = 0; i < inputs_; ++i) x_[i] = (features[i] - mean_[i]) * scale_[i];
  for (std::size_t j = 0; j < dense_; ++j) {
    d_[j] = std::tanh(dense_b_[j] + kernels_->dot(dense_w_.data() + j * inputs_pad_, x_.data(), inputs_pad_));
  }
  const std::size_t hs = hidden_;
  for (std::size_t j = 0; j < hs; ++j) {
    const auto ih = [&](std::size_t row) {
      return b_ih_[row] + kernels_->dot(w_ih_.data() + row * dense_pad_, d_.data(), dense_pad_);
    };
    const auto hh = [&](std::size_t row) {
      return b_hh_[row] + kernels_->dot(w_hh_.data() + row * hidden_pad_, h_.data(), hidden_pad_);
    };
    const float r = Sigmoid(ih(j) + hh(j));
    const float z = Sigmoid(ih(hs + j) + hh(hs + j));
    const float n = std::tanh(ih(2 * hs + j) + r * hh(2 * hs + j));
    h_new_[j] = (1.0f - z) * n + z * h_[j];
  }
  std::swap(h_, h_new_);
  for (std::size_t o = 0; o < outputs_; ++o) {
    out[o] = Sigmoid(out_b_[o] + kernels_->dot(out_w_.data() + o * hidden_pad_, h_.data(), hidden_pad_));
  }
}

}  // namespace cbcs::dsp
