// Denoiser: STFT analysis, noise tracking, OM-LSA gains, overlap-add synthesis.
#include "cbcs/dsp/Denoiser.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::dsp {
namespace {

float ClampSuppression(float db) noexcept { return std::clamp(db, 0.0f, 60.0f); }

// The clean-input guard: from kGuardFromDb of speech over the tracked noise it fades in,
// fully on at kGuardFullDb, where no bin is cut by more than kGuardMaxCutDb. Noise that far
// down is inaudible, while the model's and the statistical rule's small errors on speech
// are what a listener would notice. Speech in audible noise never reaches it.
constexpr float kGuardFromDb = 30.0f;
constexpr float kGuardFullDb = 40.0f;
constexpr float kGuardMaxCutDb = 3.0f;
const float kGuardLeastGain = std::pow(10.0f, -kGuardMaxCutDb / 20.0f);
constexpr float kSpeechSmoothing = 0.02f;  // per speech frame: ~0.5 s of speech

}  // namespace

Denoiser::Denoiser(const DenoiserConfig& config)
    : config_(config),
      hop_(static_cast<std::size_t>(config.sample_rate / 100)),
      size_(2 * hop_),
      bins_(hop_ + 1),
      kernels_(&Kernels::Select(config.allow_simd)),
      fft_(config.sample_rate == 16000 || config.sample_rate == 48000
               ? size_
               : throw ConfigError("sample_rate: expected one of 16000, 48000, got " +
                                   std::to_string(config.sample_rate))),
      noise_(bins_),
      gain_rule_(bins_, SpectralGainConfig{}) {
  if (!(config.suppression_db >= 0.0f && config.suppression_db <= 60.0f)) {
    throw ConfigError("suppression_db: expected a value in 0..60, got " + std::to_string(config.suppression_db));
  }
  SetSuppressionDb(config.suppression_db);
  if (!config.model.empty()) {
    model_ = std::make_unique<GainModel>(config.model, *kernels_);
    if (model_->Inputs() != kFeatures || model_->Outputs() != kModelOutputs) {
      throw ConfigError("model: expected " + std::to_string(kFeatures) + " inputs and " +
                        std::to_string(kModelOutputs) + " outputs, got " + std::to_string(model_->Inputs()) +
                        " and " + std::to_string(model_->Outputs()));
    }
  }
  config_.model = {};  // the blob is parsed; do not keep a view of the caller's memory
  band_energy_.assign(BandLayout::kBands, 0.0f);
  features_.assign(kFeatures, 0.0f);
  model_out_.assign(kModelOutputs, 0.0f);
  model_gain_.assign(bins_, 1.0f);
  // Periodic sqrt-Hann: its square sums to exactly one at 50 % overlap.
  window_.resize(size_);
  for (std::size_t i = 0; i < size_; ++i) {
    const double w = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(size_));
    window_[i] = static_cast<float>(std::sqrt(w));
  }
  analysis_.assign(size_, 0.0f);
  windowed_.assign(size_, 0.0f);
  spectrum_.assign(bins_, {});
  power_.assign(bins_, 0.0f);
  gain_.assign(bins_, 1.0f);
  synthesis_.assign(size_, 0.0f);
  overlap_.assign(hop_, 0.0f);
  scratch_in_.assign(hop_, 0.0f);
  scratch_out_.assign(hop_, 0.0f);
  const double bin_hz = static_cast<double>(config.sample_rate) / static_cast<double>(size_);
  speech_lo_ = static_cast<std::size_t>(300.0 / bin_hz);
  speech_hi_ = static_cast<std::size_t>(3400.0 / bin_hz);
}

void Denoiser::SetSuppressionDb(float db) noexcept {
  config_.suppression_db = ClampSuppression(db);
  gain_rule_.SetFloorDb(-config_.suppression_db);
  floor_gain_ = std::pow(10.0f, -config_.suppression_db / 20.0f);
}

void Denoiser::Reset() noexcept {
  noise_.Reset();
  gain_rule_.Reset();
  std::fill(analysis_.begin(), analysis_.end(), 0.0f);
  std::fill(overlap_.begin(), overlap_.end(), 0.0f);
  speech_probability_ = 0.0f;
  speech_energy_ = 0.0f;
  if (model_) model_->Reset();
}

FrameStatus Denoiser::Process(std::span<const float> in, std::span<float> out) noexcept {
  if (in.size() != hop_ || out.size() != hop_) return FrameStatus::kWrongSize;
  ProcessFrame(in.data(), out.data());
  return FrameStatus::kOk;
}

FrameStatus Denoiser::Process(std::span<const int16_t> in, std::span<int16_t> out) noexcept {
  if (in.size() != hop_ || out.size() != hop_) return FrameStatus::kWrongSize;
  for (std::size_t i = 0; i < hop_; ++i) scratch_in_[i] = static_cast<float>(in[i]) * (1.0f / 32768.0f);
  ProcessFrame(scratch_in_.data(), scratch_out_.data());
  for (std::size_t i = 0; i < hop_; ++i) {
    const float v = std::nearbyint(scratch_out_[i] * 32768.0f);
    out[i] = static_cast<int16_t>(std::clamp(v, -32768.0f, 32767.0f));
  }
  return FrameStatus::kOk;
}

void Denoiser::ProcessFrame(const float* in, float* out) noexcept {
  std::copy(analysis_.begin() + static_cast<std::ptrdiff_t>(hop_), analysis_.end(), analysis_.begin());
  std::copy(in, in + hop_, analysis_.begin() + static_cast<std::ptrdiff_t>(hop_));
  kernels_->multiply(analysis_.data(), window_.data(), windowed_.data(), size_);
  fft_.Forward(windowed_, spectrum_);
  for (std::size_t k = 0; k < bins_; ++k) power_[k] = std::norm(spectrum_[k]);

  noise_.Update(power_);
  gain_rule_.Compute(power_, noise_.Noise(), gain_);

  // Features on one scale at both rates: |X|^2 of a given sound grows with size^2 (bins
  // are 50 Hz wide at both rates), so divide by size^2, times 320 to keep the 16 kHz scale
  // of power / 320 the model was trained on.
  const float density = 320.0f / (static_cast<float>(size_) * static_cast<float>(size_));
  for (std::size_t k = 0; k <= BandLayout::kTopBin; ++k) power_[k] *= density;
  BandLayout::BandEnergies(power_, band_energy_);
  float frame_energy = 0.0f, noise_energy = 0.0f;
  for (std::size_t b = 0; b < BandLayout::kBands; ++b) {
    features_[b] = std::log10(band_energy_[b] + 1e-10f);
    frame_energy += band_energy_[b];
  }
  for (std::size_t k = 0; k <= BandLayout::kTopBin; ++k) power_[k] = noise_.Noise()[k] * density;
  BandLayout::BandEnergies(power_, band_energy_);
  for (std::size_t b = 0; b < BandLayout::kBands; ++b) {
    features_[BandLayout::kBands + b] = std::log10(band_energy_[b] + 1e-10f);
    noise_energy += band_energy_[b];
  }

  if (model_) {
    model_->Run(features_, model_out_);
    BandLayout::Interpolate(std::span<const float>(model_out_).first(BandLayout::kBands), model_gain_);
    // Hybrid gain: the model's band gain, sharpened within the band by the square root of
    // the per-bin OM-LSA gain (the bands are 100-900 Hz wide; the statistical rule sees
    // the gaps between harmonics). The root halves the statistical rule's depth, so its
    // errors on clean speech stay small.
    for (std::size_t k = 0; k <= BandLayout::kTopBin; ++k) {
      gain_[k] = std::max(model_gain_[k] * std::sqrt(gain_[k]), floor_gain_);
    }
    // Above 8 kHz: the statistical gain, never more than the top band's.
    const float top = std::max(model_out_[BandLayout::kBands - 1], floor_gain_);
    for (std::size_t k = BandLayout::kTopBin + 1; k < bins_; ++k) gain_[k] = std::min(gain_[k], top);
    speech_probability_ = model_out_[BandLayout::kBands];
  } else {
    // suppression_db is the most attenuation any bin gets.
    for (std::size_t k = 0; k < bins_; ++k) gain_[k] = std::max(gain_[k], floor_gain_);
    const auto presence = gain_rule_.Presence();
    float sum = 0.0f;
    for (std::size_t k = speech_lo_; k < speech_hi_; ++k) sum += presence[k];
    speech_probability_ = sum / static_cast<float>(speech_hi_ - speech_lo_);
  }

  GuardCleanInput(frame_energy, noise_energy);
  for (std::size_t k = 0; k < bins_; ++k) spectrum_[k] *= gain_[k];
  fft_.Inverse(spectrum_, synthesis_);
  kernels_->multiply(synthesis_.data(), window_.data(), synthesis_.data(), size_);
  for (std::size_t i = 0; i < hop_; ++i) {
    out[i] = overlap_[i] + synthesis_[i];
    overlap_[i] = synthesis_[hop_ + i];
  }
}

void Denoiser::GuardCleanInput(float frame_energy, float noise_energy) noexcept {
  if (speech_probability_ > 0.5f) speech_energy_ += kSpeechSmoothing * (frame_energy - speech_energy_);
  const float snr_db = 10.0f * std::log10((speech_energy_ + 1e-10f) / (noise_energy + 1e-10f));
  const float on = std::clamp((snr_db - kGuardFromDb) / (kGuardFullDb - kGuardFromDb), 0.0f, 1.0f);
  if (on == 0.0f) return;
  for (std::size_t k = 0; k < bins_; ++k) {
    gain_[k] = std::max(gain_[k], gain_[k] + on * (kGuardLeastGain - gain_[k]));
  }
}

}  // namespace cbcs::dsp
