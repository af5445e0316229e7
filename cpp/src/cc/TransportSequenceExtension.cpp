// The transport-wide sequence number RTP header extension.
#include "cbcs/cc/TransportSequenceExtension.hpp"

namespace cbcs::cc {

bool TransportSequenceExtension::Parse(std::span<const uint8_t> value, uint16_t* seq,
                                       bool* has_request, FeedbackRequest* request) noexcept {
  if (value.size() != 2 && value.size() != 4) return false;
  *seq = static_cast<uint16_t>((value[0] << 8) | value[1]);
  *has_request = value.size() == 4;
  if (*has_request) {
    request->include_timestamps = (value[2] & 0x80) != 0;
    request->sequence_count = static_cast<uint16_t>(((value[2] & 0x7F) << 8) | value[3]);
  }
  return true;
}

size_t TransportSequenceExtension::Write(std::span<uint8_t> out, uint16_t seq) noexcept {
  if (out.size() < 2) return 0;
  out[0] = static_cast<uint8_t>(seq >> 8);
  out[1] = static_cast<uint8_t>(seq);
  return 2;
}

size_t TransportSequenceExtension::WriteWithRequest(std::span<uint8_t> out, uint16_t seq,
                                                    const FeedbackRequest& request) noexcept {
  if (out.size() < 4) return 0;
  Write(out, seq);
  const uint16_t count = request.sequence_count & 0x7FFF;
  out[2] = static_cast<uint8_t>((request.include_timestamps ? 0x80 : 0) | (count >> 8));
  out[3] = static_cast<uint8_t>(count);
  return 4;
}

size_t TransportSequenceExtension::WriteOneByteElement(std::span<uint8_t> out, uint8_t id,
                                                       uint16_t seq) noexcept {
  if (id < 1 || id > 14 || out.size() < 3) return 0;
  out[0] = static_cast<uint8_t>((id << 4) | 1);  // L = length - 1
  return 1 + Write(out.subspan(1), seq);
}

}  // namespace cbcs::cc
