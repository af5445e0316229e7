// Automatic gain control to a target speech level, with a peak limiter, on 10 ms frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace cbcs::dsp {

struct AgcConfig {
  int sample_rate = 16000;          // 8000, 16000 or 48000
  float target_dbfs = -20.0f;       // RMS level speech is brought to
  float max_gain_db = 30.0f;        // most amplification (quiet talkers)
  float min_gain_db = -20.0f;       // most attenuation (shouting)
  float limit_dbfs = -1.0f;         // no output sample above this
  float attack_ms = 400.0f;         // time constant of the speech level estimate
};

// The gain follows the level of speech only: frames the caller marks as non-speech (or,
// without a probability, frames close to the tracked noise floor) leave the level estimate
// and the gain where they are, so pauses are not pumped up. The gain moves at most
// kMaxSlewDbPerFrame per frame and is ramped sample by sample; a limiter with instant
// attack and a 50 ms release keeps peaks below limit_dbfs.
class Agc {
 public:
  explicit Agc(const AgcConfig& config);

  std::size_t FrameSamples() const noexcept { return hop_; }
  // speech_probability: from a Vad or Denoiser (0..1), or negative to use the built-in
  // level detector. Returns false (and leaves out alone) on a wrong frame size.
  bool Process(std::span<const float> in, std::span<float> out, float speech_probability = -1.0f) noexcept;
  bool Process(std::span<const int16_t> in, std::span<int16_t> out, float speech_probability = -1.0f) noexcept;
  float GainDb() const noexcept { return gain_db_; }
  float SpeechLevelDbfs() const noexcept { return level_db_; }
  void Reset() noexcept;

 private:
  void ProcessFrame(const float* in, float* out, float speech_probability) noexcept;

  AgcConfig config_;
  std::size_t hop_;
  float level_db_;
  float noise_db_ = -90.0f;
  float gain_db_ = 0.0f;
  float applied_gain_ = 1.0f;   // linear gain at the end of the last frame
  float limiter_gain_ = 1.0f;
  float level_coeff_;
  float limiter_release_;
  bool level_known_ = false;
  std::vector<float> scratch_in_, scratch_out_;
};

}  // namespace cbcs::dsp
