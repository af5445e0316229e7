// Python bindings for cpp/fec: Reed-Solomon (numpy in and out, no copies, GIL released).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <array>
#include <mutex>
#include <string>

#include "cbcs/common/ConfigError.hpp"
#include "cbcs/fec/ReedSolomon.hpp"
#include "register.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace cbcs::bindings {
namespace {

// Below this many input bytes the work takes a few microseconds: releasing and retaking
// the GIL would cost more than it frees.
constexpr std::size_t kReleaseGilBytes = 256 * 1024;

[[noreturn]] void ThrowFrameError(const std::string& message) {
  static py::object frame_error = py::module_::import("cbcs.errors").attr("FrameError");
  PyErr_SetString(frame_error.ptr(), message.c_str());
  throw py::error_already_set();
}

std::string Describe(const py::handle& obj) {
  if (!py::isinstance<py::array>(obj)) {
    return std::string(py::str(py::type::of(obj).attr("__name__")));
  }
  const auto arr = py::reinterpret_borrow<py::array>(obj);
  std::string s = std::string(py::str(arr.dtype())) + "[";
  for (py::ssize_t i = 0; i < arr.ndim(); ++i) s += (i ? ", " : "") + std::to_string(arr.shape(i));
  s += "]";
  if (!(arr.flags() & py::array::c_style)) s += " (not C-contiguous)";
  return s;
}

bool IsUint8(const py::array& arr) {
  return arr.dtype().kind() == 'u' && arr.dtype().itemsize() == 1;
}

// Checks a C-contiguous uint8 array of `ndim` dims with the given leading size (-1: any).
py::array CheckBytes(const py::handle& obj, const char* name, py::ssize_t ndim,
                     py::ssize_t rows, py::ssize_t len, bool writable) {
  const std::string expected =
      ndim == 2 ? "uint8[" + (rows < 0 ? std::string("n") : std::to_string(rows)) + ", " +
                      (len < 0 ? std::string("L") : std::to_string(len)) + "]"
                : "uint8[" + (len < 0 ? std::string("L") : std::to_string(len)) + "]";
  if (!py::isinstance<py::array>(obj)) {
    ThrowFrameError(std::string(name) + ": expected " + expected + " (C-contiguous numpy), got " +
                    Describe(obj));
  }
  auto arr = py::reinterpret_borrow<py::array>(obj);
  bool ok = IsUint8(arr) && arr.ndim() == ndim && (arr.flags() & py::array::c_style);
  if (ok && ndim == 2 && rows >= 0 && arr.shape(0) != rows) ok = false;
  if (ok && len >= 0 && arr.shape(ndim - 1) != len) ok = false;
  if (ok && writable && !arr.writeable()) {
    ThrowFrameError(std::string(name) + ": expected a writable array");
  }
  if (!ok) {
    ThrowFrameError(std::string(name) + ": expected " + expected + " C-contiguous, got " +
                    Describe(obj));
  }
  return arr;
}

fec::GfKernel ParseKernel(const std::string& name) {
  for (fec::GfKernel k : {fec::GfKernel::kAuto, fec::GfKernel::kScalar, fec::GfKernel::kSsse3,
                          fec::GfKernel::kAvx2, fec::GfKernel::kAvx512Bw, fec::GfKernel::kGfni}) {
    if (fec::GfKernelName(k) == name) return k;
  }
  throw ConfigError("kernel: expected one of auto, scalar, ssse3, avx2, avx512bw, gfni, got '" +
                    name + "'");
}

// Owns the codec and serialises decodes (the matrix cache is mutable) once the GIL is off.
struct PyReedSolomon {
  PyReedSolomon(std::size_t k, std::size_t m, const std::string& kernel)
      : rs(k, m, ParseKernel(kernel)) {}
  fec::ReedSolomon rs;
  std::mutex decode_mutex;
};

py::array Encode(PyReedSolomon& self, const py::handle& data, const py::object& out) {
  const auto k = static_cast<py::ssize_t>(self.rs.DataShards());
  const auto m = static_cast<py::ssize_t>(self.rs.ParityShards());
  py::array in = CheckBytes(data, "data", 2, k, -1, false);
  const py::ssize_t len = in.shape(1);
  py::array parity = out.is_none() ? py::array(py::dtype::of<uint8_t>(), {m, len})
                                   : CheckBytes(out, "out", 2, m, len, true);
  std::array<const uint8_t*, fec::ReedSolomon::kMaxShards> src{};
  std::array<uint8_t*, fec::ReedSolomon::kMaxShards> dst{};
  const auto* base = static_cast<const uint8_t*>(in.data());
  auto* pbase = static_cast<uint8_t*>(parity.mutable_data());
  for (py::ssize_t j = 0; j < k; ++j) src[j] = base + j * len;
  for (py::ssize_t i = 0; i < m; ++i) dst[i] = pbase + i * len;
  const auto n = static_cast<std::size_t>(len);
  if (static_cast<std::size_t>(k) * n >= kReleaseGilBytes) {
    py::gil_scoped_release release;
    self.rs.Encode(src.data(), dst.data(), n);
  } else {
    self.rs.Encode(src.data(), dst.data(), n);
  }
  return parity;
}

py::array Decode(PyReedSolomon& self, const py::handle& shards_obj, const py::object& out) {
  const std::size_t k = self.rs.DataShards();
  const std::size_t total = k + self.rs.ParityShards();
  if (!py::isinstance<py::sequence>(shards_obj) || py::isinstance<py::array>(shards_obj)) {
    ThrowFrameError("shards: expected a list of " + std::to_string(total) +
                    " uint8[L] arrays or None, got " + Describe(shards_obj));
  }
  const auto shards = py::reinterpret_borrow<py::sequence>(shards_obj);
  if (shards.size() != total) {
    ThrowFrameError("shards: expected " + std::to_string(total) + " entries (k + m, None for lost), got " +
                    std::to_string(shards.size()));
  }
  std::array<const uint8_t*, fec::ReedSolomon::kMaxShards> src{};
  py::ssize_t len = -1;
  std::size_t present = 0;
  for (std::size_t i = 0; i < total; ++i) {
    const py::handle item = shards[i];  // the sequence keeps every shard alive
    if (item.is_none()) continue;
    const std::string name = "shards[" + std::to_string(i) + "]";
    py::array a = CheckBytes(item, name.c_str(), 1, -1, len, false);
    len = a.shape(0);
    src[i] = static_cast<const uint8_t*>(a.data());
    ++present;
  }
  if (present < k) {
    static py::object error = py::module_::import("cbcs.media.fec").attr("TooManyLossesError");
    const std::string msg = "decode: need at least " + std::to_string(k) + " of " +
                            std::to_string(total) + " shards, got " + std::to_string(present) +
                            " (more than m=" + std::to_string(total - k) + " lost)";
    PyErr_SetString(error.ptr(), msg.c_str());
    throw py::error_already_set();
  }
  const auto sk = static_cast<py::ssize_t>(k);
  py::array data = out.is_none() ? py::array(py::dtype::of<uint8_t>(), {sk, len})
                                 : CheckBytes(out, "out", 2, sk, len, true);
  std::array<uint8_t*, fec::ReedSolomon::kMaxShards> dst{};
  auto* dbase = static_cast<uint8_t*>(data.mutable_data());
  for (std::size_t j = 0; j < k; ++j) dst[j] = dbase + j * static_cast<std::size_t>(len);
  const auto n = static_cast<std::size_t>(len);
  if (k * n >= kReleaseGilBytes) {
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(self.decode_mutex);
    self.rs.Decode(src.data(), dst.data(), n);
  } else {
    std::lock_guard<std::mutex> lock(self.decode_mutex);
    self.rs.Decode(src.data(), dst.data(), n);
  }
  return data;
}

}  // namespace

void register_fec(py::module_& m) {
  py::class_<PyReedSolomon>(m, "ReedSolomon",
                            "Systematic MDS Reed-Solomon erasure code over GF(2^8).")
      .def(py::init<std::size_t, std::size_t, const std::string&>(), "k"_a, "m"_a,
           "kernel"_a = "auto")
      .def_property_readonly("k", [](const PyReedSolomon& s) { return s.rs.DataShards(); })
      .def_property_readonly("m", [](const PyReedSolomon& s) { return s.rs.ParityShards(); })
      .def_property_readonly(
          "kernel", [](const PyReedSolomon& s) { return std::string(fec::GfKernelName(s.rs.Kernel())); })
      .def_property_readonly("cache_hits", [](const PyReedSolomon& s) { return s.rs.CacheHits(); })
      .def_property_readonly("cache_misses",
                             [](const PyReedSolomon& s) { return s.rs.CacheMisses(); })
      .def("encode", &Encode, "data"_a, py::kw_only(), "out"_a = py::none(),
           "Parity uint8[m, L] of data uint8[k, L].")
      .def("decode", &Decode, "shards"_a, py::kw_only(), "out"_a = py::none(),
           "Data uint8[k, L] from k + m shards (None for lost).");
  m.def(
      "gf_kernels",
      [] {
        py::list names;
        for (fec::GfKernel k : {fec::GfKernel::kScalar, fec::GfKernel::kSsse3, fec::GfKernel::kAvx2,
                                fec::GfKernel::kAvx512Bw, fec::GfKernel::kGfni}) {
          if (fec::GfKernelSupported(k)) names.append(std::string(fec::GfKernelName(k)));
        }
        return names;
      },
      "Reed-Solomon kernels this CPU supports, slowest first.");
}

}  // namespace cbcs::bindings
