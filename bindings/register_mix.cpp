// Python bindings for cpp/mix (the room mixer behind cbcs.media.mix and cbcs.rtc.bridge).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cbcs/common/ConfigError.hpp"
#include "cbcs/mix/RoomMixer.hpp"
#include "register.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace cbcs::bindings {
namespace {

// int16[n], contiguous: the only audio push() takes (anything else: -1, nothing queued).
bool IsMonoInt16(const py::array& pcm) {
  return pcm.dtype().is(py::dtype::of<int16_t>()) && pcm.ndim() == 1 &&
         (pcm.shape(0) <= 1 || pcm.strides(0) == sizeof(int16_t));
}

}  // namespace

void register_mix(py::module_& m) {
  using mix::RoomMixer;
  py::class_<RoomMixer>(m, "RoomMixer",
                        "Speakers' audio queued, summed once per round, and every heard-by "
                        "mask's mix made from that sum (see cbcs.media.mix).")
      .def(py::init([](int max_speakers, int max_mixes, int max_round_samples,
                       int queue_samples) {
             return new RoomMixer(
                 {max_speakers, max_mixes, max_round_samples, queue_samples});
           }),
           py::kw_only(), "max_speakers"_a = 16, "max_mixes"_a = 32,
           "max_round_samples"_a = 960, "queue_samples"_a = 5760)
      .def(
          "push",
          [](RoomMixer& self, int speaker, const py::array& pcm) {
            if (!IsMonoInt16(pcm)) return -1;
            const auto* data = static_cast<const int16_t*>(pcm.data());
            return self.Push(speaker, {data, static_cast<std::size_t>(pcm.shape(0))});
          },
          "speaker"_a, "pcm"_a,
          "Queue a speaker's int16[n]; the oldest samples dropped to make room, or -1 (a "
          "slot out of range or not int16[n]: nothing queued).")
      .def("clear", &RoomMixer::Clear, "speaker"_a, "Drop what waits in a speaker's queue.")
      .def("queued", &RoomMixer::Queued, "speaker"_a)
      .def(
          "set_mixes",
          [](RoomMixer& self, const std::vector<uint64_t>& masks) {
            if (!self.SetMixes(masks)) {
              throw ConfigError("masks: expected at most " +
                                std::to_string(self.Config().max_mixes) + " mixes, got " +
                                std::to_string(masks.size()));
            }
          },
          "masks"_a,
          "The heard-by masks (bit s: speaker slot s) mixed from the next round on.")
      .def(
          "mix",
          [](RoomMixer& self, int n) {
            py::gil_scoped_release release;
            return self.Mix(n);
          },
          "n"_a, "One round of min(n, max_round_samples) samples; how many.")
      .def(
          "output",
          [](py::object self, int mix) {
            const RoomMixer& mixer = self.cast<const RoomMixer&>();
            const std::span<const int16_t> out = mixer.Output(mix);
            // a read-only view whose base is the mixer: valid until the next mix()
            py::array_t<int16_t> view({static_cast<py::ssize_t>(out.size())},
                                      {static_cast<py::ssize_t>(sizeof(int16_t))},
                                      out.empty() ? nullptr : out.data(), self);
            py::detail::array_proxy(view.ptr())->flags &=
                ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
            return view;
          },
          "mix"_a, "Mix ``mix`` of the last round (read-only, overwritten by the next mix()).")
      .def_property_readonly("mixes", &RoomMixer::Mixes)
      .def_property_readonly("active", &RoomMixer::Active,
                             "Mask of the speakers who had audio in the last round.")
      .def_property_readonly("round_samples", &RoomMixer::RoundSamples)
      .def_property_readonly("max_speakers",
                             [](const RoomMixer& r) { return r.Config().max_speakers; })
      .def_property_readonly("max_round_samples",
                             [](const RoomMixer& r) { return r.Config().max_round_samples; })
      .def_property_readonly("queue_samples",
                             [](const RoomMixer& r) { return r.Config().queue_samples; });
}

}  // namespace cbcs::bindings
