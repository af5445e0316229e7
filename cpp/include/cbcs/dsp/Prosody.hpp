// Prosody of one caller: pitch, energy and speaking rate per frame, summed up per turn
// against the caller's own start, with an arousal score.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cbcs/dsp/Kernels.hpp"

namespace cbcs::dsp {

struct ProsodyConfig {
  int sample_rate = 16000;         // 16000 only
  int frame_ms = 10;               // 10 or 20
  float min_f0_hz = 60.0f;         // pitch search range, within 50..500 Hz
  float max_f0_hz = 400.0f;
  float baseline_seconds = 8.0f;   // voiced audio from the caller's start that makes the baseline (1..120)
  float max_turn_seconds = 60.0f;  // voiced audio a turn keeps for its medians (1..600); older rolls off
  bool allow_simd = true;
};

// Order is part of the binding (cbcs.media.dsp maps it by position).
enum class ProsodyFrameStatus : std::uint8_t {
  kVoiced = 0,          // speech with a pitch
  kUnvoiced = 1,        // speech without a pitch (fricatives, creak, noise above the gate)
  kSilence = 2,         // no speech: below the energy gate or the caller's speech flag
  kInvalidSamples = 3,  // NaN, Inf or |x| > 1000 in the frame: treated as silence
  kWrongSize = 4,       // not FrameSamples() long: nothing changed
};

struct ProsodyFrame {
  ProsodyFrameStatus status = ProsodyFrameStatus::kWrongSize;
  float f0_hz = 0.0f;           // last voiced 10 ms of the frame; 0 unless voiced
  float energy_dbfs = -120.0f;  // RMS level of the frame (DC removed)
  float periodicity = 0.0f;     // 0..1: one minus YIN's aperiodicity at the chosen period
};

enum class ProsodyTurnStatus : std::uint8_t {
  kOk = 0,
  kNoSpeech = 1,  // under kMinVoicedSeconds of voiced audio: deviations 0, arousal 0
};

// One turn (pitch from its voiced 10 ms hops, level and rate from its speech hops),
// compared with the baseline: the first baseline_seconds of voiced audio since construction
// or Reset(). While the baseline is still being gathered the turn is part of it, so a
// caller's first turn deviates by about nothing.
struct ProsodyTurn {
  ProsodyTurnStatus status = ProsodyTurnStatus::kNoSpeech;
  float speech_seconds = 0.0f;       // time above the gate (or flagged speech)
  float voiced_seconds = 0.0f;       // of which with a pitch
  float median_f0_hz = 0.0f;
  float f0_spread_semitones = 0.0f;  // robust deviation of F0 (1.4826 x MAD, in semitones)
  float energy_dbfs = -120.0f;       // level of the speech (its mean power)
  float rate_per_second = 0.0f;      // syllable nuclei per second of speech
  float pitch_semitones = 0.0f;      // median F0 above (+) or below the baseline's
  float spread_semitones = 0.0f;     // F0 spread minus the baseline's
  float energy_db = 0.0f;            // level minus the baseline's
  float rate_ratio = 1.0f;           // rate over the baseline's (1 when either is unknown)
  float arousal = 0.0f;              // 0..1; about 0.18 for a turn equal to the baseline
  float baseline_voiced_seconds = 0.0f;
  bool baseline_complete = false;
  bool truncated = false;            // longer than max_turn_seconds voiced: medians of the latest part
};

// Per 10 ms hop: a DC blocker; an energy gate (the caller's speech probability when given,
// else speech is 10 dB above a noise floor that falls at once and rises 3 dB/s, within
// 35 dB of the loudest recent hop and above -65 dBFS); YIN pitch on speech (difference
// function over a 24 ms window, lags from a third above max_f0_hz to one period of
// min_f0_hz, cumulative-mean normalisation, first dip under 0.15, parabolic refinement;
// voiced when the dip is under kVoicingThreshold and the pitch inside the range, so a
// voice above the range reads unvoiced rather than an octave down); and syllable nuclei:
// peaks of the smoothed level envelope that rise and fall by 3 dB with a pitch nearby.
// A 20 ms frame is two hops. Everything is sized in the constructor; Process and EndTurn
// allocate nothing and never throw.
class ProsodyTracker {
 public:
  static constexpr std::size_t kHopSamples = 160;
  static constexpr float kVoicingThreshold = 0.3f;
  static constexpr float kMinVoicedSeconds = 0.2f;

  explicit ProsodyTracker(const ProsodyConfig& config);  // ConfigError on a bad setting

  std::size_t FrameSamples() const noexcept { return frame_samples_; }
  // speech_probability: 0..1 from a Vad, or negative for the built-in energy gate.
  ProsodyFrame Process(std::span<const float> frame, float speech_probability = -1.0f) noexcept;
  ProsodyFrame Process(std::span<const int16_t> frame, float speech_probability = -1.0f) noexcept;
  // The turn since the previous EndTurn (or the start); starts the next one.
  ProsodyTurn EndTurn() noexcept;
  float BaselineVoicedSeconds() const noexcept { return 0.01f * static_cast<float>(baseline_.voiced); }
  bool BaselineComplete() const noexcept { return baseline_.voiced >= baseline_.capacity; }
  const char* KernelName() const noexcept { return kernels_->name; }
  // Forgets everything, the baseline included (a new caller).
  void Reset() noexcept;

  // The score EndTurn reports: pitch (per 4 semitones), level (per 8 dB), rate (per 25 %)
  // and spread (per 2 semitones) above the baseline, each clipped to +-1.5, weighted
  // 0.45/0.4/0.1/0.05 and squashed by a logistic centred at half of the scale.
  static float Arousal(float pitch_semitones, float energy_db, float rate_ratio, float spread_semitones) noexcept;

 private:
  // The pitch values (semitones re 100 Hz) and sums of one stretch of audio.
  struct Stretch {
    std::vector<float> semitones;  // ring of capacity voiced hops
    std::size_t capacity = 0;
    std::size_t voiced = 0;        // voiced hops seen (may exceed capacity for a turn)
    std::size_t speech = 0;        // speech hops
    std::size_t nuclei = 0;
    double power_sum = 0.0;        // mean squares of the speech hops
    void Clear() noexcept;
  };
  struct Summary {
    float median = 0.0f, spread = 0.0f, energy = -120.0f, rate = 0.0f;
  };

  ProsodyFrame Hop(const float* x, bool valid, float speech_probability) noexcept;
  float Pitch(float* periodicity) noexcept;  // Hz, or 0 when not voiced
  void TrackNuclei(float power, bool speech, bool voiced) noexcept;
  Summary Summarise(const Stretch& s) noexcept;

  ProsodyConfig config_;
  const Kernels* kernels_;
  std::size_t frame_samples_;
  std::size_t tau_min_, tau_max_, window_;
  // Analysis state, sized once.
  std::vector<float> history_;    // the latest window_ + tau_max_ + 1 filtered samples
  std::vector<double> energy_prefix_;
  std::vector<float> cmnd_;       // normalised difference, lags 0..tau_max_ + 1
  std::vector<float> scratch_;    // copies for the medians
  std::vector<float> convert_;    // int16 frames as float
  float dc_x_ = 0.0f, dc_y_ = 0.0f;
  double hop_power_ = 0.0;        // mean square of the last hop
  float noise_db_ = -120.0f;
  float peak_level_db_ = -120.0f;  // loudest recent hop, falling 3 dB/s
  // Nuclei: a smoothed level envelope and its last peak and valley.
  float envelope_ = 0.0f;
  float peak_db_ = -120.0f, valley_db_ = -120.0f;
  bool rising_ = true;
  bool voiced_near_peak_ = false;
  bool speech_at_peak_ = false;
  // Stretches of audio.
  Stretch baseline_;
  Stretch turn_;
  bool baseline_cached_ = false;
  Summary baseline_summary_;
};

}  // namespace cbcs::dsp
