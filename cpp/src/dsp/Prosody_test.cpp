// Tests of the ProsodyTracker: pitch of harmonic signals, turns against the baseline, bad frames.
#include "cbcs/dsp/Prosody.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include "AllocationCounter.hpp"
#include "cbcs/common/ConfigError.hpp"

namespace cbcs::dsp {
namespace {

constexpr double kRate = 16000.0;

// Talk-like test signal: harmonics of f0 (1/h amplitudes up to 4 kHz, with a slow 3 %
// vibrato) in syllables of a half-sine envelope, `rate` per second, each 60 % of its slot,
// over faint noise. `steady`: one flat vowel at exactly f0, level_dbfs RMS.
std::vector<float> Talk(double seconds, double f0, double level_dbfs, double rate, unsigned seed = 1,
                        bool steady = false) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 1e-4);
  const auto n = static_cast<std::size_t>(seconds * kRate);
  std::vector<float> x(n);
  const double amp = std::pow(10.0, level_dbfs / 20.0) / 0.907;  // RMS of the 1/h series: pi / sqrt(12)
  const double vibrato = steady ? 0.0 : 0.03;
  double phase = 0.0;
  const double slot = kRate / rate;
  for (std::size_t i = 0; i < n; ++i) {
    const double f = f0 * (1.0 + vibrato * std::sin(2.0 * std::numbers::pi * 0.7 * static_cast<double>(i) / kRate));
    phase += 2.0 * std::numbers::pi * f / kRate;
    double s = 0.0;
    for (int h = 1; h * f < 4000.0; ++h) s += std::sin(h * phase) / h;
    const double pos = std::fmod(static_cast<double>(i), slot) / slot;
    const double env = steady ? 1.0 : pos < 0.6 ? std::sin(std::numbers::pi * pos / 0.6) : 0.0;
    x[i] = static_cast<float>(amp * env * s + noise(rng));
  }
  return x;
}

std::vector<float> Feed(ProsodyTracker& t, const std::vector<float>& x) {
  std::vector<float> f0;
  const std::size_t hop = t.FrameSamples();
  for (std::size_t i = 0; i + hop <= x.size(); i += hop) {
    const auto r = t.Process(std::span(x).subspan(i, hop));
    EXPECT_NE(r.status, ProsodyFrameStatus::kWrongSize);
    EXPECT_NE(r.status, ProsodyFrameStatus::kInvalidSamples);
    if (r.status == ProsodyFrameStatus::kVoiced) f0.push_back(r.f0_hz);
  }
  return f0;
}

TEST(ProsodyTracker, TracksHarmonicPitchWithinThreePercent) {
  for (int frame_ms : {10, 20}) {
    for (double f0 : {80.0, 120.0, 240.0, 350.0}) {
      ProsodyTracker t(ProsodyConfig{16000, frame_ms});
      const auto x = Talk(2.0, f0, -20.0, 4.0, 1, /*steady=*/true);
      const auto track = Feed(t, x);
      // Everything but the first frames (the window filling) is voiced ...
      ASSERT_GE(track.size(), 2.0 * 1000 / frame_ms - 6) << f0;
      // ... and every voiced frame is within 3 % of f0.
      double worst = 0.0;
      for (std::size_t i = 0; i < track.size(); ++i) {
        worst = std::max(worst, std::abs(track[i] / f0 - 1.0));
        ASSERT_NEAR(track[i], f0, 0.03 * f0) << "frame " << i << " of " << frame_ms << " ms";
      }
      std::printf("f0 %.0f Hz, %d ms frames: %zu voiced, worst error %.3f %%\n", f0, frame_ms, track.size(),
                  100.0 * worst);
      const auto turn = t.EndTurn();
      ASSERT_EQ(turn.status, ProsodyTurnStatus::kOk);
      EXPECT_NEAR(turn.median_f0_hz, f0, 0.03 * f0) << f0;
      EXPECT_NEAR(turn.energy_dbfs, -20.0, 1.5) << f0;
    }
  }
}

TEST(ProsodyTracker, SeparatesAMaleAndAFemaleOctave) {
  // The 120 Hz and 240 Hz voices, in syllables: medians within 3 %, an octave apart.
  ProsodyTracker low(ProsodyConfig{}), high(ProsodyConfig{});
  Feed(low, Talk(3.0, 120.0, -25.0, 4.0));
  Feed(high, Talk(3.0, 240.0, -25.0, 4.0));
  const auto a = low.EndTurn(), b = high.EndTurn();
  EXPECT_NEAR(a.median_f0_hz, 120.0, 3.6);
  EXPECT_NEAR(b.median_f0_hz, 240.0, 7.2);
  EXPECT_NEAR(12.0 * std::log2(b.median_f0_hz / a.median_f0_hz), 12.0, 0.5);
}

TEST(ProsodyTracker, CountsSyllablesPerSecondOfSpeech) {
  for (double rate : {3.0, 4.0, 6.0}) {
    ProsodyTracker t(ProsodyConfig{});
    Feed(t, Talk(5.0, 150.0, -25.0, rate));
    const auto turn = t.EndTurn();
    // Per second of speech (the gaps between syllables excluded), so above the syllable
    // rate by about the share of the slot that is silent.
    EXPECT_GT(turn.rate_per_second, rate) << rate;
    EXPECT_LT(turn.rate_per_second, rate / 0.5) << rate;
    EXPECT_NEAR(turn.speech_seconds, 5.0 * 0.6, 0.8) << rate;
  }
}

TEST(ProsodyTracker, ALouderHigherTurnScoresMoreArousalThanAnEqualOne) {
  ProsodyTracker t(ProsodyConfig{16000, 10, 60.0f, 400.0f, 3.0f});
  Feed(t, Talk(8.0, 120.0, -30.0, 4.0, 1));
  const auto start = t.EndTurn();
  ASSERT_TRUE(start.baseline_complete);
  EXPECT_NEAR(start.pitch_semitones, 0.0f, 0.3f);
  Feed(t, Talk(5.0, 120.0, -30.0, 4.0, 2));
  const auto equal = t.EndTurn();
  const double up4 = 120.0 * std::exp2(4.0 / 12.0);
  Feed(t, Talk(5.0, up4, -20.0, 4.0, 3));
  const auto aroused = t.EndTurn();
  Feed(t, Talk(5.0, up4, -20.0, 5.0, 4));
  const auto faster = t.EndTurn();
  ASSERT_EQ(equal.status, ProsodyTurnStatus::kOk);
  ASSERT_EQ(aroused.status, ProsodyTurnStatus::kOk);
  for (const auto* turn : {&start, &equal, &aroused, &faster}) {
    std::printf("%+.2f st, %+.2f dB, rate %.2f/s x%.2f, spread %+.2f st: arousal %.2f\n", turn->pitch_semitones,
                turn->energy_db, turn->rate_per_second, turn->rate_ratio, turn->spread_semitones, turn->arousal);
  }
  EXPECT_NEAR(equal.pitch_semitones, 0.0f, 0.3f);
  EXPECT_NEAR(equal.energy_db, 0.0f, 0.5f);
  EXPECT_NEAR(equal.rate_ratio, 1.0f, 0.15f);
  EXPECT_NEAR(aroused.pitch_semitones, 4.0f, 0.3f);
  EXPECT_NEAR(aroused.energy_db, 10.0f, 1.0f);
  EXPECT_NEAR(faster.rate_ratio, 1.25f, 0.15f);
  EXPECT_LT(equal.arousal, 0.3f);
  EXPECT_GT(aroused.arousal, 0.65f);
  EXPECT_GT(aroused.arousal, equal.arousal + 0.4f);
  EXPECT_GT(faster.arousal, aroused.arousal);
  // The baseline stays the caller's start: later turns do not move it.
  EXPECT_FLOAT_EQ(t.BaselineVoicedSeconds(), 3.0f);
}

TEST(ProsodyTracker, ArousalIsMonotoneAndBounded) {
  EXPECT_NEAR(ProsodyTracker::Arousal(0, 0, 1, 0), 0.18f, 0.01f);
  EXPECT_LT(ProsodyTracker::Arousal(-4, -8, 0.8f, 0), ProsodyTracker::Arousal(0, 0, 1, 0));
  EXPECT_LT(ProsodyTracker::Arousal(2, 0, 1, 0), ProsodyTracker::Arousal(4, 0, 1, 0));
  EXPECT_LT(ProsodyTracker::Arousal(0, 4, 1, 0), ProsodyTracker::Arousal(0, 8, 1, 0));
  EXPECT_LT(ProsodyTracker::Arousal(0, 0, 1, 0), ProsodyTracker::Arousal(0, 0, 1.3f, 0));
  EXPECT_GT(ProsodyTracker::Arousal(100, 100, 100, 100), 0.0f);
  EXPECT_LE(ProsodyTracker::Arousal(100, 100, 100, 100), 1.0f);
  EXPECT_GE(ProsodyTracker::Arousal(-100, -100, 0, -100), 0.0f);
}

TEST(ProsodyTracker, SilenceAndNonFiniteFramesGiveAStatusNeverAResult) {
  ProsodyTracker t(ProsodyConfig{});
  std::vector<float> frame(160, 0.0f);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(t.Process(frame).status, ProsodyFrameStatus::kSilence);
  auto turn = t.EndTurn();
  EXPECT_EQ(turn.status, ProsodyTurnStatus::kNoSpeech);
  EXPECT_EQ(turn.arousal, 0.0f);
  EXPECT_EQ(turn.speech_seconds, 0.0f);
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity(), 1e30f}) {
    std::fill(frame.begin(), frame.end(), 0.1f);
    frame[77] = bad;
    const auto r = t.Process(frame);
    EXPECT_EQ(r.status, ProsodyFrameStatus::kInvalidSamples) << bad;
    EXPECT_TRUE(std::isfinite(r.energy_dbfs));
    EXPECT_EQ(r.f0_hz, 0.0f);
  }
  std::fill(frame.begin(), frame.end(), std::numeric_limits<float>::quiet_NaN());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(t.Process(frame).status, ProsodyFrameStatus::kInvalidSamples);
  EXPECT_EQ(t.EndTurn().status, ProsodyTurnStatus::kNoSpeech);
  // Speech after the garbage is tracked as if nothing happened.
  Feed(t, Talk(2.0, 200.0, -25.0, 4.0));
  turn = t.EndTurn();
  ASSERT_EQ(turn.status, ProsodyTurnStatus::kOk);
  EXPECT_NEAR(turn.median_f0_hz, 200.0f, 6.0f);
  EXPECT_TRUE(std::isfinite(turn.arousal));
  // Full-scale int16 square waves and DC do not break anything either.
  std::vector<int16_t> loud(160);
  for (std::size_t i = 0; i < loud.size(); ++i) loud[i] = (i / 40) % 2 ? int16_t{-32768} : int16_t{32767};
  for (int i = 0; i < 50; ++i) EXPECT_NE(t.Process(loud).status, ProsodyFrameStatus::kInvalidSamples);
  std::fill(loud.begin(), loud.end(), int16_t{20000});
  for (int i = 0; i < 50; ++i) t.Process(loud);
  EXPECT_TRUE(std::isfinite(t.EndTurn().arousal));
}

TEST(ProsodyTracker, HumInThePausesIsNotSpeech) {
  // Digital silence, a second of voice at -20 dBFS, then a second of 100 Hz hum at -60 dBFS:
  // periodic, far above the floor the silence left and the -65 dBFS gate, but 40 dB under
  // the voice (37 dB under its peak a second later).
  ProsodyTracker t(ProsodyConfig{});
  std::vector<float> x(8000, 0.0f);
  const auto voice = Talk(1.0, 150.0, -20.0, 4.0, 1, true);
  const auto hum = Talk(1.0, 100.0, -60.0, 4.0, 2, true);
  x.insert(x.end(), voice.begin(), voice.end());
  const std::size_t hum_from = x.size();
  x.insert(x.end(), hum.begin(), hum.end());
  int hum_speech = 0;
  for (std::size_t i = 0; i + 160 <= x.size(); i += 160) {
    const auto r = t.Process(std::span(x).subspan(i, 160));
    if (i >= hum_from + 1600) hum_speech += r.status != ProsodyFrameStatus::kSilence;
  }
  EXPECT_EQ(hum_speech, 0);
  EXPECT_NEAR(t.EndTurn().median_f0_hz, 150.0f, 4.5f);
}

TEST(ProsodyTracker, SpeechFlagOverridesTheEnergyGate) {
  ProsodyTracker t(ProsodyConfig{});
  const auto x = Talk(1.0, 150.0, -20.0, 4.0, 1, true);
  for (std::size_t i = 0; i + 160 <= x.size(); i += 160) {
    EXPECT_EQ(t.Process(std::span(x).subspan(i, 160), 0.1f).status, ProsodyFrameStatus::kSilence);
  }
  EXPECT_EQ(t.EndTurn().status, ProsodyTurnStatus::kNoSpeech);
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  std::vector<float> frame(160);
  int unvoiced = 0;
  for (int f = 0; f < 100; ++f) {
    for (float& v : frame) v = noise(rng);
    unvoiced += t.Process(frame, 0.9f).status == ProsodyFrameStatus::kUnvoiced;
  }
  EXPECT_GE(unvoiced, 95);  // white noise flagged as speech: speech, but no pitch
  EXPECT_NEAR(t.EndTurn().speech_seconds, 1.0f, 1e-4f);
}

TEST(ProsodyTracker, LongTurnsKeepTheirLatestPart) {
  ProsodyTracker t(ProsodyConfig{16000, 10, 60.0f, 400.0f, 1.0f, 1.0f});
  Feed(t, Talk(2.0, 120.0, -25.0, 4.0, 1, true));
  Feed(t, Talk(2.0, 180.0, -25.0, 4.0, 2, true));
  const auto turn = t.EndTurn();
  EXPECT_TRUE(turn.truncated);
  EXPECT_NEAR(turn.median_f0_hz, 180.0f, 5.4f);  // the last second only
  EXPECT_NEAR(turn.pitch_semitones, 12.0f * std::log2(180.0f / 120.0f), 0.5f);
}

TEST(ProsodyTracker, PortableAndSimdKernelsAgree) {
  ProsodyTracker simd(ProsodyConfig{}), portable(ProsodyConfig{16000, 10, 60.0f, 400.0f, 8.0f, 60.0f, false});
  EXPECT_STREQ(portable.KernelName(), "portable");
  const auto x = Talk(1.0, 133.0, -25.0, 4.0);
  EXPECT_EQ(Feed(simd, x), Feed(portable, x));
}

TEST(ProsodyTracker, RejectsBadSettingsAndWrongFrames) {
  EXPECT_THROW(ProsodyTracker(ProsodyConfig{8000}), ConfigError);
  EXPECT_THROW(ProsodyTracker(ProsodyConfig{16000, 30}), ConfigError);
  EXPECT_THROW(ProsodyTracker(ProsodyConfig{16000, 10, 300.0f, 200.0f}), ConfigError);
  EXPECT_THROW(ProsodyTracker(ProsodyConfig{16000, 10, 40.0f, 400.0f}), ConfigError);
  EXPECT_THROW(ProsodyTracker(ProsodyConfig{16000, 10, 60.0f, 400.0f, 0.0f}), ConfigError);
  EXPECT_THROW(ProsodyTracker(ProsodyConfig{16000, 10, 60.0f, 400.0f, 8.0f, 0.5f}), ConfigError);
  ProsodyTracker ten(ProsodyConfig{16000, 10}), twenty(ProsodyConfig{16000, 20});
  EXPECT_EQ(ten.FrameSamples(), 160u);
  EXPECT_EQ(twenty.FrameSamples(), 320u);
  std::vector<float> f(320, 0.0f);
  std::vector<int16_t> s(320, 0);
  EXPECT_EQ(ten.Process(f).status, ProsodyFrameStatus::kWrongSize);
  EXPECT_EQ(ten.Process(std::span(s).first(100)).status, ProsodyFrameStatus::kWrongSize);
  EXPECT_EQ(twenty.Process(std::span(f).first(160)).status, ProsodyFrameStatus::kWrongSize);
  EXPECT_EQ(twenty.Process(s).status, ProsodyFrameStatus::kSilence);
}

TEST(ProsodyTracker, AllocatesNothingPerFrameOrTurn) {
  ProsodyTracker t(ProsodyConfig{16000, 20, 60.0f, 400.0f, 1.0f, 2.0f});
  const auto x = Talk(4.0, 150.0, -25.0, 4.0);
  std::vector<int16_t> pcm(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) pcm[i] = static_cast<int16_t>(x[i] * 32767.0f);
  std::vector<float> nan_frame(320, std::numeric_limits<float>::quiet_NaN());
  const auto before = cbcs::testing::AllocationCount();
  int voiced = 0;
  for (std::size_t i = 0; i + 320 <= x.size(); i += 320) {
    voiced += t.Process(std::span(x).subspan(i, 320)).status == ProsodyFrameStatus::kVoiced;
    t.Process(std::span<const int16_t>(pcm).subspan(i, 320), 0.8f);
    if (i % 32000 == 0) t.EndTurn();
  }
  t.Process(nan_frame);
  t.Process(std::span(nan_frame).first(10));
  t.EndTurn();
  t.Reset();
  EXPECT_EQ(cbcs::testing::AllocationCount(), before);
  EXPECT_GT(voiced, 100);  // the loop did real work
}

}  // namespace
}  // namespace cbcs::dsp
