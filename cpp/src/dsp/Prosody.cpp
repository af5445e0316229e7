// Prosody tracking: YIN pitch, gated energy and syllable nuclei per hop; turns against a baseline.
#include "cbcs/dsp/Prosody.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::dsp {
namespace {

constexpr float kFirstDip = 0.15f;          // YIN's absolute threshold
constexpr float kDcPole = 0.995f;           // DC blocker, corner about 13 Hz at 16 kHz
constexpr float kFloorRisePerHop = 0.03f;   // noise floor rises 3 dB/s
constexpr float kSpeechAboveFloorDb = 10.0f;
constexpr float kGateDbfs = -65.0f;
constexpr float kBelowPeakDb = 35.0f;       // speech is within this of the caller's recent peak level
constexpr float kPeakFallPerHop = 0.03f;    // which falls 3 dB/s
constexpr float kNucleusDipDb = 3.0f;       // a nucleus rises and falls this much
constexpr float kEnvelopeCoeff = 0.6f;      // one-pole smoothing of the hop power, about 20 ms
constexpr float kMaxAbsSample = 1000.0f;
constexpr float kSearchAboveMax = 1.33f;
constexpr float kHopSeconds = 0.01f;
constexpr float kSemitoneRef = 100.0f;      // semitones are counted from 100 Hz

float Db(double power) { return static_cast<float>(10.0 * std::log10(power + 1e-12)); }

float Semitones(float hz) { return 12.0f * std::log2(hz / kSemitoneRef); }

float Hz(float semitones) { return kSemitoneRef * std::exp2(semitones / 12.0f); }

std::size_t RoundUp8(std::size_t n) { return (n + 7) / 8 * 8; }

float Clip(float v) { return std::isnan(v) ? 0.0f : std::clamp(v, -1.5f, 1.5f); }

}  // namespace

void ProsodyTracker::Stretch::Clear() noexcept {
  voiced = speech = nuclei = 0;
  power_sum = 0.0;
}

ProsodyTracker::ProsodyTracker(const ProsodyConfig& c) : config_(c), kernels_(&Kernels::Select(c.allow_simd)) {
  if (c.sample_rate != 16000) {
    throw ConfigError("sample_rate: expected 16000, got " + std::to_string(c.sample_rate));
  }
  if (c.frame_ms != 10 && c.frame_ms != 20) {
    throw ConfigError("frame_ms: expected 10 or 20, got " + std::to_string(c.frame_ms));
  }
  if (!(c.min_f0_hz >= 50.0f && c.min_f0_hz < c.max_f0_hz && c.max_f0_hz <= 500.0f)) {
    throw ConfigError("min_f0_hz/max_f0_hz: expected 50 <= min < max <= 500, got " + std::to_string(c.min_f0_hz) +
                      " and " + std::to_string(c.max_f0_hz));
  }
  if (!(c.baseline_seconds >= 1.0f && c.baseline_seconds <= 120.0f)) {
    throw ConfigError("baseline_seconds: expected 1..120, got " + std::to_string(c.baseline_seconds));
  }
  if (!(c.max_turn_seconds >= 1.0f && c.max_turn_seconds <= 600.0f)) {
    throw ConfigError("max_turn_seconds: expected 1..600, got " + std::to_string(c.max_turn_seconds));
  }
  frame_samples_ = static_cast<std::size_t>(c.frame_ms) * kHopSamples / 10;
  const auto rate = static_cast<float>(c.sample_rate);
  // Lags are searched a third above max_f0_hz, so a voice above the range is found there
  // (and reported unvoiced) rather than an octave down at twice its period.
  tau_min_ = static_cast<std::size_t>(std::floor(rate / (kSearchAboveMax * c.max_f0_hz)));
  tau_max_ = static_cast<std::size_t>(std::ceil(rate / c.min_f0_hz));
  // 24 ms, and never shorter than the longest period searched (the dot kernel wants x8).
  window_ = RoundUp8(std::max<std::size_t>(384, tau_max_ + 16));
  history_.assign(window_ + tau_max_ + 2, 0.0f);
  energy_prefix_.assign(history_.size() + 1, 0.0);
  cmnd_.assign(tau_max_ + 2, 1.0f);
  baseline_.capacity = static_cast<std::size_t>(std::lround(c.baseline_seconds / kHopSeconds));
  turn_.capacity = static_cast<std::size_t>(std::lround(c.max_turn_seconds / kHopSeconds));
  baseline_.semitones.assign(baseline_.capacity, 0.0f);
  turn_.semitones.assign(turn_.capacity, 0.0f);
  scratch_.assign(std::max(baseline_.capacity, turn_.capacity), 0.0f);
  convert_.assign(frame_samples_, 0.0f);
}

void ProsodyTracker::Reset() noexcept {
  std::fill(history_.begin(), history_.end(), 0.0f);
  dc_x_ = dc_y_ = 0.0f;
  noise_db_ = -120.0f;
  peak_level_db_ = -120.0f;
  envelope_ = 0.0f;
  peak_db_ = valley_db_ = -120.0f;
  rising_ = true;
  voiced_near_peak_ = speech_at_peak_ = false;
  baseline_.Clear();
  turn_.Clear();
  baseline_cached_ = false;
}

ProsodyFrame ProsodyTracker::Process(std::span<const float> frame, float p) noexcept {
  if (frame.size() != frame_samples_) return ProsodyFrame{};
  bool valid = true;
  for (float v : frame) valid = valid && std::isfinite(v) && std::abs(v) <= kMaxAbsSample;
  ProsodyFrame out{};
  double power = 0.0;
  for (std::size_t h = 0; h < frame_samples_; h += kHopSamples) {
    const ProsodyFrame hop = Hop(frame.data() + h, valid, p);
    power += hop_power_;
    if (h == 0 || hop.status == ProsodyFrameStatus::kVoiced ||
        (hop.status == ProsodyFrameStatus::kUnvoiced && out.status != ProsodyFrameStatus::kVoiced)) {
      out.status = hop.status;
      out.f0_hz = hop.f0_hz;
      out.periodicity = hop.periodicity;
    }
  }
  out.energy_dbfs = Db(power * static_cast<double>(kHopSamples) / static_cast<double>(frame_samples_));
  return out;
}

ProsodyFrame ProsodyTracker::Process(std::span<const int16_t> frame, float p) noexcept {
  if (frame.size() != frame_samples_) return ProsodyFrame{};
  for (std::size_t i = 0; i < frame_samples_; ++i) convert_[i] = static_cast<float>(frame[i]) * (1.0f / 32768.0f);
  return Process(std::span<const float>(convert_), p);
}

ProsodyFrame ProsodyTracker::Hop(const float* x, bool valid, float p) noexcept {
  // Shift the history by one hop and append the DC-blocked hop (zeros for invalid input,
  // so timing is kept and nothing non-finite ever reaches the sums).
  std::copy(history_.begin() + kHopSamples, history_.end(), history_.begin());
  float* tail = history_.data() + history_.size() - kHopSamples;
  double power = 0.0;
  for (std::size_t i = 0; i < kHopSamples; ++i) {
    const float in = valid ? x[i] : 0.0f;
    const float y = in - dc_x_ + kDcPole * dc_y_;
    dc_x_ = in;
    dc_y_ = y;
    tail[i] = y;
    power += static_cast<double>(y) * y;
  }
  if (!valid) dc_x_ = dc_y_ = 0.0f;
  power /= static_cast<double>(kHopSamples);
  hop_power_ = power;
  ProsodyFrame out{};
  out.energy_dbfs = Db(power);

  noise_db_ = out.energy_dbfs < noise_db_ ? out.energy_dbfs : noise_db_ + kFloorRisePerHop;
  if (valid) peak_level_db_ = std::max(peak_level_db_ - kPeakFallPerHop, out.energy_dbfs);
  // The floor alone lets hum in pauses through when the stream began with digital silence;
  // the peak keeps the gate within the caller's own dynamic range.
  const float gate = std::max({noise_db_ + kSpeechAboveFloorDb, peak_level_db_ - kBelowPeakDb, kGateDbfs});
  const bool speech = valid && (p >= 0.0f ? p >= 0.5f && out.energy_dbfs > -90.0f : out.energy_dbfs > gate);
  bool voiced = false;
  if (speech) {
    out.f0_hz = Pitch(&out.periodicity);
    voiced = out.f0_hz > 0.0f;
  }
  out.status = !valid ? ProsodyFrameStatus::kInvalidSamples
               : !speech ? ProsodyFrameStatus::kSilence
               : voiced  ? ProsodyFrameStatus::kVoiced
                         : ProsodyFrameStatus::kUnvoiced;

  const bool gathering = !BaselineComplete();
  if (speech) {
    ++turn_.speech;
    turn_.power_sum += power;
    if (gathering) {
      ++baseline_.speech;
      baseline_.power_sum += power;
      baseline_cached_ = false;
    }
  }
  if (voiced) {
    const float st = Semitones(out.f0_hz);
    turn_.semitones[turn_.voiced % turn_.capacity] = st;
    ++turn_.voiced;
    if (gathering) {
      baseline_.semitones[baseline_.voiced++] = st;
    }
  }
  TrackNuclei(static_cast<float>(power), speech, voiced);
  return out;
}

float ProsodyTracker::Pitch(float* periodicity) noexcept {
  // The newest window_ samples against the same length tau samples earlier:
  // d(tau) = e(now) + e(tau earlier) - 2 r(tau), the energies from prefix sums.
  const std::size_t n = history_.size();
  const float* h = history_.data();
  energy_prefix_[0] = 0.0;
  for (std::size_t i = 0; i < n; ++i) energy_prefix_[i + 1] = energy_prefix_[i] + static_cast<double>(h[i]) * h[i];
  const float* now = h + (n - window_);
  const double e_now = energy_prefix_[n] - energy_prefix_[n - window_];
  *periodicity = 0.0f;
  if (e_now <= 1e-10) return 0.0f;
  double running = 0.0;
  cmnd_[0] = 1.0f;
  const std::size_t last = tau_max_ + 1;
  for (std::size_t tau = 1; tau <= last; ++tau) {
    const double e_then = energy_prefix_[n - tau] - energy_prefix_[n - tau - window_];
    const double r = kernels_->dot(now, now - tau, window_);
    const double d = std::max(0.0, e_now + e_then - 2.0 * r);
    running += d;
    cmnd_[tau] = running > 0.0 ? static_cast<float>(d * static_cast<double>(tau) / running) : 1.0f;
  }
  // The first dip under the threshold (then down to its bottom), else the deepest one.
  std::size_t best = 0;
  for (std::size_t tau = tau_min_; tau <= tau_max_; ++tau) {
    if (cmnd_[tau] < kFirstDip) {
      while (tau + 1 <= tau_max_ && cmnd_[tau + 1] < cmnd_[tau]) ++tau;
      best = tau;
      break;
    }
  }
  if (best == 0) {
    best = tau_min_;
    for (std::size_t tau = tau_min_ + 1; tau <= tau_max_; ++tau) {
      if (cmnd_[tau] < cmnd_[best]) best = tau;
    }
  }
  const float b = cmnd_[best];
  *periodicity = std::clamp(1.0f - b, 0.0f, 1.0f);
  if (b >= kVoicingThreshold) return 0.0f;
  const float a = cmnd_[best - 1], c = cmnd_[best + 1];
  const float curvature = a - 2.0f * b + c;
  const float shift = curvature > 0.0f ? std::clamp(0.5f * (a - c) / curvature, -0.5f, 0.5f) : 0.0f;
  const float f0 = static_cast<float>(config_.sample_rate) / (static_cast<float>(best) + shift);
  return f0 >= config_.min_f0_hz && f0 <= config_.max_f0_hz ? f0 : 0.0f;
}

void ProsodyTracker::TrackNuclei(float power, bool speech, bool voiced) noexcept {
  envelope_ = kEnvelopeCoeff * envelope_ + (1.0f - kEnvelopeCoeff) * power;
  const float level = Db(envelope_);
  if (rising_) {
    if (level > peak_db_) {
      peak_db_ = level;
      speech_at_peak_ = speech;
    }
    voiced_near_peak_ = voiced_near_peak_ || voiced;
    if (level < peak_db_ - kNucleusDipDb) {
      if (speech_at_peak_ && voiced_near_peak_) {
        ++turn_.nuclei;
        if (!BaselineComplete()) ++baseline_.nuclei;
      }
      rising_ = false;
      valley_db_ = level;
    }
  } else {
    valley_db_ = std::min(valley_db_, level);
    if (level > valley_db_ + kNucleusDipDb) {
      rising_ = true;
      peak_db_ = level;
      speech_at_peak_ = speech;
      voiced_near_peak_ = voiced;
    }
  }
}

ProsodyTracker::Summary ProsodyTracker::Summarise(const Stretch& s) noexcept {
  Summary out;
  const std::size_t n = std::min(s.voiced, s.capacity);
  if (n > 0) {
    const auto first = scratch_.begin();
    const auto end = first + static_cast<std::ptrdiff_t>(n);
    std::copy_n(s.semitones.begin(), n, first);
    const auto mid = first + static_cast<std::ptrdiff_t>(n / 2);
    std::nth_element(first, mid, end);
    out.median = *mid;
    for (auto it = first; it != end; ++it) *it = std::abs(*it - out.median);
    std::nth_element(first, mid, end);
    out.spread = 1.4826f * *mid;
  }
  if (s.speech > 0) out.energy = Db(s.power_sum / static_cast<double>(s.speech));
  if (s.speech > 0) out.rate = static_cast<float>(s.nuclei) / (kHopSeconds * static_cast<float>(s.speech));
  return out;
}

float ProsodyTracker::Arousal(float pitch, float energy, float rate_ratio, float spread) noexcept {
  const float p = Clip(pitch / 4.0f);
  const float e = Clip(energy / 8.0f);
  const float r = Clip(std::log(std::max(rate_ratio, 0.25f)) / std::log(1.25f));
  const float s = Clip(spread / 2.0f);
  // Pitch and level carry most: a rate or spread measured over a few seconds is noisy.
  const float score = 0.45f * p + 0.4f * e + 0.1f * r + 0.05f * s;
  return 1.0f / (1.0f + std::exp(-3.0f * (score - 0.5f)));
}

ProsodyTurn ProsodyTracker::EndTurn() noexcept {
  ProsodyTurn t;
  t.speech_seconds = kHopSeconds * static_cast<float>(turn_.speech);
  t.voiced_seconds = kHopSeconds * static_cast<float>(turn_.voiced);
  t.baseline_voiced_seconds = BaselineVoicedSeconds();
  t.baseline_complete = BaselineComplete();
  t.truncated = turn_.voiced > turn_.capacity;
  if (t.voiced_seconds >= kMinVoicedSeconds - 1e-4f) {
    const Summary turn = Summarise(turn_);
    if (!baseline_cached_) {
      baseline_summary_ = Summarise(baseline_);
      baseline_cached_ = true;
    }
    const Summary& base = baseline_summary_;
    t.status = ProsodyTurnStatus::kOk;
    t.median_f0_hz = Hz(turn.median);
    t.f0_spread_semitones = turn.spread;
    t.energy_dbfs = turn.energy;
    t.rate_per_second = turn.rate;
    t.pitch_semitones = turn.median - base.median;
    t.spread_semitones = turn.spread - base.spread;
    t.energy_db = turn.energy - base.energy;
    // A rate needs a few nuclei to mean anything; under 0.5 per second it is unknown.
    t.rate_ratio = base.rate >= 0.5f ? turn.rate / base.rate : 1.0f;
    t.arousal = Arousal(t.pitch_semitones, t.energy_db, t.rate_ratio, t.spread_semitones);
  } else {
    t.rate_per_second = turn_.speech > 0 ? static_cast<float>(turn_.nuclei) / t.speech_seconds : 0.0f;
  }
  turn_.Clear();
  return t;
}

}  // namespace cbcs::dsp
