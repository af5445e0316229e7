// Fixed-arena packet history keyed by sequence number, with age and resend-rate limits.
#include "cbcs/fec/RetransmissionHistory.hpp"

#include <cmath>
#include <cstring>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::fec {

RetransmissionHistory::RetransmissionHistory(std::size_t capacity, std::size_t max_packet_size,
                                             double max_age_ms)
    : capacity_(capacity), max_packet_size_(max_packet_size), max_age_ms_(max_age_ms) {
  if (capacity < 1 || capacity > 32768) {
    throw ConfigError("capacity: expected 1..32768 packets, got " + std::to_string(capacity));
  }
  if (max_packet_size < 12 || max_packet_size > 65535) {
    throw ConfigError("max_packet_size: expected 12..65535 bytes, got " +
                      std::to_string(max_packet_size));
  }
  if (!(max_age_ms > 0) || !std::isfinite(max_age_ms)) {
    throw ConfigError("max_age_ms: expected a finite value > 0, got " + std::to_string(max_age_ms));
  }
  arena_.resize(capacity * max_packet_size);
  slots_.resize(capacity);
}

bool RetransmissionHistory::Store(uint16_t sequence, std::span<const uint8_t> packet,
                                  double now_ms) noexcept {
  if (packet.size() > max_packet_size_) {
    ++stats_.too_large;
    return false;
  }
  const std::size_t index = sequence % capacity_;
  Slot& s = slots_[index];
  s = Slot{sequence, true, packet.size(), now_ms, -1e300};
  if (!packet.empty()) std::memcpy(&arena_[index * max_packet_size_], packet.data(), packet.size());
  ++stats_.stored;
  return true;
}

std::span<const uint8_t> RetransmissionHistory::Resend(uint16_t sequence, double now_ms,
                                                       double min_interval_ms) noexcept {
  const std::size_t index = sequence % capacity_;
  Slot& s = slots_[index];
  if (!s.used || s.sequence != sequence || now_ms - s.sent_ms > max_age_ms_) {
    ++stats_.missing;
    return {};
  }
  if (now_ms - s.resent_ms < min_interval_ms) {
    ++stats_.too_soon;
    return {};
  }
  s.resent_ms = now_ms;
  ++stats_.resent;
  return std::span<const uint8_t>(&arena_[index * max_packet_size_], s.size);
}

}  // namespace cbcs::fec
