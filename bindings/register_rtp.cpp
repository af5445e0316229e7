// Python bindings for cpp/rtp: RTP, RED, generic NACK, RTX and ULPFEC parse/build.
// Parsers return None on malformed input (per-packet calls never raise); builders raise
// ConfigError when asked for something the wire format cannot express.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "cbcs/common/ConfigError.hpp"
#include "cbcs/rtp/HeaderExtensions.hpp"
#include "cbcs/rtp/RedPayload.hpp"
#include "cbcs/rtp/RtcpNack.hpp"
#include "cbcs/rtp/RtpPacket.hpp"
#include "cbcs/rtp/Rtx.hpp"
#include "cbcs/rtp/Ulpfec.hpp"
#include "register.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace cbcs::bindings {
namespace {

std::span<const uint8_t> View(const py::buffer_info& info) {
  return {static_cast<const uint8_t*>(info.ptr), static_cast<std::size_t>(info.size * info.itemsize)};
}

py::buffer_info Request(const py::buffer& b, const char* name) {
  py::buffer_info info = b.request();
  if (info.ndim != 1 || info.itemsize != 1 || (info.ndim == 1 && info.strides[0] != 1)) {
    throw ConfigError(std::string(name) + ": expected contiguous bytes");
  }
  return info;
}

py::bytes Bytes(std::span<const uint8_t> s) {
  return py::bytes(reinterpret_cast<const char*>(s.data()), s.size());
}

struct PyRtpPacket {
  bool marker;
  uint8_t payload_type;
  uint16_t sequence;
  uint32_t timestamp;
  uint32_t ssrc;
  std::vector<uint32_t> csrcs;
  std::optional<uint16_t> extension_profile;
  py::bytes extension;
  py::bytes payload;
  std::size_t padding;
};

struct PyRedBlock {
  uint8_t payload_type;
  uint32_t timestamp_offset;
  py::bytes data;
};

struct PyNack {
  uint32_t sender_ssrc;
  uint32_t media_ssrc;
  std::vector<uint16_t> lost;
  std::size_t size;
};

struct PyUlpfecHeader {
  uint16_t sequence_base;
  std::vector<uint16_t> protected_sequences;
  uint16_t protection_length;
  bool long_mask;
};

std::optional<PyRtpPacket> ParseRtp(const py::buffer& data) {
  const auto info = Request(data, "data");
  rtp::RtpPacket p;
  if (rtp::RtpPacket::Parse(View(info), p) != rtp::RtpParseStatus::kOk) return std::nullopt;
  PyRtpPacket out{p.Marker(), p.PayloadType(), p.Sequence(), p.Timestamp(), p.Ssrc(), {},
                  std::nullopt, Bytes(p.Extension()), Bytes(p.Payload()), p.PaddingSize()};
  for (std::size_t i = 0; i < p.CsrcCount(); ++i) out.csrcs.push_back(p.Csrc(i));
  if (p.HasExtension()) out.extension_profile = p.ExtensionProfile();
  return out;
}

std::optional<py::bytes> FindRtpExtension(uint16_t profile, const py::buffer& block, uint8_t id) {
  const auto info = Request(block, "block");
  const auto found = rtp::FindExtension(profile, View(info), id);
  if (!found) return std::nullopt;
  return Bytes(*found);
}

py::bytes BuildOneByteExtensions(const std::vector<std::pair<uint8_t, py::bytes>>& elements) {
  std::vector<std::string> data;
  std::vector<rtp::ExtensionElement> views;
  data.reserve(elements.size());
  for (const auto& [id, bytes] : elements) {
    data.push_back(std::string(bytes));
    views.push_back({id, std::span(reinterpret_cast<const uint8_t*>(data.back().data()),
                                   data.back().size())});
  }
  std::string out(17 * elements.size() + 3, '\0');
  const std::size_t n = rtp::BuildOneByteExtensions(
      views, std::span(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  if (n == 0 && !elements.empty()) {
    throw ConfigError("extensions: expected ids 1..14 with 1..16 bytes each (RFC 8285 one-byte form)");
  }
  return py::bytes(out.data(), n);
}

py::bytes BuildRtp(uint8_t payload_type, uint16_t sequence, uint32_t timestamp, uint32_t ssrc,
                   const py::buffer& payload, bool marker, const std::vector<uint32_t>& csrcs,
                   std::optional<uint16_t> extension_profile, const py::buffer& extension,
                   uint8_t padding) {
  const auto pinfo = Request(payload, "payload");
  const auto einfo = Request(extension, "extension");
  rtp::RtpHeader h{marker, payload_type, sequence, timestamp, ssrc, csrcs,
                   extension_profile.has_value(), extension_profile.value_or(0), View(einfo)};
  if (payload_type > 127) throw ConfigError("payload_type: expected 0..127, got " + std::to_string(payload_type));
  if (csrcs.size() > 15) throw ConfigError("csrcs: expected at most 15, got " + std::to_string(csrcs.size()));
  if (View(einfo).size() % 4 != 0) {
    throw ConfigError("extension: expected a multiple of 4 bytes, got " + std::to_string(View(einfo).size()));
  }
  std::string out(rtp::RtpPacket::BuildSize(h, View(pinfo).size(), padding), '\0');
  const std::size_t n = rtp::RtpPacket::Build(
      h, View(pinfo), std::span(reinterpret_cast<uint8_t*>(out.data()), out.size()), padding);
  if (n == 0) throw ConfigError("rtp: header cannot be encoded");
  return py::bytes(out.data(), n);
}

std::optional<std::vector<PyRedBlock>> ParseRed(const py::buffer& payload) {
  const auto info = Request(payload, "payload");
  std::array<rtp::RedBlock, 64> blocks;
  std::size_t count = 0;
  if (rtp::RedPayload::Parse(View(info), blocks, count) != rtp::RedParseStatus::kOk) return std::nullopt;
  std::vector<PyRedBlock> out;
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back({blocks[i].payload_type, blocks[i].timestamp_offset, Bytes(blocks[i].data)});
  }
  return out;
}

py::bytes BuildRed(const std::vector<PyRedBlock>& redundant, uint8_t primary_payload_type,
                   const py::buffer& primary) {
  const auto pinfo = Request(primary, "primary");
  std::vector<std::string> storage;
  storage.reserve(redundant.size());
  std::vector<rtp::RedBlock> blocks;
  for (const PyRedBlock& b : redundant) {
    storage.push_back(std::string(b.data));
    const std::string& s = storage.back();
    if (b.payload_type > 127 || b.timestamp_offset > rtp::RedPayload::kMaxTimestampOffset ||
        s.size() > rtp::RedPayload::kMaxBlockLength) {
      throw ConfigError("redundant block: expected payload_type <= 127, timestamp_offset <= 16383 "
                        "and at most 1023 bytes, got pt=" + std::to_string(b.payload_type) +
                        ", offset=" + std::to_string(b.timestamp_offset) + ", " +
                        std::to_string(s.size()) + " bytes");
    }
    blocks.push_back({b.payload_type, b.timestamp_offset,
                      std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size())});
  }
  if (primary_payload_type > 127) throw ConfigError("primary_payload_type: expected 0..127");
  std::string out(rtp::RedPayload::BuildSize(blocks, View(pinfo).size()), '\0');
  const std::size_t n = rtp::RedPayload::Build(
      blocks, primary_payload_type, View(pinfo),
      std::span(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  return py::bytes(out.data(), n);
}

std::optional<PyNack> ParseNack(const py::buffer& data) {
  const auto info = Request(data, "data");
  std::vector<uint16_t> lost(17 * (View(info).size() / 4 + 1));
  rtp::RtcpNackInfo ni;
  if (rtp::RtcpNack::Parse(View(info), lost, ni) != rtp::RtcpNackParseStatus::kOk) return std::nullopt;
  lost.resize(ni.lost_count);
  return PyNack{ni.sender_ssrc, ni.media_ssrc, lost, ni.packet_size};
}

py::bytes BuildNack(uint32_t sender_ssrc, uint32_t media_ssrc, const std::vector<uint16_t>& lost) {
  if (lost.empty()) throw ConfigError("lost: expected at least one sequence number");
  std::string out(rtp::RtcpNack::BuildSize(lost), '\0');
  const std::size_t n = rtp::RtcpNack::Build(
      sender_ssrc, media_ssrc, lost, std::span(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  if (n == 0) throw ConfigError("lost: too many sequence numbers for one RTCP packet");
  return py::bytes(out.data(), n);
}

std::optional<py::bytes> RtxWrap(const py::buffer& packet, uint8_t rtx_payload_type,
                                 uint32_t rtx_ssrc, uint16_t rtx_sequence) {
  const auto info = Request(packet, "packet");
  rtp::RtpPacket p;
  if (rtp::RtpPacket::Parse(View(info), p) != rtp::RtpParseStatus::kOk) return std::nullopt;
  std::string out(rtp::Rtx::WrapSize(p), '\0');
  const std::size_t n = rtp::Rtx::Wrap(p, rtx_payload_type, rtx_ssrc, rtx_sequence,
                                       std::span(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  if (n == 0) return std::nullopt;
  return py::bytes(out.data(), n);
}

std::optional<py::bytes> RtxUnwrap(const py::buffer& packet, uint8_t original_payload_type,
                                   uint32_t original_ssrc) {
  const auto info = Request(packet, "packet");
  rtp::RtpPacket p;
  if (rtp::RtpPacket::Parse(View(info), p) != rtp::RtpParseStatus::kOk) return std::nullopt;
  std::string out(View(info).size(), '\0');
  const std::size_t n = rtp::Rtx::Unwrap(p, original_payload_type, original_ssrc,
                                         std::span(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  if (n == 0) return std::nullopt;
  return py::bytes(out.data(), n);
}

// Parses each packet; the byte strings stay alive in `keep` while the views are used.
std::vector<rtp::RtpPacket> ParseAll(const std::vector<py::bytes>& packets, std::vector<std::string>& keep) {
  keep.reserve(packets.size());
  std::vector<rtp::RtpPacket> out;
  for (const py::bytes& b : packets) {
    keep.push_back(std::string(b));
    rtp::RtpPacket p;
    const std::string& s = keep.back();
    if (rtp::RtpPacket::Parse(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()), p) ==
        rtp::RtpParseStatus::kOk) {
      out.push_back(p);
    }
  }
  return out;
}

py::bytes UlpfecBuild(const std::vector<py::bytes>& packets) {
  std::vector<std::string> keep;
  const auto parsed = ParseAll(packets, keep);
  if (parsed.size() != packets.size()) throw ConfigError("packets: every packet must be valid RTP");
  std::string out(rtp::Ulpfec::BuildSize(parsed), '\0');
  std::size_t size = 0;
  const auto st = rtp::Ulpfec::Build(parsed, std::span(reinterpret_cast<uint8_t*>(out.data()), out.size()), size);
  if (st != rtp::UlpfecStatus::kOk) {
    throw ConfigError("packets: expected 1..48 RTP packets with sequence numbers within 48 of the first");
  }
  return py::bytes(out.data(), size);
}

std::optional<PyUlpfecHeader> UlpfecParse(const py::buffer& payload) {
  const auto info = Request(payload, "payload");
  rtp::UlpfecHeader h;
  if (rtp::Ulpfec::Parse(View(info), h) != rtp::UlpfecStatus::kOk) return std::nullopt;
  PyUlpfecHeader out{h.sequence_base, {}, h.protection_length, h.long_mask};
  for (unsigned i = 0; i < 48; ++i) {
    if ((h.mask >> i) & 1u) out.protected_sequences.push_back(static_cast<uint16_t>(h.sequence_base + i));
  }
  return out;
}

std::optional<py::bytes> UlpfecRecover(const py::buffer& fec_payload, const std::vector<py::bytes>& present,
                                       uint32_t ssrc) {
  const auto info = Request(fec_payload, "fec_payload");
  rtp::UlpfecHeader h;
  if (rtp::Ulpfec::Parse(View(info), h) != rtp::UlpfecStatus::kOk) return std::nullopt;
  std::vector<std::string> keep;
  const auto parsed = ParseAll(present, keep);
  std::string out(rtp::RtpPacket::kFixedHeaderSize + 65536, '\0');
  std::size_t size = 0;
  if (rtp::Ulpfec::Recover(h, parsed, ssrc, std::span(reinterpret_cast<uint8_t*>(out.data()), out.size()),
                           size) != rtp::UlpfecStatus::kOk) {
    return std::nullopt;
  }
  return py::bytes(out.data(), size);
}

}  // namespace

void register_rtp(py::module_& m) {
  py::class_<PyRtpPacket>(m, "RtpPacket")
      .def_readonly("marker", &PyRtpPacket::marker)
      .def_readonly("payload_type", &PyRtpPacket::payload_type)
      .def_readonly("sequence", &PyRtpPacket::sequence)
      .def_readonly("timestamp", &PyRtpPacket::timestamp)
      .def_readonly("ssrc", &PyRtpPacket::ssrc)
      .def_readonly("csrcs", &PyRtpPacket::csrcs)
      .def_readonly("extension_profile", &PyRtpPacket::extension_profile)
      .def_readonly("extension", &PyRtpPacket::extension)
      .def_readonly("payload", &PyRtpPacket::payload)
      .def_readonly("padding", &PyRtpPacket::padding);
  py::class_<PyRedBlock>(m, "RedBlock")
      .def(py::init<uint8_t, uint32_t, py::bytes>(), "payload_type"_a, "timestamp_offset"_a, "data"_a)
      .def_readonly("payload_type", &PyRedBlock::payload_type)
      .def_readonly("timestamp_offset", &PyRedBlock::timestamp_offset)
      .def_readonly("data", &PyRedBlock::data)
      .def("__repr__", [](const PyRedBlock& b) {
        return "RedBlock(payload_type=" + std::to_string(b.payload_type) + ", timestamp_offset=" +
               std::to_string(b.timestamp_offset) + ", " + std::to_string(std::string(b.data).size()) +
               " bytes)";
      });
  py::class_<PyNack>(m, "GenericNack")
      .def_readonly("sender_ssrc", &PyNack::sender_ssrc)
      .def_readonly("media_ssrc", &PyNack::media_ssrc)
      .def_readonly("lost", &PyNack::lost)
      .def_readonly("size", &PyNack::size);
  py::class_<PyUlpfecHeader>(m, "UlpfecHeader")
      .def_readonly("sequence_base", &PyUlpfecHeader::sequence_base)
      .def_readonly("protected_sequences", &PyUlpfecHeader::protected_sequences)
      .def_readonly("protection_length", &PyUlpfecHeader::protection_length)
      .def_readonly("long_mask", &PyUlpfecHeader::long_mask);

  m.def("rtp_parse", &ParseRtp, "data"_a);
  m.def("rtp_build", &BuildRtp, "payload_type"_a, "sequence"_a, "timestamp"_a, "ssrc"_a,
        "payload"_a, "marker"_a = false, "csrcs"_a = std::vector<uint32_t>{},
        "extension_profile"_a = std::nullopt, "extension"_a = py::bytes(), "padding"_a = 0);
  m.def("rtp_find_extension", &FindRtpExtension, "profile"_a, "block"_a, "id"_a);
  m.def("rtp_build_extensions", &BuildOneByteExtensions, "elements"_a);
  m.def("red_parse", &ParseRed, "payload"_a);
  m.def("red_build", &BuildRed, "redundant"_a, "primary_payload_type"_a, "primary"_a);
  m.def("nack_parse", &ParseNack, "data"_a);
  m.def("nack_build", &BuildNack, "sender_ssrc"_a, "media_ssrc"_a, "lost"_a);
  m.def("rtx_wrap", &RtxWrap, "packet"_a, "rtx_payload_type"_a, "rtx_ssrc"_a, "rtx_sequence"_a);
  m.def("rtx_unwrap", &RtxUnwrap, "packet"_a, "original_payload_type"_a, "original_ssrc"_a);
  m.def("ulpfec_build", &UlpfecBuild, "packets"_a);
  m.def("ulpfec_parse", &UlpfecParse, "payload"_a);
  m.def("ulpfec_recover", &UlpfecRecover, "fec_payload"_a, "present"_a, "ssrc"_a);
}

}  // namespace cbcs::bindings
