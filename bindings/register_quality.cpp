// Python bindings for cpp/quality (ITU-T G.107 E-model).
#include <pybind11/pybind11.h>

#include "cbcs/quality/EModel.hpp"
#include "register.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace cbcs::bindings {

void register_quality(py::module_& m) {
  py::class_<quality::EModelResult>(m, "EModelResult")
      .def_readonly("r", &quality::EModelResult::r)
      .def_readonly("mos", &quality::EModelResult::mos)
      .def_readonly("delay_impairment", &quality::EModelResult::delay_impairment)
      .def_readonly("equipment_impairment", &quality::EModelResult::equipment_impairment)
      .def("__repr__", [](const quality::EModelResult& r) {
        return "EModelResult(r=" + std::to_string(r.r) + ", mos=" + std::to_string(r.mos) + ")";
      });
  m.def(
      "emodel",
      [](double one_way_delay_ms, double loss_percent, double burst_ratio, double codec_ie,
         double codec_bpl, double advantage) {
        return quality::EvaluateEModel(
            {one_way_delay_ms, loss_percent, burst_ratio, {codec_ie, codec_bpl}, advantage});
      },
      "one_way_delay_ms"_a, "loss_percent"_a, "burst_ratio"_a, "codec_ie"_a, "codec_bpl"_a,
      "advantage"_a);
  m.def("mos_from_r", &quality::MosFromR, "r"_a);
  m.def("burst_ratio", &quality::BurstRatio, "loss_fraction"_a, "mean_burst_packets"_a);
}

}  // namespace cbcs::bindings
