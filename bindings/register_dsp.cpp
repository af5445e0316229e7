// Python bindings for cpp/dsp: Denoiser, Vad, Agc, Resampler and ProsodyTracker over numpy arrays.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cbcs/dsp/Agc.hpp"
#include "cbcs/dsp/Denoiser.hpp"
#include "cbcs/dsp/Prosody.hpp"
#include "cbcs/dsp/Vad.hpp"
#include "cbcs/dsp/Resampler.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace cbcs::bindings {
namespace {

constexpr int kNpyFloat32 = py::detail::npy_api::NPY_FLOAT_;
constexpr int kNpyInt16 = py::detail::npy_api::NPY_SHORT_;
constexpr int kNpyUint8 = py::detail::npy_api::NPY_UBYTE_;

std::string Describe(const py::array& a) {
  std::string s = py::str(a.dtype()).cast<std::string>() + "[";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + "]";
}

[[noreturn]] void RaiseFrameError(const std::string& message) {
  static py::object frame_error = py::module_::import("cbcs.errors").attr("FrameError");
  PyErr_SetString(frame_error.ptr(), message.c_str());
  throw py::error_already_set();
}

// Which of the two sample formats a 1-D contiguous array holds; raises FrameError for
// anything else (no silent conversion). expect == 0 accepts any length.
int CheckAudio(const py::array& a, const char* what, py::ssize_t expect) {
  const int num = a.dtype().num();
  const bool ok_dtype = num == kNpyFloat32 || num == kNpyInt16;
  const bool ok_shape = a.ndim() == 1 && (expect == 0 || a.shape(0) == expect);
  if (!ok_dtype || !ok_shape) {
    const std::string len = expect == 0 ? "n" : std::to_string(expect);
    RaiseFrameError(std::string(what) + ": expected float32[" + len + "] or int16[" + len + "], got " +
                    Describe(a));
  }
  if (!(a.flags() & py::array::c_style)) {
    RaiseFrameError(std::string(what) + ": expected a contiguous array, got a strided view of " + Describe(a));
  }
  return num;
}

void CheckOut(const py::array& in, const py::array& out, const char* what) {
  if (out.dtype().num() != in.dtype().num() || out.ndim() != 1 || out.shape(0) != in.shape(0) ||
      !(out.flags() & py::array::c_style) || !out.writeable()) {
    RaiseFrameError(std::string(what) + ": expected a writeable contiguous " + Describe(in) + ", got " +
                    Describe(out));
  }
}

// Frames in `samples` for a processor of `hop` samples per frame; `probabilities` must hold one
// float32 per frame.
std::size_t CheckProbabilities(const py::array& samples, std::size_t hop,
                               const py::array_t<float>& probabilities) {
  const std::size_t frames = static_cast<std::size_t>(samples.shape(0)) / hop;
  if (probabilities.ndim() != 1 || static_cast<std::size_t>(probabilities.shape(0)) != frames) {
    RaiseFrameError("probabilities: expected float32[" + std::to_string(frames) + "], got " +
                    Describe(probabilities));
  }
  return frames;
}

void RegisterDenoiser(py::module_& m) {
  py::class_<dsp::Denoiser>(m, "Denoiser", "Causal noise suppressor on 10 ms frames (see cbcs.media.Denoiser).")
      .def(py::init([](int sample_rate, float suppression_db, bool allow_simd, const py::bytes& model) {
             const std::string_view blob(model);
             return new dsp::Denoiser(dsp::DenoiserConfig{
                 sample_rate, suppression_db, allow_simd,
                 std::span(reinterpret_cast<const std::uint8_t*>(blob.data()), blob.size())});
           }),
           py::arg("sample_rate") = 16000, py::arg("suppression_db") = 20.0f, py::arg("allow_simd") = true,
           py::arg("model") = py::bytes())
      .def_property_readonly("has_model", &dsp::Denoiser::HasModel)
      .def(
          "features_buffer",
          [](dsp::Denoiser& self, const py::array& samples, py::array_t<float>& features) {
            if (samples.dtype().num() != kNpyFloat32 || samples.ndim() != 1 || !(samples.flags() & py::array::c_style)) {
              RaiseFrameError("samples: expected contiguous float32[n], got " + Describe(samples));
            }
            const std::size_t hop = self.FrameSamples();
            const std::size_t frames = static_cast<std::size_t>(samples.shape(0)) / hop;
            const std::size_t nf = dsp::Denoiser::kFeatures;
            if (features.ndim() != 2 || static_cast<std::size_t>(features.shape(0)) != frames ||
                static_cast<std::size_t>(features.shape(1)) != nf || !(features.flags() & py::array::c_style)) {
              RaiseFrameError("features: expected float32[" + std::to_string(frames) + ", " + std::to_string(nf) +
                              "], got " + Describe(features));
            }
            const float* src = static_cast<const float*>(samples.data());
            float* dst = features.mutable_data();
            py::gil_scoped_release release;
            std::vector<float> scratch(hop);
            for (std::size_t f = 0; f < frames; ++f) {
              self.Process(std::span(src + f * hop, hop), scratch);
              const auto feat = self.Features();
              std::copy(feat.begin(), feat.end(), dst + f * nf);
            }
          },
          py::arg("samples"), py::arg("features"),
          "Run the denoiser over samples and record each frame's model features (for training).")
      .def_property_readonly("sample_rate", &dsp::Denoiser::SampleRate)
      .def_property_readonly("frame_samples", &dsp::Denoiser::FrameSamples)
      .def_property_readonly("delay_samples", &dsp::Denoiser::DelaySamples)
      .def_property_readonly("speech_probability", &dsp::Denoiser::SpeechProbability)
      .def_property_readonly("kernel", &dsp::Denoiser::KernelName)
      .def_property("suppression_db", &dsp::Denoiser::SuppressionDb, &dsp::Denoiser::SetSuppressionDb)
      .def(
          "process_into",
          [](dsp::Denoiser& self, const py::array& frame, py::array& out) {
            const int kind = CheckAudio(frame, "frame", static_cast<py::ssize_t>(self.FrameSamples()));
            CheckOut(frame, out, "out");
            const std::size_t n = self.FrameSamples();
            if (kind == kNpyFloat32) {
              self.Process(std::span(static_cast<const float*>(frame.data()), n),
                           std::span(static_cast<float*>(out.mutable_data()), n));
            } else {
              self.Process(std::span(static_cast<const int16_t*>(frame.data()), n),
                           std::span(static_cast<int16_t*>(out.mutable_data()), n));
            }
          },
          py::arg("frame"), py::arg("out"), "Denoise one frame into out (same dtype and length).")
      .def(
          "process_buffer",
          [](dsp::Denoiser& self, const py::array& samples, py::array& out, py::array_t<float>& probabilities) {
            const int kind = CheckAudio(samples, "samples", 0);
            CheckOut(samples, out, "out");
            const std::size_t hop = self.FrameSamples();
            const std::size_t frames = CheckProbabilities(samples, hop, probabilities);
            float* prob = probabilities.mutable_data();
            const void* src = samples.data();
            void* dst = out.mutable_data();
            py::gil_scoped_release release;
            for (std::size_t f = 0; f < frames; ++f) {
              if (kind == kNpyFloat32) {
                self.Process(std::span(static_cast<const float*>(src) + f * hop, hop),
                             std::span(static_cast<float*>(dst) + f * hop, hop));
              } else {
                self.Process(std::span(static_cast<const int16_t*>(src) + f * hop, hop),
                             std::span(static_cast<int16_t*>(dst) + f * hop, hop));
              }
              prob[f] = self.SpeechProbability();
            }
          },
          py::arg("samples"), py::arg("out"), py::arg("probabilities"),
          "Denoise every whole frame of samples (GIL released); the tail shorter than a frame is left "
          "untouched in out.")
      .def("reset", &dsp::Denoiser::Reset);
}

void RegisterResampler(py::module_& m) {
  py::class_<dsp::Resampler>(m, "Resampler", "Streaming polyphase resampler (see cbcs.media.Resampler).")
      .def(py::init<int, int, bool>(), py::arg("input_rate"), py::arg("output_rate"), py::arg("allow_simd") = true)
      .def_property_readonly("input_rate", &dsp::Resampler::InputRate)
      .def_property_readonly("output_rate", &dsp::Resampler::OutputRate)
      .def_property_readonly("delay_samples", &dsp::Resampler::DelaySamples)
      .def_property_readonly("delay_seconds", &dsp::Resampler::DelaySeconds)
      .def_property_readonly("kernel", &dsp::Resampler::KernelName)
      .def("output_count", &dsp::Resampler::OutputCount, py::arg("input_count"))
      .def(
          "process_into",
          [](dsp::Resampler& self, const py::array& samples, py::array_t<float>& out) {
            if (samples.dtype().num() != kNpyFloat32 || samples.ndim() != 1 ||
                !(samples.flags() & py::array::c_style)) {
              RaiseFrameError("samples: expected contiguous float32[n], got " + Describe(samples));
            }
            const std::size_t n = static_cast<std::size_t>(samples.shape(0));
            const std::size_t want = self.OutputCount(n);
            if (out.ndim() != 1 || static_cast<std::size_t>(out.shape(0)) != want || !out.writeable()) {
              RaiseFrameError("out: expected float32[" + std::to_string(want) + "], got " + Describe(out));
            }
            const float* src = static_cast<const float*>(samples.data());
            float* dst = out.mutable_data();
            py::gil_scoped_release release;
            return self.Process(std::span(src, n), std::span(dst, want));
          },
          py::arg("samples"), py::arg("out"), "Resample samples into out (output_count(len) values).")
      .def("reset", &dsp::Resampler::Reset);
}

std::span<const std::uint8_t> BlobOf(const std::string_view& blob) {
  return std::span(reinterpret_cast<const std::uint8_t*>(blob.data()), blob.size());
}

void RegisterVad(py::module_& m) {
  py::class_<dsp::Vad>(m, "Vad", "Voice activity detector on 10 ms frames (see cbcs.media.Vad).")
      .def(py::init([](int sample_rate, float threshold, std::size_t hangover_frames, bool allow_simd,
                       const py::bytes& model) {
             const std::string_view blob(model);
             return new dsp::Vad(dsp::VadConfig{sample_rate, threshold, hangover_frames, allow_simd, BlobOf(blob)});
           }),
           py::arg("sample_rate") = 16000, py::arg("threshold") = 0.5f, py::arg("hangover_frames") = 8,
           py::arg("allow_simd") = true, py::arg("model") = py::bytes())
      .def_property_readonly("frame_samples", &dsp::Vad::FrameSamples)
      .def_property_readonly("probability", &dsp::Vad::Probability)
      .def_property_readonly("is_speech", &dsp::Vad::IsSpeech)
      .def(
          "process",
          [](dsp::Vad& self, const py::array& frame) {
            const int kind = CheckAudio(frame, "frame", static_cast<py::ssize_t>(self.FrameSamples()));
            const std::size_t n = self.FrameSamples();
            return kind == kNpyFloat32 ? self.Process(std::span(static_cast<const float*>(frame.data()), n))
                                       : self.Process(std::span(static_cast<const int16_t*>(frame.data()), n));
          },
          py::arg("frame"), "Speech probability of one frame.")
      .def(
          "process_buffer",
          [](dsp::Vad& self, const py::array& samples, py::array_t<float>& probabilities) {
            const int kind = CheckAudio(samples, "samples", 0);
            const std::size_t hop = self.FrameSamples();
            const std::size_t frames = CheckProbabilities(samples, hop, probabilities);
            float* prob = probabilities.mutable_data();
            const void* src = samples.data();
            py::gil_scoped_release release;
            for (std::size_t f = 0; f < frames; ++f) {
              prob[f] = kind == kNpyFloat32
                            ? self.Process(std::span(static_cast<const float*>(src) + f * hop, hop))
                            : self.Process(std::span(static_cast<const int16_t*>(src) + f * hop, hop));
            }
          },
          py::arg("samples"), py::arg("probabilities"), "Speech probability of every whole frame (GIL released).")
      .def("reset", &dsp::Vad::Reset);
}

void RegisterAgc(py::module_& m) {
  py::class_<dsp::Agc>(m, "Agc", "Automatic gain control with a limiter (see cbcs.media.Agc).")
      .def(py::init([](int sample_rate, float target_dbfs, float max_gain_db, float min_gain_db, float limit_dbfs,
                       float attack_ms) {
             return new dsp::Agc(
                 dsp::AgcConfig{sample_rate, target_dbfs, max_gain_db, min_gain_db, limit_dbfs, attack_ms});
           }),
           py::arg("sample_rate") = 16000, py::arg("target_dbfs") = -20.0f, py::arg("max_gain_db") = 30.0f,
           py::arg("min_gain_db") = -20.0f, py::arg("limit_dbfs") = -1.0f, py::arg("attack_ms") = 400.0f)
      .def_property_readonly("frame_samples", &dsp::Agc::FrameSamples)
      .def_property_readonly("gain_db", &dsp::Agc::GainDb)
      .def_property_readonly("speech_level_dbfs", &dsp::Agc::SpeechLevelDbfs)
      .def(
          "process_into",
          [](dsp::Agc& self, const py::array& frame, py::array& out, float speech_probability) {
            const int kind = CheckAudio(frame, "frame", static_cast<py::ssize_t>(self.FrameSamples()));
            CheckOut(frame, out, "out");
            const std::size_t n = self.FrameSamples();
            if (kind == kNpyFloat32) {
              self.Process(std::span(static_cast<const float*>(frame.data()), n),
                           std::span(static_cast<float*>(out.mutable_data()), n), speech_probability);
            } else {
              self.Process(std::span(static_cast<const int16_t*>(frame.data()), n),
                           std::span(static_cast<int16_t*>(out.mutable_data()), n), speech_probability);
            }
          },
          py::arg("frame"), py::arg("out"), py::arg("speech_probability") = -1.0f,
          "Apply the gain to one frame; speech_probability < 0 uses the built-in level detector.")
      .def("reset", &dsp::Agc::Reset);
}

// A writeable contiguous 1-D array of `frames` values of one dtype, or (optional) empty.
void CheckFrameArray(const py::array& a, int num, const char* dtype, std::size_t frames, const char* what,
                     bool writeable, bool optional = false) {
  const bool empty_ok = optional && a.ndim() == 1 && a.shape(0) == 0;
  const bool ok = a.dtype().num() == num && a.ndim() == 1 && (a.flags() & py::array::c_style) &&
                  (!writeable || a.writeable()) &&
                  (static_cast<std::size_t>(a.shape(0)) == frames || empty_ok);
  if (!ok) {
    RaiseFrameError(std::string(what) + ": expected " + (writeable ? "a writeable contiguous " : "contiguous ") +
                    dtype + "[" + std::to_string(frames) + "]" + (optional ? " or " + std::string(dtype) + "[0]" : "") +
                    ", got " + Describe(a));
  }
}

void RegisterProsody(py::module_& m) {
  using dsp::ProsodyTracker;
  using dsp::ProsodyTurn;
  py::class_<ProsodyTurn>(m, "ProsodyTurn", "One turn's prosody against the caller's baseline (see cbcs.media.ProsodyTurn).")
      .def_property_readonly("status", [](const ProsodyTurn& t) { return static_cast<int>(t.status); })
      .def_readonly("speech_seconds", &ProsodyTurn::speech_seconds)
      .def_readonly("voiced_seconds", &ProsodyTurn::voiced_seconds)
      .def_readonly("median_f0_hz", &ProsodyTurn::median_f0_hz)
      .def_readonly("f0_spread_semitones", &ProsodyTurn::f0_spread_semitones)
      .def_readonly("energy_dbfs", &ProsodyTurn::energy_dbfs)
      .def_readonly("rate_per_second", &ProsodyTurn::rate_per_second)
      .def_readonly("pitch_semitones", &ProsodyTurn::pitch_semitones)
      .def_readonly("spread_semitones", &ProsodyTurn::spread_semitones)
      .def_readonly("energy_db", &ProsodyTurn::energy_db)
      .def_readonly("rate_ratio", &ProsodyTurn::rate_ratio)
      .def_readonly("arousal", &ProsodyTurn::arousal)
      .def_readonly("baseline_voiced_seconds", &ProsodyTurn::baseline_voiced_seconds)
      .def_readonly("baseline_complete", &ProsodyTurn::baseline_complete)
      .def_readonly("truncated", &ProsodyTurn::truncated);
  py::class_<ProsodyTracker>(m, "ProsodyTracker",
                             "Pitch, level and speaking rate per frame, turns against a baseline (see cbcs.media.Prosody).")
      .def(py::init([](int sample_rate, int frame_ms, float min_f0_hz, float max_f0_hz, float baseline_seconds,
                       float max_turn_seconds, bool allow_simd) {
             return new ProsodyTracker(dsp::ProsodyConfig{sample_rate, frame_ms, min_f0_hz, max_f0_hz,
                                                          baseline_seconds, max_turn_seconds, allow_simd});
           }),
           py::arg("sample_rate") = 16000, py::arg("frame_ms") = 10, py::arg("min_f0_hz") = 60.0f,
           py::arg("max_f0_hz") = 400.0f, py::arg("baseline_seconds") = 8.0f, py::arg("max_turn_seconds") = 60.0f,
           py::arg("allow_simd") = true)
      .def_property_readonly("frame_samples", &ProsodyTracker::FrameSamples)
      .def_property_readonly("baseline_voiced_seconds", &ProsodyTracker::BaselineVoicedSeconds)
      .def_property_readonly("baseline_complete", &ProsodyTracker::BaselineComplete)
      .def_property_readonly("kernel", &ProsodyTracker::KernelName)
      .def(
          "process",
          [](ProsodyTracker& self, const py::array& frame, float speech_probability) {
            const int kind = CheckAudio(frame, "frame", static_cast<py::ssize_t>(self.FrameSamples()));
            const std::size_t n = self.FrameSamples();
            const dsp::ProsodyFrame r =
                kind == kNpyFloat32
                    ? self.Process(std::span(static_cast<const float*>(frame.data()), n), speech_probability)
                    : self.Process(std::span(static_cast<const int16_t*>(frame.data()), n), speech_probability);
            return py::make_tuple(static_cast<int>(r.status), r.f0_hz, r.energy_dbfs, r.periodicity);
          },
          py::arg("frame"), py::arg("speech_probability") = -1.0f,
          "One frame: (status, f0_hz, energy_dbfs, periodicity); speech_probability < 0 uses the energy gate.")
      .def(
          "process_buffer",
          [](ProsodyTracker& self, const py::array& samples, const py::array& probabilities, py::array& statuses,
             py::array& f0, py::array& energy) {
            const int kind = CheckAudio(samples, "samples", 0);
            const std::size_t hop = self.FrameSamples();
            const std::size_t frames = static_cast<std::size_t>(samples.shape(0)) / hop;
            CheckFrameArray(probabilities, kNpyFloat32, "float32", frames, "probabilities", false, true);
            CheckFrameArray(statuses, kNpyUint8, "uint8", frames, "statuses", true);
            CheckFrameArray(f0, kNpyFloat32, "float32", frames, "f0", true);
            CheckFrameArray(energy, kNpyFloat32, "float32", frames, "energy", true);
            const float* prob = probabilities.shape(0) == 0 ? nullptr : static_cast<const float*>(probabilities.data());
            auto* status_out = static_cast<std::uint8_t*>(statuses.mutable_data());
            auto* f0_out = static_cast<float*>(f0.mutable_data());
            auto* energy_out = static_cast<float*>(energy.mutable_data());
            const void* src = samples.data();
            py::gil_scoped_release release;
            for (std::size_t f = 0; f < frames; ++f) {
              const float p = prob ? prob[f] : -1.0f;
              const dsp::ProsodyFrame r =
                  kind == kNpyFloat32 ? self.Process(std::span(static_cast<const float*>(src) + f * hop, hop), p)
                                      : self.Process(std::span(static_cast<const int16_t*>(src) + f * hop, hop), p);
              status_out[f] = static_cast<std::uint8_t>(r.status);
              f0_out[f] = r.f0_hz;
              energy_out[f] = r.energy_dbfs;
            }
          },
          py::arg("samples"), py::arg("probabilities"), py::arg("statuses"), py::arg("f0"), py::arg("energy"),
          "Every whole frame of samples (GIL released): status, F0 and level per frame into the arrays; "
          "probabilities float32[0] uses the energy gate.")
      .def("end_turn", &ProsodyTracker::EndTurn, "The turn since the last end_turn; starts the next one.")
      .def_static("arousal", &ProsodyTracker::Arousal, py::arg("pitch_semitones"), py::arg("energy_db"),
                  py::arg("rate_ratio"), py::arg("spread_semitones"), "The arousal score end_turn reports.")
      .def("reset", &ProsodyTracker::Reset, "Forget everything, the baseline included (a new caller).");
}

}  // namespace

void register_dsp(py::module_& m) {
  RegisterDenoiser(m);
  RegisterResampler(m);
  RegisterVad(m);
  RegisterAgc(m);
  RegisterProsody(m);
}

}  // namespace cbcs::bindings
