// Python bindings for cpp/netsim (link emulator).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "cbcs/netsim/Link.hpp"
#include "register.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace cbcs::bindings {
namespace {

template <typename T>
py::array_t<T> RequireVector(const py::array& a, const char* name, const char* dtype) {
  if (!py::isinstance<py::array_t<T>>(a) || a.ndim() != 1) {
    throw py::type_error(std::string(name) + ": expected a 1-D " + dtype + " array, got " +
                         std::string(py::str(a.dtype())) + " with " + std::to_string(a.ndim()) +
                         " dimension(s)");
  }
  // C-contiguous view of the same data (copies only for strided input; never converts dtype).
  return py::array_t<T, py::array::c_style>::ensure(a);
}

}  // namespace

void register_netsim(py::module_& m) {
  py::enum_<netsim::JitterDistribution>(m, "JitterDistribution")
      .value("gaussian", netsim::JitterDistribution::kGaussian)
      .value("heavy_tailed", netsim::JitterDistribution::kHeavyTailed);

  py::class_<netsim::Link>(m, "Link")
      .def(py::init([](double base_delay_ms, double jitter_ms, netsim::JitterDistribution dist,
                       double spike_probability, double spike_ms, double loss_rate, double mean_burst,
                       double bandwidth_bps, double queue_ms, bool reorder, uint64_t seed) {
             netsim::LinkParams p;
             p.base_delay_ms = base_delay_ms;
             p.jitter_ms = jitter_ms;
             p.jitter_distribution = dist;
             p.spike_probability = spike_probability;
             p.spike_ms = spike_ms;
             p.loss_rate = loss_rate;
             p.mean_burst = mean_burst;
             p.bandwidth_bps = bandwidth_bps;
             p.queue_ms = queue_ms;
             p.reorder = reorder;
             return netsim::Link(p, seed);
           }),
           py::kw_only(), "base_delay_ms"_a, "jitter_ms"_a, "jitter_distribution"_a,
           "spike_probability"_a, "spike_ms"_a, "loss_rate"_a, "mean_burst"_a, "bandwidth_bps"_a,
           "queue_ms"_a, "reorder"_a, "seed"_a)
      .def("send", &netsim::Link::Send, "send_ms"_a, "size_bytes"_a,
           "Arrival time (ms) of one packet, NaN when lost, dropped or invalid.")
      .def(
          "transmit",
          [](netsim::Link& link, const py::array& send_ms, const py::array& size_bytes) {
            auto send = RequireVector<double>(send_ms, "send_ms", "float64");
            auto sizes = RequireVector<int32_t>(size_bytes, "size_bytes", "int32");
            if (send.size() != sizes.size()) {
              throw py::value_error("size_bytes: expected " + std::to_string(send.size()) +
                                    " entries (one per packet), got " + std::to_string(sizes.size()));
            }
            py::array_t<double> out(send.size());
            const std::span<const double> s(send.data(), send.size());
            const std::span<const int32_t> z(sizes.data(), sizes.size());
            const std::span<double> o(out.mutable_data(), out.size());
            {
              py::gil_scoped_release release;
              link.Transmit(s, z, o);
            }
            return out;
          },
          "send_ms"_a, "size_bytes"_a, "Arrival times (ms) of a send schedule; NaN where lost.")
      .def("stats", [](const netsim::Link& link) {
        const auto& s = link.stats();
        return py::dict("sent"_a = s.sent, "delivered"_a = s.delivered, "lost"_a = s.lost,
                        "dropped"_a = s.dropped, "invalid"_a = s.invalid);
      });
}

}  // namespace cbcs::bindings
