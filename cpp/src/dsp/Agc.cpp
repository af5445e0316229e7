// AGC: speech-gated level tracking, slew-limited gain ramps and a peak limiter.
#include "cbcs/dsp/Agc.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::dsp {
namespace {

constexpr float kMaxSlewDbPerFrame = 0.5f;  // 50 dB/s: fast enough, never audible steps
constexpr float kSpeechAboveNoiseDb = 9.0f;  // built-in detector: this far above the floor
constexpr float kSilenceDbfs = -70.0f;

float Db(double power) { return static_cast<float>(10.0 * std::log10(power + 1e-12)); }

}  // namespace

Agc::Agc(const AgcConfig& c) : config_(c), level_db_(c.target_dbfs) {
  if (c.sample_rate != 8000 && c.sample_rate != 16000 && c.sample_rate != 48000) {
    throw ConfigError("sample_rate: expected one of 8000, 16000, 48000, got " + std::to_string(c.sample_rate));
  }
  if (!(c.target_dbfs >= -60.0f && c.target_dbfs <= 0.0f)) {
    throw ConfigError("target_dbfs: expected -60..0, got " + std::to_string(c.target_dbfs));
  }
  if (!(c.max_gain_db >= 0.0f && c.max_gain_db <= 60.0f) || !(c.min_gain_db <= 0.0f && c.min_gain_db >= -60.0f)) {
    throw ConfigError("max_gain_db/min_gain_db: expected 0..60 and -60..0, got " + std::to_string(c.max_gain_db) +
                      " and " + std::to_string(c.min_gain_db));
  }
  if (!(c.limit_dbfs <= 0.0f && c.limit_dbfs >= -20.0f)) {
    throw ConfigError("limit_dbfs: expected -20..0, got " + std::to_string(c.limit_dbfs));
  }
  if (!(c.attack_ms >= 10.0f && c.attack_ms <= 10000.0f)) {
    throw ConfigError("attack_ms: expected 10..10000, got " + std::to_string(c.attack_ms));
  }
  hop_ = static_cast<std::size_t>(c.sample_rate / 100);
  level_coeff_ = std::exp(-10.0f / c.attack_ms);
  limiter_release_ = std::exp(-1.0f / (0.05f * static_cast<float>(c.sample_rate)));
  scratch_in_.assign(hop_, 0.0f);
  scratch_out_.assign(hop_, 0.0f);
}

void Agc::Reset() noexcept {
  level_db_ = config_.target_dbfs;
  noise_db_ = -90.0f;
  gain_db_ = 0.0f;
  applied_gain_ = 1.0f;
  limiter_gain_ = 1.0f;
  level_known_ = false;
}

bool Agc::Process(std::span<const float> in, std::span<float> out, float p) noexcept {
  if (in.size() != hop_ || out.size() != hop_) return false;
  ProcessFrame(in.data(), out.data(), p);
  return true;
}

bool Agc::Process(std::span<const int16_t> in, std::span<int16_t> out, float p) noexcept {
  if (in.size() != hop_ || out.size() != hop_) return false;
  for (std::size_t i = 0; i < hop_; ++i) scratch_in_[i] = static_cast<float>(in[i]) * (1.0f / 32768.0f);
  ProcessFrame(scratch_in_.data(), scratch_out_.data(), p);
  for (std::size_t i = 0; i < hop_; ++i) {
    out[i] = static_cast<int16_t>(std::clamp(std::nearbyint(scratch_out_[i] * 32768.0f), -32768.0f, 32767.0f));
  }
  return true;
}

void Agc::ProcessFrame(const float* in, float* out, float p) noexcept {
  double power = 0.0;
  for (std::size_t i = 0; i < hop_; ++i) power += static_cast<double>(in[i]) * in[i];
  const float frame_db = Db(power / static_cast<double>(hop_));
  // Noise floor: falls at once, rises slowly (about 3 dB/s), so speech never lifts it far.
  noise_db_ = frame_db < noise_db_ ? frame_db : noise_db_ + 0.03f;
  const bool speech = p >= 0.0f ? p >= 0.5f && frame_db > kSilenceDbfs
                                : frame_db > std::max(noise_db_ + kSpeechAboveNoiseDb, kSilenceDbfs);
  if (speech) {
    if (!level_known_) {
      level_db_ = frame_db;
      level_known_ = true;
    } else {
      level_db_ = level_coeff_ * level_db_ + (1.0f - level_coeff_) * frame_db;
    }
    const float wanted = std::clamp(config_.target_dbfs - level_db_, config_.min_gain_db, config_.max_gain_db);
    gain_db_ += std::clamp(wanted - gain_db_, -kMaxSlewDbPerFrame, kMaxSlewDbPerFrame);
  }
  const float target_gain = std::pow(10.0f, gain_db_ / 20.0f);
  const float limit = std::pow(10.0f, config_.limit_dbfs / 20.0f);
  const float step = (target_gain - applied_gain_) / static_cast<float>(hop_);
  for (std::size_t i = 0; i < hop_; ++i) {
    const float g = applied_gain_ + step * static_cast<float>(i + 1);
    const float y = in[i] * g;
    const float needed = std::abs(y) > limit ? limit / std::abs(y) : 1.0f;
    limiter_gain_ = std::min(needed, 1.0f - (1.0f - limiter_gain_) * limiter_release_);
    out[i] = y * limiter_gain_;
  }
  applied_gain_ = target_gain;
}

}  // namespace cbcs::dsp
