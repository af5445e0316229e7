// Packet pacer with priorities and probe clusters.
#include "cbcs/cc/Pacer.hpp"

#include <algorithm>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::cc {

Pacer::Pacer(const PacerConfig& config) : config_(config) {
  if (config.queue_capacity < 1 || config.queue_capacity > (1u << 20)) {
    throw ConfigError("queue_capacity: expected 1..1048576, got " + std::to_string(config.queue_capacity));
  }
  if (!(config.interval_ms > 0 && config.burst_ms >= config.interval_ms)) {
    throw ConfigError("interval_ms/burst_ms: expected 0 < interval <= burst, got " +
                      std::to_string(config.interval_ms) + "/" + std::to_string(config.burst_ms));
  }
  for (auto& r : rings_) r.slots.resize(config.queue_capacity);
}

int Pacer::ClassOf(PacketKind kind) noexcept {
  switch (kind) {
    case PacketKind::kAudio: return 0;
    case PacketKind::kRetransmission: return 1;
    default: return 2;
  }
}

void Pacer::SetPacingRate(double bps) noexcept { rate_bps_ = std::max(bps, 1000.0); }

size_t Pacer::queued_packets() const noexcept {
  size_t n = 0;
  for (const auto& r : rings_) n += r.size;
  return n;
}

bool Pacer::Enqueue(uint64_t id, uint32_t size, PacketKind kind, double now_ms) noexcept {
  (void)now_ms;
  Ring& r = rings_[ClassOf(kind)];
  if (r.size == r.slots.size() || kind == PacketKind::kPadding) {
    ++stats_.dropped;
    return false;
  }
  r.slots[(r.head + r.size) % r.slots.size()] = PacedPacket{id, size, kind, -1, 0};
  ++r.size;
  queued_bytes_ += size;
  return true;
}

bool Pacer::PopNext(PacedPacket* out) noexcept {
  for (auto& r : rings_) {
    if (r.size == 0) continue;
    *out = r.slots[r.head];
    r.head = (r.head + 1) % r.slots.size();
    --r.size;
    queued_bytes_ -= out->size;
    return true;
  }
  return false;
}

void Pacer::StartProbe(const ProbeCluster& cluster, double now_ms) noexcept {
  if (!(cluster.bitrate_bps > 0) || cluster.min_packets < 1) return;
  if (probe_.id >= 0) {
    if (num_waiting_probes_ < kMaxProbeClusters) waiting_probes_[num_waiting_probes_++] = cluster;
    return;
  }
  probe_ = cluster;
  probe_sent_packets_ = 0;
  probe_sent_bytes_ = 0;
  probe_next_ms_ = now_ms;
}

double Pacer::NextProcessMs() const noexcept {
  const double next = (last_process_ms_ < 0 ? 0 : last_process_ms_) + config_.interval_ms;
  return probe_.id >= 0 ? std::min(next, probe_next_ms_) : next;
}

size_t Pacer::Process(double now_ms, std::span<PacedPacket> out) noexcept {
  size_t n = 0;
  // Probe packets first: they run on their own clock at the cluster rate.
  while (probe_.id >= 0 && probe_next_ms_ <= now_ms && n < out.size()) {
    PacedPacket p;
    if (!PopNext(&p)) {
      const double per_packet = probe_.bitrate_bps * probe_.min_duration_ms / 8000 / probe_.min_packets;
      const auto size = static_cast<uint32_t>(std::clamp(per_packet, 50.0, double(config_.max_padding_bytes)));
      p = PacedPacket{0, size, PacketKind::kPadding, -1, 0};
      stats_.padding_bytes += size;
    }
    p.probe_cluster = probe_.id;
    p.probe_min_packets = probe_.min_packets;
    out[n++] = p;
    ++probe_sent_packets_;
    probe_sent_bytes_ += p.size;
    stats_.sent_bytes += p.size;
    ++stats_.sent_packets;
    // Never catch up on a late start: a burst would overstate the rate the probe was sent at.
    probe_next_ms_ = std::max(probe_next_ms_, now_ms) + p.size * 8000.0 / probe_.bitrate_bps;
    if (probe_sent_packets_ >= probe_.min_packets &&
        probe_sent_bytes_ * 8000 >= probe_.bitrate_bps * probe_.min_duration_ms) {
      probe_ = ProbeCluster{};
      if (num_waiting_probes_ > 0) {
        const double next_start = probe_next_ms_;
        StartProbe(waiting_probes_[0], next_start);
        for (size_t i = 1; i < num_waiting_probes_; ++i) waiting_probes_[i - 1] = waiting_probes_[i];
        --num_waiting_probes_;
      }
    }
  }
  if (last_process_ms_ < 0) last_process_ms_ = now_ms;
  const double elapsed = std::max(0.0, now_ms - last_process_ms_);
  last_process_ms_ = now_ms;
  double rate = rate_bps_;
  // A queue that would take longer than max_queue_ms to drain: send faster rather than delay
  // media further (the encoder will follow the lower target soon).
  const double drain_rate = static_cast<double>(queued_bytes_) * 8000 / config_.max_queue_ms;
  rate = std::max(rate, drain_rate);
  budget_bytes_ = std::min(budget_bytes_ + rate * elapsed / 8000, rate * config_.burst_ms / 8000);
  while (budget_bytes_ > 0 && n < out.size()) {
    PacedPacket p;
    if (!PopNext(&p)) break;
    out[n++] = p;
    budget_bytes_ -= p.size;  // may go into debt by one packet; repaid from the next budgets
    stats_.sent_bytes += p.size;
    ++stats_.sent_packets;
  }
  if (queued_bytes_ == 0 && budget_bytes_ > 0) budget_bytes_ = std::min(budget_bytes_, rate * config_.interval_ms / 8000);
  return n;
}

}  // namespace cbcs::cc
