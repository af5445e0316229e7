// Python bindings for the call audio path: Opus (cpp/codec), and the receiver, sender and
// socket link (cpp/rtc) behind cbcs.rtc.opus, .receive, .send and .link.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "cbcs/cc/FeedbackGenerator.hpp"
#include "cbcs/codec/Opus.hpp"
#include "cbcs/common/ConfigError.hpp"
#include "cbcs/rtc/AudioLink.hpp"
#include "cbcs/rtc/AudioReceiver.hpp"
#include "cbcs/rtc/AudioSender.hpp"
#include "register.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace cbcs::bindings {
namespace {

using codec::kOpusFrameSamples;

using Frame = std::array<int16_t, kOpusFrameSamples>;

// One 20 ms frame: int16[960] exactly, no silent conversion (ConfigError otherwise). Points
// into the array, or into `copy` when the array is not contiguous.
std::span<const int16_t, kOpusFrameSamples> FrameOf(const py::array& pcm, Frame& copy) {
  if (!pcm.dtype().is(py::dtype::of<int16_t>()) || pcm.ndim() != 1 ||
      pcm.shape(0) != kOpusFrameSamples) {
    std::string shape = "[";
    for (py::ssize_t i = 0; i < pcm.ndim(); ++i) {
      shape += (i ? ", " : "") + std::to_string(pcm.shape(i));
    }
    throw ConfigError("pcm: expected int16[960], got " +
                      std::string(py::str(pcm.dtype())) + shape + "]");
  }
  const int16_t* data = static_cast<const int16_t*>(pcm.data());
  if (pcm.strides(0) != sizeof(int16_t)) {
    const auto* base = static_cast<const char*>(pcm.data());
    for (int i = 0; i < kOpusFrameSamples; ++i) {
      std::memcpy(&copy[i], base + i * pcm.strides(0), sizeof(int16_t));
    }
    data = copy.data();
  }
  return std::span<const int16_t, kOpusFrameSamples>(data, kOpusFrameSamples);
}

py::bytes Encode(codec::VoiceEncoder& enc, const py::array& pcm) {
  Frame copy;
  const auto frame = FrameOf(pcm, copy);
  std::array<uint8_t, codec::kOpusMaxPacket> out;
  int n = 0;
  {
    py::gil_scoped_release release;
    n = enc.Encode(frame, out);
  }
  if (n < 0) throw ConfigError("opus encode: libopus error " + std::to_string(n));
  return py::bytes(reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n));
}

// Decoded audio as a new array, or None (counted by the decoder) when rejected.
template <typename F>
py::object DecodeWith(F&& decode) {
  std::array<int16_t, codec::kOpusMaxFrameSamples> pcm;
  int n = 0;
  {
    py::gil_scoped_release release;
    n = decode(std::span<int16_t>(pcm));
  }
  if (n <= 0) return py::none();
  py::array_t<int16_t> out(n);
  std::memcpy(out.mutable_data(), pcm.data(), static_cast<std::size_t>(n) * sizeof(int16_t));
  return std::move(out);
}

py::dict Counters(const rtc::AudioReceiver& rx) {
  const rtc::AudioReceiveCounters& c = rx.Counters();
  return py::dict("packets_received"_a = c.packets_received,
                  "packets_duplicate"_a = c.packets_duplicate,
                  "bytes_received"_a = c.bytes_received, "recovered_fec"_a = c.recovered_fec,
                  "recovered_red"_a = c.recovered_red, "malformed"_a = c.malformed,
                  "padding"_a = c.padding, "decode_errors"_a = c.decode_errors,
                  "jitter_ms"_a = c.jitter_ms);
}

// A socket address as Python's socket module gives it: (host, port) for IPv4, (host, port,
// flowinfo, scope_id) for IPv6.
py::tuple Address(const sockaddr_storage& a) {
  char host[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
    inet_ntop(AF_INET6, &v6.sin6_addr, host, sizeof(host));
    return py::make_tuple(std::string(host), ntohs(v6.sin6_port), ntohl(v6.sin6_flowinfo),
                          v6.sin6_scope_id);
  }
  const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
  inet_ntop(AF_INET, &v4.sin_addr, host, sizeof(host));
  return py::make_tuple(std::string(host), ntohs(v4.sin_port));
}

void SetRoute(rtc::AudioLink& link, int fd, const std::string& host, int port) {
  sockaddr_storage a{};
  socklen_t len = 0;
  if (port < 0 || port > 0xFFFF) throw ConfigError("route: port out of range");
  auto& v4 = reinterpret_cast<sockaddr_in&>(a);
  auto& v6 = reinterpret_cast<sockaddr_in6&>(a);
  if (inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(sockaddr_in6);
  } else {
    throw ConfigError("route: expected an IPv4 or IPv6 address, got " + host);
  }
  link.SetRoute(fd, reinterpret_cast<const sockaddr*>(&a), len);
}

}  // namespace

void register_rtc(py::module_& m) {
  py::class_<codec::VoiceEncoder>(m, "OpusEncoder",
                                  "Mono 48 kHz Opus for voice: 20 ms frames, in-band FEC, "
                                  "bitrate settable live (libopus).")
      .def(py::init<int, bool, int, int>(), "bitrate_bps"_a = 32000, py::kw_only(),
           "fec"_a = true, "expected_loss_percent"_a = 10, "complexity"_a = 5)
      .def("encode", &Encode, "pcm"_a, "One int16[960] frame in, one Opus packet out.")
      .def("set_bitrate", &codec::VoiceEncoder::SetBitrate, "bps"_a)
      .def("set_expected_loss", &codec::VoiceEncoder::SetExpectedLoss, "percent"_a)
      .def_property_readonly("bitrate_bps", &codec::VoiceEncoder::Bitrate);
  m.attr("OpusEncoder").attr("SAMPLE_RATE") = codec::kOpusSampleRate;
  m.attr("OpusEncoder").attr("FRAME_SAMPLES") = kOpusFrameSamples;

  py::class_<codec::VoiceDecoder>(m, "OpusDecoder",
                                  "Opus (mono or stereo streams) to mono 48 kHz int16, with "
                                  "recovery from in-band FEC.")
      .def(py::init<>())
      .def_static("samples", [](const py::bytes& p) { return codec::OpusPacketSamples(BytesView(p)); },
                  "packet"_a)
      .def("decode",
           [](codec::VoiceDecoder& d, const py::bytes& p) {
             const auto packet = BytesView(p);
             return DecodeWith([&](std::span<int16_t> out) { return d.Decode(packet, out); });
           },
           "packet"_a)
      .def("decode_fec",
           [](codec::VoiceDecoder& d, const py::bytes& p, int samples) {
             const auto packet = BytesView(p);
             return DecodeWith(
                 [&](std::span<int16_t> out) { return d.DecodeFec(packet, samples, out); });
           },
           "next_packet"_a, "samples"_a)
      .def_property_readonly("errors", &codec::VoiceDecoder::Errors);
  m.attr("OpusDecoder").attr("SAMPLE_RATE") = codec::kOpusSampleRate;
  m.attr("OpusDecoder").attr("MAX_FRAME") = codec::kOpusMaxFrameSamples;

  py::class_<rtc::AudioReceiver>(m, "AudioReceiver")
      .def(py::init([](py::handle jitter_buffer, int opus_pt, int red_pt, int transport_cc_id) {
             return new rtc::AudioReceiver(core_jitter_buffer(jitter_buffer),
                                           {opus_pt, red_pt, transport_cc_id});
           }),
           "jitter_buffer"_a, "opus_pt"_a, "red_pt"_a, "transport_cc_id"_a,
           py::keep_alive<1, 2>())
      .def("on_packet",
           [](rtc::AudioReceiver& rx, const py::bytes& p, double usable_ms) -> py::object {
             const auto packet = BytesView(p);
             rtc::AudioPacketInfo info;
             {
               py::gil_scoped_release release;
               info = rx.OnPacket(packet, usable_ms);
             }
             if (!info.parsed) return py::none();
             return py::make_tuple(info.accepted, info.ssrc,
                                   info.transport_seq ? int{*info.transport_seq} : -1);
           },
           "packet"_a, "usable_ms"_a,
           "One decrypted RTP packet: (accepted, ssrc, transport_seq or -1), None if not RTP.")
      .def("on_payload",
           [](rtc::AudioReceiver& rx, int seq, int64_t timestamp, int payload_type,
              const py::bytes& p, double usable_ms) {
             const auto payload = BytesView(p);
             py::gil_scoped_release release;
             return rx.OnPayload(static_cast<uint16_t>(seq), static_cast<uint32_t>(timestamp),
                                 payload_type, payload, usable_ms);
           },
           "seq"_a, "timestamp"_a, "payload_type"_a, "payload"_a, "usable_ms"_a,
           "One parsed packet; False when the sequence guard held it back.")
      .def("counters", &Counters)
      .def("expected", &rtc::AudioReceiver::Expected)
      .def_property_readonly("base_seq", &rtc::AudioReceiver::BaseSeq)
      .def_property_readonly("highest_seq", &rtc::AudioReceiver::HighestSeq)
      .def_property_readonly("guard_rejected",
                             [](const rtc::AudioReceiver& rx) { return rx.Guard().Rejected(); })
      .def_property_readonly("guard_highest",
                             [](const rtc::AudioReceiver& rx) { return rx.Guard().Highest(); });

  py::class_<rtc::AudioSender>(m, "AudioSender")
      .def(py::init([](py::handle encoder, int payload_type, uint32_t ssrc, int first_sequence,
                       int64_t first_timestamp) {
             return new rtc::AudioSender(encoder.cast<codec::VoiceEncoder&>(),
                                         {payload_type, ssrc,
                                          static_cast<uint16_t>(first_sequence),
                                          static_cast<uint32_t>(first_timestamp)});
           }),
           "encoder"_a, "payload_type"_a, "ssrc"_a, "first_sequence"_a, "first_timestamp"_a,
           py::keep_alive<1, 2>())
      .def("set_red", &rtc::AudioSender::SetRed, "red_pt"_a, "depth"_a)
      .def("set_extensions",
           [](rtc::AudioSender& s, int mid_id, const py::bytes& mid, int transport_cc_id) {
             if (!s.SetExtensions(mid_id, BytesView(mid), transport_cc_id)) {
               throw ConfigError("header extensions: expected ids 1..14 and a mid of 1..16 "
                                 "bytes, got ids " + std::to_string(mid_id) + ", " +
                                 std::to_string(transport_cc_id));
             }
           },
           "mid_id"_a, "mid"_a, "transport_cc_id"_a)
      .def("next",
           [](rtc::AudioSender& s, const py::array& pcm, int transport_seq) -> py::object {
             Frame copy;
             const auto frame = FrameOf(pcm, copy);
             std::array<uint8_t, rtc::AudioSender::kMaxPacket> out;
             std::size_t n = 0;
             {
               py::gil_scoped_release release;
               n = s.Next(frame, static_cast<uint16_t>(transport_seq), out);
             }
             if (n == 0) return py::none();
             return py::bytes(reinterpret_cast<const char*>(out.data()), n);
           },
           "pcm"_a, "transport_seq"_a,
           "Encode one int16[960] frame: the RTP packet, or None when the encoder failed.")
      .def("next_encoded",
           [](rtc::AudioSender& s, const py::bytes& payload, int transport_seq) -> py::object {
             std::array<uint8_t, rtc::AudioSender::kMaxPacket> out;
             // framing only (no encode): short enough to keep the GIL
             const std::size_t n =
                 s.NextEncoded(BytesView(payload), static_cast<uint16_t>(transport_seq), out);
             if (n == 0) return py::none();
             return py::bytes(reinterpret_cast<const char*>(out.data()), n);
           },
           "payload"_a, "transport_seq"_a,
           "Frame one already encoded 20 ms Opus payload: the RTP packet, or None (empty "
           "or oversized payload, counted as an encode error).")
      .def("sent", &rtc::AudioSender::Sent, "The packet from next() is on its way.")
      .def_property_readonly("last_timestamp", &rtc::AudioSender::LastTimestamp)
      .def_property_readonly("last_payload_size", &rtc::AudioSender::LastPayloadSize)
      .def_property_readonly("encode_errors", &rtc::AudioSender::EncodeErrors);

  py::class_<rtc::AudioLink>(m, "AudioLink")
      .def(py::init([](rtc::AudioReceiver& receiver, py::handle feedback,
                       const std::vector<int>& audio_payload_types, int srtp_profile,
                       const py::bytes& rx_master, const py::bytes& tx_master) {
             auto* generator = feedback.is_none() ? nullptr
                                                  : &feedback.cast<cc::FeedbackGenerator&>();
             return new rtc::AudioLink(receiver, generator, audio_payload_types, srtp_profile,
                                       BytesView(rx_master), BytesView(tx_master));
           }),
           "receiver"_a, "feedback"_a, "audio_payload_types"_a, "srtp_profile"_a,
           "rx_master"_a, "tx_master"_a, py::keep_alive<1, 2>(), py::keep_alive<1, 3>())
      .def("set_route", &SetRoute, "fd"_a, "host"_a, "port"_a,
           "Send RTP to host:port through socket fd, and take audio only from there.")
      .def("drain",
           [](rtc::AudioLink& link, int fd, double wall_minus_media_ms, double now_ms) {
             py::list others;
             // a full queue of others is handed over and reading goes on, a few times at most
             for (int round = 0; round < 4; ++round) {
               link.ClearOthers();
               {
                 py::gil_scoped_release release;
                 link.Drain(fd, wall_minus_media_ms, now_ms);
               }
               for (const rtc::OtherDatagram& o : link.Others()) {
                 others.append(py::make_tuple(
                     py::bytes(reinterpret_cast<const char*>(o.data.data()), o.size),
                     Address(o.from), o.arrival_ms));
               }
               if (link.Others().size() < rtc::AudioLink::kMaxOthersPerDrain) break;
             }
             return others;
           },
           "fd"_a, "wall_minus_media_ms"_a, "now_ms"_a,
           "Read what waits on fd: our audio goes to the receiver; the rest comes back as "
           "[(data, address, arrival_ms), ...].")
      .def("send_rtp",
           [](rtc::AudioLink& link, const py::bytes& p) {
             const auto packet = BytesView(p);
             py::gil_scoped_release release;
             return link.SendRtp(packet);
           },
           "packet"_a, "Encrypt and send one RTP packet; False when it could not be sent.")
      .def("counters",
           [](const rtc::AudioLink& link) {
             const rtc::AudioLinkCounters& c = link.Counters();
             return py::dict("audio_packets"_a = c.audio_packets,
                             "undecryptable"_a = c.undecryptable, "oversize"_a = c.oversize,
                             "sent"_a = c.sent, "send_errors"_a = c.send_errors);
           })
      .def_property_readonly("remote_ssrc", &rtc::AudioLink::RemoteSsrc);

  py::class_<rtc::SequenceGuard>(m, "SequenceGuard")
      .def(py::init<int, int, int>(), "back"_a = 1000, "ahead"_a = 1000, "confirm"_a = 4)
      .def("accept", [](rtc::SequenceGuard& g, int seq) {
             return g.Accept(static_cast<uint16_t>(seq));
           }, "seq"_a)
      .def_property_readonly("highest", &rtc::SequenceGuard::Highest)
      .def_property_readonly("rejected", &rtc::SequenceGuard::Rejected);
}

}  // namespace cbcs::bindings
