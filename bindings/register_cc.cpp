// Python bindings for cpp/cc (transport-wide feedback, send-side estimation, pacer).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "cbcs/cc/FeedbackGenerator.hpp"
#include "cbcs/cc/Pacer.hpp"
#include "cbcs/cc/SendSideBwe.hpp"
#include "cbcs/cc/TransportFeedback.hpp"
#include "cbcs/common/ConfigError.hpp"
#include "register.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace cbcs::bindings {
namespace {

const char* KindName(cc::PacketKind k) {
  switch (k) {
    case cc::PacketKind::kAudio: return "audio";
    case cc::PacketKind::kRetransmission: return "retransmission";
    case cc::PacketKind::kVideo: return "video";
    case cc::PacketKind::kFec: return "fec";
    case cc::PacketKind::kPadding: return "padding";
  }
  return "video";
}

cc::PacketKind KindFromName(const std::string& s) {
  if (s == "audio") return cc::PacketKind::kAudio;
  if (s == "retransmission") return cc::PacketKind::kRetransmission;
  if (s == "video") return cc::PacketKind::kVideo;
  if (s == "fec") return cc::PacketKind::kFec;
  throw ConfigError("kind: expected one of audio, retransmission, video, fec, got '" + s + "'");
}

const char* UsageName(cc::BandwidthUsage u) {
  switch (u) {
    case cc::BandwidthUsage::kNormal: return "normal";
    case cc::BandwidthUsage::kUnderusing: return "underusing";
    case cc::BandwidthUsage::kOverusing: return "overusing";
  }
  return "normal";
}

}  // namespace

void register_cc(py::module_& m) {
  // ---- wire format ----
  m.def(
      "transport_feedback_parse",
      [](const py::bytes& data) -> py::object {
        static thread_local cc::TransportFeedback fb;
        const cc::FeedbackStatus st = fb.Parse(BytesView(data));
        if (st != cc::FeedbackStatus::kOk) return py::str(cc::ToString(st));
        py::list packets;
        fb.ForEachPacket([&](uint16_t seq, bool rx, int64_t t) {
          packets.append(py::make_tuple(seq, rx && fb.has_timestamps() ? py::object(py::int_(t)) : py::none()));
        });
        return py::dict("sender_ssrc"_a = fb.sender_ssrc(), "media_ssrc"_a = fb.media_ssrc(),
                        "base_seq"_a = fb.base_seq(), "reference_ticks"_a = fb.reference_ticks(),
                        "feedback_count"_a = fb.feedback_count(), "has_timestamps"_a = fb.has_timestamps(),
                        "packet_size"_a = fb.packet_size(), "packets"_a = packets);
      },
      "data"_a,
      "Parse one RTCP transport feedback: a dict, or a str saying why it was rejected.");
  m.def(
      "transport_feedback_build",
      [](const std::vector<std::pair<uint16_t, int64_t>>& received, uint16_t base_seq,
         int64_t reference_time_us, uint8_t feedback_count, uint32_t sender_ssrc,
         uint32_t media_ssrc) -> py::object {
        static thread_local cc::TransportFeedback fb;
        fb.Reset(sender_ssrc, media_ssrc, base_seq, reference_time_us, feedback_count);
        for (const auto& [seq, t] : received) {
          const cc::FeedbackStatus st = fb.AddReceivedPacket(seq, t);
          if (st != cc::FeedbackStatus::kOk) {
            return py::str(std::string(cc::ToString(st)) + " at seq " + std::to_string(seq));
          }
        }
        std::string out(fb.SerializedSize(), '\0');
        fb.Serialize(std::span(reinterpret_cast<uint8_t*>(out.data()), out.size()));
        return py::bytes(out);
      },
      "received"_a, "base_seq"_a, "reference_time_us"_a, "feedback_count"_a, "sender_ssrc"_a,
      "media_ssrc"_a,
      "Build one RTCP transport feedback from (seq, arrival_us) pairs in sequence order: bytes, "
      "or a str saying why it cannot be encoded.");

  // ---- receiver side ----
  py::class_<cc::FeedbackGenerator>(m, "FeedbackGenerator")
      .def(py::init([](double interval_ms, size_t history, size_t max_packets_per_feedback,
                       uint32_t sender_ssrc, uint32_t media_ssrc) {
             cc::FeedbackGeneratorConfig c;
             c.interval_ms = interval_ms;
             c.history = history;
             c.max_packets_per_feedback = max_packets_per_feedback;
             c.sender_ssrc = sender_ssrc;
             c.media_ssrc = media_ssrc;
             return cc::FeedbackGenerator(c);
           }),
           py::kw_only(), "interval_ms"_a, "history"_a, "max_packets_per_feedback"_a,
           "sender_ssrc"_a, "media_ssrc"_a)
      .def("on_packet", &cc::FeedbackGenerator::OnPacket, "seq"_a, "arrival_ms"_a)
      .def(
          "poll",
          [](cc::FeedbackGenerator& g, double now_ms) {
            static thread_local std::vector<uint8_t> buf(1 << 18);
            py::list out;
            while (size_t n = g.Poll(now_ms, buf)) {
              out.append(py::bytes(reinterpret_cast<const char*>(buf.data()), n));
            }
            return out;
          },
          "now_ms"_a, "Feedback packets due at now_ms (often none).")
      .def_property_readonly("next_feedback_ms", &cc::FeedbackGenerator::next_feedback_ms);

  // ---- sender side ----
  py::class_<cc::SendSideBwe>(m, "SendSideBwe")
      .def(py::init([](double start_bps, double min_bps, double max_bps, size_t history,
                       bool initial_probing, bool periodic_probing, double probe_interval_ms) {
             cc::SendSideBweConfig c;
             c.start_bps = start_bps;
             c.min_bps = min_bps;
             c.max_bps = max_bps;
             c.history = history;
             c.probing.initial_probing = initial_probing;
             c.probing.periodic_probing = periodic_probing;
             c.probing.probe_interval_ms = probe_interval_ms;
             return cc::SendSideBwe(c);
           }),
           py::kw_only(), "start_bps"_a, "min_bps"_a, "max_bps"_a, "history"_a,
           "initial_probing"_a, "periodic_probing"_a, "probe_interval_ms"_a)
      .def("on_packet_sent", &cc::SendSideBwe::OnPacketSent, "transport_seq"_a, "size_bytes"_a,
           "send_ms"_a, "probe_cluster"_a = -1, "probe_min_packets"_a = 0)
      .def(
          "on_feedback",
          [](cc::SendSideBwe& bwe, const py::list& results, double now_ms) {
            static thread_local std::vector<cc::PacketResult> buf;
            buf.clear();
            buf.reserve(results.size());
            for (const py::handle item : results) {
              const auto t = item.cast<py::tuple>();
              if (t.size() != 2) {
                throw py::value_error("feedback: expected (transport_seq, arrival_ms or None) tuples, got a tuple of " +
                                      std::to_string(t.size()));
              }
              cc::PacketResult r;
              r.seq = t[0].cast<uint16_t>();
              r.arrival_ms = t[1].is_none() ? std::numeric_limits<double>::quiet_NaN() : t[1].cast<double>();
              buf.push_back(r);
            }
            bwe.OnFeedback(buf, now_ms);
          },
          "results"_a, "now_ms"_a)
      .def(
          "on_transport_feedback",
          [](cc::SendSideBwe& bwe, const py::bytes& rtcp, double now_ms) {
            return std::string(cc::ToString(bwe.OnTransportFeedback(BytesView(rtcp), now_ms)));
          },
          "rtcp"_a, "now_ms"_a)
      .def("on_remb", &cc::SendSideBwe::OnRemb, "bps"_a, "now_ms"_a)
      .def("set_application_limited", &cc::SendSideBwe::SetApplicationLimited, "limited"_a)
      .def("process", &cc::SendSideBwe::Process, "now_ms"_a)
      .def("take_probe_clusters",
           [](cc::SendSideBwe& bwe) {
             std::array<cc::ProbeCluster, 8> buf;
             const size_t n = bwe.TakeProbeClusters(buf);
             py::list out;
             for (size_t i = 0; i < n; ++i) {
               out.append(py::make_tuple(buf[i].id, buf[i].bitrate_bps, buf[i].min_packets, buf[i].min_duration_ms));
             }
             return out;
           })
      .def_property_readonly("target_bps", &cc::SendSideBwe::target_bps)
      .def("stats", [](const cc::SendSideBwe& bwe) {
        const auto s = bwe.stats();
        return py::dict("target_bps"_a = s.target_bps, "delay_based_bps"_a = s.delay_based_bps,
                        "loss_based_bps"_a = s.loss_based_bps, "acked_bps"_a = s.acked_bps,
                        "link_capacity_bps"_a = s.link_capacity_bps, "burst_rate_bps"_a = s.burst_rate_bps,
                        "rtt_ms"_a = s.rtt_ms, "queue_delay_ms"_a = s.queue_delay_ms, "loss_fraction"_a = s.loss_fraction, "trend"_a = s.trend,
                        "threshold_ms"_a = s.threshold_ms, "usage"_a = UsageName(s.usage),
                        "feedbacks"_a = s.feedbacks, "unknown_packets"_a = s.unknown_packets,
                        "bad_feedback"_a = s.bad_feedback, "probe_results"_a = s.probe_results,
                        "ramp_probes"_a = s.ramp_probes, "false_alarms"_a = s.false_alarms, "competing"_a = s.competing,
                        "full_queue_overuses"_a = s.full_queue_overuses,
                        "standing_overuses"_a = s.standing_overuses,
                        "recent_acked_bps"_a = s.recent_acked_bps);
      });

  py::class_<cc::Pacer>(m, "Pacer")
      .def(py::init([](double interval_ms, double burst_ms, size_t queue_capacity, double max_queue_ms) {
             cc::PacerConfig c;
             c.interval_ms = interval_ms;
             c.burst_ms = burst_ms;
             c.queue_capacity = queue_capacity;
             c.max_queue_ms = max_queue_ms;
             return cc::Pacer(c);
           }),
           py::kw_only(), "interval_ms"_a, "burst_ms"_a, "queue_capacity"_a, "max_queue_ms"_a)
      .def("set_pacing_rate", &cc::Pacer::SetPacingRate, "bps"_a)
      .def(
          "enqueue",
          [](cc::Pacer& p, uint64_t id, uint32_t size, const std::string& kind, double now_ms) {
            return p.Enqueue(id, size, KindFromName(kind), now_ms);
          },
          "packet_id"_a, "size_bytes"_a, "kind"_a, "now_ms"_a)
      .def(
          "start_probe",
          [](cc::Pacer& p, int id, double bps, int min_packets, double min_duration_ms, double now_ms) {
            p.StartProbe(cc::ProbeCluster{id, bps, min_packets, min_duration_ms}, now_ms);
          },
          "cluster_id"_a, "bitrate_bps"_a, "min_packets"_a, "min_duration_ms"_a, "now_ms"_a)
      .def(
          "process",
          [](cc::Pacer& p, double now_ms) {
            static thread_local std::vector<cc::PacedPacket> buf(512);
            py::list out;
            size_t n;
            do {
              n = p.Process(now_ms, buf);
              for (size_t i = 0; i < n; ++i) {
                const auto& k = buf[i];
                out.append(py::make_tuple(k.id, k.size, KindName(k.kind), k.probe_cluster, k.probe_min_packets));
              }
            } while (n == buf.size());
            return out;
          },
          "now_ms"_a)
      .def_property_readonly("next_process_ms", &cc::Pacer::NextProcessMs)
      .def_property_readonly("queued_bytes", &cc::Pacer::queued_bytes)
      .def_property_readonly("queued_packets", &cc::Pacer::queued_packets)
      .def_property_readonly("pacing_bps", &cc::Pacer::pacing_bps)
      .def("stats", [](const cc::Pacer& p) {
        const auto& s = p.stats();
        return py::dict("sent_packets"_a = s.sent_packets, "sent_bytes"_a = s.sent_bytes,
                        "padding_bytes"_a = s.padding_bytes, "dropped"_a = s.dropped);
      });
}

}  // namespace cbcs::bindings
