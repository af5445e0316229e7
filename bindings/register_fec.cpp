// Python bindings for cpp/fec: Reed-Solomon (numpy in and out, no copies, GIL released).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <array>
#include <mutex>
#include <string>

#include <pybind11/stl.h>

#include <optional>
#include <vector>

#include "cbcs/common/ConfigError.hpp"
#include "cbcs/fec/FecGroupDecoder.hpp"
#include "cbcs/fec/FecGroupEncoder.hpp"
#include "cbcs/fec/NackGenerator.hpp"
#include "cbcs/fec/ProtectionPolicy.hpp"
#include "cbcs/fec/RedEncoder.hpp"
#include "cbcs/fec/RedReceiver.hpp"
#include "cbcs/fec/ReedSolomon.hpp"
#include "cbcs/fec/RetransmissionHistory.hpp"
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

std::string Expected(py::ssize_t ndim, py::ssize_t rows, py::ssize_t len) {
  const std::string l = len < 0 ? std::string("L") : std::to_string(len);
  if (ndim == 1) return "uint8[" + l + "]";
  return "uint8[" + (rows < 0 ? std::string("n") : std::to_string(rows)) + ", " + l + "]";
}

// Checks a C-contiguous uint8 array of `ndim` dims with the given leading size (-1: any).
// The messages are built only on failure: this runs for every shard of every call.
py::array CheckBytes(const py::handle& obj, const char* name_prefix, py::ssize_t ndim,
                     py::ssize_t rows, py::ssize_t len, bool writable, long index = -1) {
  const auto name = [&] {
    return std::string(name_prefix) + (index >= 0 ? "[" + std::to_string(index) + "]" : "");
  };
  if (!py::isinstance<py::array>(obj)) {
    ThrowFrameError(name() + ": expected " + Expected(ndim, rows, len) +
                    " (C-contiguous numpy), got " + Describe(obj));
  }
  auto arr = py::reinterpret_borrow<py::array>(obj);
  bool ok = IsUint8(arr) && arr.ndim() == ndim && (arr.flags() & py::array::c_style);
  if (ok && ndim == 2 && rows >= 0 && arr.shape(0) != rows) ok = false;
  if (ok && len >= 0 && arr.shape(ndim - 1) != len) ok = false;
  if (!ok) {
    ThrowFrameError(name() + ": expected " + Expected(ndim, rows, len) + " C-contiguous, got " +
                    Describe(obj));
  }
  if (writable && !arr.writeable()) ThrowFrameError(name() + ": expected a writable array");
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
    const py::object item = shards[i];  // the sequence keeps every shard alive
    if (item.is_none()) continue;
    py::array a = CheckBytes(item, "shards", 1, -1, len, false, static_cast<long>(i));
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

std::span<const uint8_t> BytesView(const py::buffer& b, py::buffer_info& info) {
  info = b.request();
  if (info.ndim != 1 || info.itemsize != 1 || info.strides[0] != 1) {
    throw ConfigError("expected contiguous bytes");
  }
  return {static_cast<const uint8_t*>(info.ptr), static_cast<std::size_t>(info.size)};
}

// (sequence, timestamp, payload, recovered) tuples: what a jitter buffer's put() takes.
py::list Frames(std::span<const fec::MediaFrame> frames) {
  py::list out;
  for (const fec::MediaFrame& f : frames) {
    out.append(py::make_tuple(f.sequence, f.timestamp,
                              py::bytes(reinterpret_cast<const char*>(f.payload.data()), f.payload.size()),
                              f.recovered));
  }
  return out;
}

const char* ModeName(fec::ProtectionMode mode) {
  switch (mode) {
    case fec::ProtectionMode::kRed: return "red";
    case fec::ProtectionMode::kFec: return "fec";
    case fec::ProtectionMode::kNack: return "nack";
    default: return "none";
  }
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
      "Reed-Solomon kernels this CPU supports (scalar, ssse3, avx2, avx512bw, gfni order).");

  py::class_<fec::NackGenerator>(m, "NackGenerator")
      .def(py::init([](std::size_t max_missing, double packet_interval_ms, double playout_delay_ms,
                       double rtt_ms, double reorder_wait_ms, int max_retries) {
             return fec::NackGenerator(fec::NackConfig{max_missing, packet_interval_ms, playout_delay_ms,
                                                       rtt_ms, reorder_wait_ms, max_retries});
           }),
           "max_missing"_a = 256, "packet_interval_ms"_a = 20.0, "playout_delay_ms"_a = 100.0,
           "rtt_ms"_a = 100.0, "reorder_wait_ms"_a = 0.0, "max_retries"_a = 10)
      .def("set_rtt", &fec::NackGenerator::SetRtt, "rtt_ms"_a)
      .def("set_playout_delay", &fec::NackGenerator::SetPlayoutDelay, "playout_delay_ms"_a)
      .def("on_packet", &fec::NackGenerator::OnPacket, "sequence"_a, "arrival_ms"_a)
      .def("nacks", [](fec::NackGenerator& g, double now_ms) {
             std::array<uint16_t, 1024> buf{};
             const std::size_t n = g.Nacks(now_ms, buf);
             return std::vector<uint16_t>(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
           }, "now_ms"_a)
      .def_property_readonly("missing_count", &fec::NackGenerator::MissingCount)
      .def("stats", [](const fec::NackGenerator& g) {
        const auto& s = g.Stats();
        py::dict d;
        d["requested"] = s.requested;
        d["recovered"] = s.recovered;
        d["given_up"] = s.given_up;
        return d;
      });

  py::class_<fec::RetransmissionHistory>(m, "RetransmissionHistory")
      .def(py::init<std::size_t, std::size_t, double>(), "capacity"_a = 512,
           "max_packet_size"_a = 1500, "max_age_ms"_a = 1000.0)
      .def("store", [](fec::RetransmissionHistory& h, uint16_t seq, const py::buffer& packet, double now_ms) {
             py::buffer_info info;
             return h.Store(seq, BytesView(packet, info), now_ms);
           }, "sequence"_a, "packet"_a, "now_ms"_a)
      .def("resend", [](fec::RetransmissionHistory& h, uint16_t seq, double now_ms, double min_interval_ms)
               -> std::optional<py::bytes> {
             const auto s = h.Resend(seq, now_ms, min_interval_ms);
             if (s.empty()) return std::nullopt;
             return py::bytes(reinterpret_cast<const char*>(s.data()), s.size());
           }, "sequence"_a, "now_ms"_a, "min_interval_ms"_a = 0.0)
      .def_property_readonly("memory_bytes", &fec::RetransmissionHistory::MemoryBytes)
      .def("stats", [](const fec::RetransmissionHistory& h) {
        const auto& s = h.Stats();
        py::dict d;
        d["stored"] = s.stored;
        d["resent"] = s.resent;
        d["missing"] = s.missing;
        d["too_soon"] = s.too_soon;
        d["too_large"] = s.too_large;
        return d;
      });

  py::class_<fec::RedEncoder>(m, "RedEncoder")
      .def(py::init<std::size_t, std::size_t, uint8_t>(), "max_depth"_a = 2, "max_spacing"_a = 1,
           "payload_type"_a = 111)
      .def("encode", [](fec::RedEncoder& e, uint32_t timestamp, const py::buffer& frame, std::size_t depth,
                        std::size_t spacing) -> std::optional<py::bytes> {
             py::buffer_info info;
             const auto f = BytesView(frame, info);
             std::string out(e.MaxSize(f.size(), depth), '\0');
             const std::size_t n = e.Encode(timestamp, f, depth, spacing,
                                            std::span(reinterpret_cast<uint8_t*>(out.data()), out.size()));
             if (n == 0) return std::nullopt;
             return py::bytes(out.data(), n);
           }, "timestamp"_a, "frame"_a, "depth"_a, "spacing"_a = 1)
      .def("reset", &fec::RedEncoder::Reset);

  py::class_<fec::RedReceiver>(m, "RedReceiver")
      .def(py::init<uint32_t, std::size_t>(), "samples_per_frame"_a = 960, "window"_a = 1024)
      .def("on_packet", [](fec::RedReceiver& r, uint16_t seq, uint32_t ts, const py::buffer& payload) {
             py::buffer_info info;
             std::array<fec::MediaFrame, fec::RedReceiver::kMaxBlocks> frames;
             const std::size_t n = r.OnPacket(seq, ts, BytesView(payload, info), frames);
             return Frames(std::span(frames.data(), n));
           }, "sequence"_a, "timestamp"_a, "payload"_a)
      .def("mark_delivered", &fec::RedReceiver::MarkDelivered, "sequence"_a)
      .def("stats", [](const fec::RedReceiver& r) {
        const auto& s = r.Stats();
        py::dict d;
        d["packets"] = s.packets;
        d["malformed"] = s.malformed;
        d["primary"] = s.primary;
        d["recovered"] = s.recovered;
        d["duplicates"] = s.duplicates;
        return d;
      });

  py::class_<fec::FecGroupEncoder>(m, "FecGroupEncoder")
      .def(py::init<std::size_t, std::size_t, std::size_t>(), "k"_a, "m"_a, "max_payload"_a = 1200)
      .def_property_readonly("k", &fec::FecGroupEncoder::K)
      .def_property_readonly("m", &fec::FecGroupEncoder::M)
      .def("add_frame", [](fec::FecGroupEncoder& e, uint16_t seq, uint32_t ts, const py::buffer& payload) {
             py::buffer_info info;
             const std::size_t n = e.AddFrame(seq, ts, BytesView(payload, info));
             py::list out;
             for (std::size_t i = 0; i < n; ++i) {
               const auto r = e.Repair(i);
               out.append(py::bytes(reinterpret_cast<const char*>(r.data()), r.size()));
             }
             return out;
           }, "sequence"_a, "timestamp"_a, "payload"_a);

  py::class_<fec::FecGroupDecoder>(m, "FecGroupDecoder")
      .def(py::init<std::size_t, std::size_t, std::size_t>(), "max_payload"_a = 1200, "window"_a = 256,
           "groups"_a = 16)
      .def("on_frame", [](fec::FecGroupDecoder& d, uint16_t seq, uint32_t ts, const py::buffer& payload) {
             py::buffer_info info;
             std::array<fec::MediaFrame, 255> frames;
             const std::size_t n = d.OnFrame(seq, ts, BytesView(payload, info), frames);
             return Frames(std::span(frames.data(), n));
           }, "sequence"_a, "timestamp"_a, "payload"_a)
      .def("on_repair", [](fec::FecGroupDecoder& d, const py::buffer& repair) {
             py::buffer_info info;
             std::array<fec::MediaFrame, 255> frames;
             const std::size_t n = d.OnRepair(BytesView(repair, info), frames);
             return Frames(std::span(frames.data(), n));
           }, "repair"_a)
      .def("stats", [](const fec::FecGroupDecoder& d) {
        const auto& s = d.Stats();
        py::dict out;
        out["frames"] = s.frames;
        out["repairs"] = s.repairs;
        out["malformed"] = s.malformed;
        out["recovered"] = s.recovered;
        out["groups_complete"] = s.groups_complete;
        return out;
      });

  m.def("protection_decide",
        [](double loss_rate, double mean_burst, double rtt_ms, double playout_slack_ms,
           double max_added_delay_ms, double packet_interval_ms, double media_bitrate_bps,
           double allowed_bitrate_bps, double target_residual, double packet_overhead_bytes) {
          const auto d = fec::ProtectionPolicy::Decide(
              {loss_rate, mean_burst, rtt_ms, playout_slack_ms, max_added_delay_ms, packet_interval_ms,
               media_bitrate_bps, allowed_bitrate_bps, target_residual, packet_overhead_bytes});
          py::dict out;
          out["mode"] = ModeName(d.mode);
          out["red_depth"] = d.red_depth;
          out["red_spacing"] = d.red_spacing;
          out["fec_k"] = d.fec_k;
          out["fec_m"] = d.fec_m;
          out["added_delay_ms"] = d.added_delay_ms;
          out["predicted_residual"] = d.predicted_residual;
          out["overhead"] = d.overhead;
          return out;
        },
        "loss_rate"_a, "mean_burst"_a, "rtt_ms"_a, "playout_slack_ms"_a, "max_added_delay_ms"_a,
        "packet_interval_ms"_a, "media_bitrate_bps"_a, "allowed_bitrate_bps"_a, "target_residual"_a, "packet_overhead_bytes"_a = 40.0);
  m.def("red_residual", &fec::ProtectionPolicy::RedResidual, "loss_rate"_a, "mean_burst"_a, "depth"_a,
        "spacing"_a);
  m.def("fec_residual", &fec::ProtectionPolicy::FecResidual, "loss_rate"_a, "mean_burst"_a, "k"_a, "m"_a);
}

}  // namespace cbcs::bindings
