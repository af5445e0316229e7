// Voice activity from the denoiser's per-frame speech probability, held over short gaps.
#include "cbcs/dsp/Vad.hpp"

#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::dsp {
namespace {

DenoiserConfig ToDenoiser(const VadConfig& c) {
  if (!(c.threshold > 0.0f && c.threshold < 1.0f)) {
    throw ConfigError("threshold: expected a value in (0, 1), got " + std::to_string(c.threshold));
  }
  if (c.hangover_frames > 1000) {
    throw ConfigError("hangover_frames: expected 0..1000, got " + std::to_string(c.hangover_frames));
  }
  return DenoiserConfig{c.sample_rate, 20.0f, c.allow_simd, c.model};
}

}  // namespace

Vad::Vad(const VadConfig& config)
    : config_(config),
      denoiser_(ToDenoiser(config)),
      scratch_(denoiser_.FrameSamples()),
      scratch16_(denoiser_.FrameSamples()) {
  config_.model = {};
}

void Vad::Decide(float p) noexcept {
  probability_ = p;
  if (p >= config_.threshold) {
    speech_ = true;
    hold_ = config_.hangover_frames;
  } else if (hold_ > 0) {
    --hold_;
  } else {
    speech_ = false;
  }
}

float Vad::Process(std::span<const float> frame) noexcept {
  if (denoiser_.Process(frame, scratch_) != FrameStatus::kOk) return -1.0f;
  Decide(denoiser_.SpeechProbability());
  return probability_;
}

float Vad::Process(std::span<const int16_t> frame) noexcept {
  if (denoiser_.Process(frame, scratch16_) != FrameStatus::kOk) return -1.0f;
  Decide(denoiser_.SpeechProbability());
  return probability_;
}

void Vad::Reset() noexcept {
  denoiser_.Reset();
  probability_ = 0.0f;
  speech_ = false;
  hold_ = 0;
}

}  // namespace cbcs::dsp
