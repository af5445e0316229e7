// Python bindings for cpp/jitter: the adaptive jitter buffer behind cbcs.media.JitterBuffer.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <string>

#include "cbcs/jitter/JitterBuffer.hpp"
#include "register.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace cbcs::bindings {
namespace {

using jitter::JitterBuffer;
using jitter::Playout;
using jitter::PlayoutKind;
using jitter::PutStatus;

// Holds the core object plus the Python objects get() hands out, so a get() creates no
// C++ heap objects: the pcm array is one read-only view over the core's block buffer
// (overwritten by the next get()), kinds and statuses are the wrapper's enum members, and
// the result is an instance of the wrapper's Playout tuple type.
class PyJitterBuffer {
 public:
  PyJitterBuffer(const jitter::JitterConfig& config, py::tuple kinds, py::tuple statuses,
                 py::object playout_type)
      : core_(config), playout_type_(std::move(playout_type)) {
    if (kinds.size() != jitter::kPlayoutKindCount || statuses.size() != 5) {
      throw py::value_error("expected 7 playout kinds and 5 put statuses");
    }
    for (int i = 0; i < jitter::kPlayoutKindCount; ++i) kinds_[i] = kinds[i];
    for (int i = 0; i < 5; ++i) statuses_[i] = statuses[i];
    if (!PyType_Check(playout_type_.ptr()) ||
        !PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(playout_type_.ptr()), &PyTuple_Type)) {
      throw py::type_error("playout_type: expected a tuple subclass");
    }
  }

  void BindView(py::object self) {
    // The view's base is the Python object owning the core, so it can never dangle.
    const int16_t* first = core_.BlockBuffer();
    py::array_t<int16_t> view({core_.BlockSamples()}, {sizeof(int16_t)}, first, self);
    py::detail::array_proxy(view.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
    view_ = view;
  }

  jitter::JitterBuffer& Core() noexcept { return core_; }

  py::object Put(py::handle seq, py::handle timestamp, py::handle pcm, py::handle arrival) {
    const int s = PutChecked(seq, timestamp, pcm, arrival);
    return py::reinterpret_borrow<py::object>(statuses_[s]);
  }

  py::object Get(double now_ms) {
    const Playout p = core_.Get(now_ms);
    PyObject* fields = PyTuple_New(5);
    if (fields == nullptr) throw py::error_already_set();
    Py_INCREF(view_.ptr());
    PyTuple_SET_ITEM(fields, 0, view_.ptr());
    if (p.has_timestamp) {
      PyTuple_SET_ITEM(fields, 1, PyLong_FromUnsignedLong(p.timestamp));
    } else {
      Py_INCREF(Py_None);
      PyTuple_SET_ITEM(fields, 1, Py_None);
    }
    PyTuple_SET_ITEM(fields, 2, PyLong_FromLong(p.source_samples));
    PyObject* kind = kinds_[static_cast<int>(p.kind)].ptr();
    Py_INCREF(kind);
    PyTuple_SET_ITEM(fields, 3, kind);
    PyTuple_SET_ITEM(fields, 4, PyFloat_FromDouble(p.target_delay_ms));
    // tuple.__new__(Playout, fields): a NamedTuple instance without a Python-level call.
    PyObject* args = PyTuple_Pack(1, fields);
    Py_DECREF(fields);
    if (args == nullptr) throw py::error_already_set();
    auto* type = reinterpret_cast<PyTypeObject*>(playout_type_.ptr());
    PyObject* result = PyTuple_Type.tp_new(type, args, nullptr);
    Py_DECREF(args);
    if (result == nullptr) throw py::error_already_set();
    return py::reinterpret_steal<py::object>(result);
  }

  py::dict Stats() const {
    const jitter::JitterStats s = core_.Stats();
    py::dict d;
    d["target_delay_ms"] = s.target_delay_ms;
    d["current_delay_ms"] = s.current_delay_ms;
    d["packets_received"] = s.packets_received;
    d["late_packets"] = s.late_packets;
    d["lost_packets"] = s.lost_packets;
    d["duplicate_packets"] = s.duplicate_packets;
    d["invalid_packets"] = s.invalid_packets;
    d["flushed_packets"] = s.flushed_packets;
    d["overflow_packets"] = s.overflow_packets;
    d["reordered_packets"] = s.reordered_packets;
    d["stream_resets"] = s.stream_resets;
    d["concealed_ms"] = s.concealed_ms;
    d["accelerated_ms"] = s.accelerated_ms;
    d["expanded_ms"] = s.expanded_ms;
    d["comfort_noise_ms"] = s.comfort_noise_ms;
    py::dict counts;
    for (int i = 0; i < jitter::kPlayoutKindCount; ++i) counts[kinds_[i]] = s.kind_counts[i];
    d["kind_counts"] = counts;
    return d;
  }

  double TargetDelayMs() const { return core_.TargetDelayMs(); }
  int SampleRate() const { return core_.SampleRate(); }
  int BlockSamples() const { return core_.BlockSamples(); }

 private:
  int Invalid() {
    core_.CountInvalid();
    return static_cast<int>(PutStatus::kInvalid);
  }

  // Python int or anything with __index__ (numpy integers); floats and strings are not.
  static bool AsInteger(py::handle h, long long* out) {
    PyObject* obj = h.ptr();
    PyObject* owned = nullptr;
    if (!PyLong_Check(obj)) {
      if (!PyIndex_Check(obj)) return false;
      owned = PyNumber_Index(obj);
      if (owned == nullptr) {
        PyErr_Clear();
        return false;
      }
      obj = owned;
    }
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(obj, &overflow);
    Py_XDECREF(owned);
    if (overflow != 0 || (v == -1 && PyErr_Occurred())) {
      PyErr_Clear();
      return false;
    }
    *out = v;
    return true;
  }

  // Per-packet: every kind of garbage is a counted INVALID, never an exception.
  int PutChecked(py::handle seq_h, py::handle ts_h, py::handle pcm_h, py::handle arrival_h) {
    long long seq = 0, ts = 0;
    if (!AsInteger(seq_h, &seq) || !AsInteger(ts_h, &ts)) return Invalid();
    double arrival = 0.0;
    if (PyFloat_Check(arrival_h.ptr())) {
      arrival = PyFloat_AS_DOUBLE(arrival_h.ptr());
    } else if (PyLong_Check(arrival_h.ptr())) {
      arrival = PyLong_AsDouble(arrival_h.ptr());
      if (arrival == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return Invalid();
      }
    } else {
      // numpy scalars and other reals
      PyObject* f = PyNumber_Float(arrival_h.ptr());
      if (f == nullptr) {
        PyErr_Clear();
        return Invalid();
      }
      arrival = PyFloat_AS_DOUBLE(f);
      Py_DECREF(f);
    }
    // int16, C-contiguous, one dimension: no silent conversion of anything else.
    if (!py::array_t<int16_t, py::array::c_style>::check_(pcm_h)) return Invalid();
    auto arr = py::reinterpret_borrow<py::array>(pcm_h);
    if (arr.ndim() != 1) return Invalid();
    const auto* data = static_cast<const int16_t*>(arr.data());
    return static_cast<int>(core_.Put(seq, ts, data, arr.shape(0), arrival));
  }

  JitterBuffer core_;
  py::object playout_type_;
  py::object view_;
  py::object kinds_[jitter::kPlayoutKindCount];
  py::object statuses_[5];
};

}  // namespace

jitter::JitterBuffer& core_jitter_buffer(py::handle jitter_buffer) {
  return jitter_buffer.cast<PyJitterBuffer&>().Core();
}

void register_jitter(py::module_& m) {
  py::class_<PyJitterBuffer>(m, "JitterBuffer")
      .def(py::init([](int sample_rate, int min_delay_ms, int max_delay_ms, double quantile,
                       double forget_ms, double margin_ms, py::tuple kinds, py::tuple statuses,
                       py::object playout_type) {
             jitter::JitterConfig c;
             c.sample_rate = sample_rate;
             c.min_delay_ms = min_delay_ms;
             c.max_delay_ms = max_delay_ms;
             c.quantile = quantile;
             c.forget_ms = forget_ms;
             c.margin_ms = margin_ms;
             return new PyJitterBuffer(c, std::move(kinds), std::move(statuses),
                                       std::move(playout_type));
           }),
           "sample_rate"_a, "min_delay_ms"_a, "max_delay_ms"_a, "quantile"_a, "forget_ms"_a,
           "margin_ms"_a, "kinds"_a, "statuses"_a, "playout_type"_a)
      .def("_bind_view", [](py::object self) { self.cast<PyJitterBuffer&>().BindView(self); })
      .def("put", &PyJitterBuffer::Put, "seq"_a, "timestamp"_a, "pcm"_a, "arrival_ms"_a,
           "Insert one packet; returns a PutStatus (never raises for bad packets).")
      .def("get", &PyJitterBuffer::Get, "now_ms"_a,
           "The next 10 ms block as a Playout; its pcm is valid until the next get().")
      .def("stats", &PyJitterBuffer::Stats)
      .def("target_delay_ms", &PyJitterBuffer::TargetDelayMs)
      .def_property_readonly("sample_rate", &PyJitterBuffer::SampleRate)
      .def_property_readonly("block_samples", &PyJitterBuffer::BlockSamples);
}

}  // namespace cbcs::bindings
