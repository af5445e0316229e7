// libFuzzer target: TransportFeedback::Parse on arbitrary bytes must never crash, and whatever
// it accepts must survive a rebuild from its arrival times and parse again.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cbcs/cc/TransportFeedback.hpp"
#include "cbcs/cc/TransportSequenceExtension.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static cbcs::cc::TransportFeedback parsed;
  static cbcs::cc::TransportFeedback rebuilt;
  static std::vector<uint8_t> out(300'000);
  const std::span<const uint8_t> in(data, size);
  uint16_t seq = 0;
  bool has_request = false;
  cbcs::cc::TransportSequenceExtension::FeedbackRequest request;
  cbcs::cc::TransportSequenceExtension::Parse(in.first(size < 4 ? size : 4), &seq, &has_request,
                                              &request);
  if (parsed.Parse(in) != cbcs::cc::FeedbackStatus::kOk) return 0;
  if (parsed.packet_size() > size) __builtin_trap();
  rebuilt.Reset(parsed.sender_ssrc(), parsed.media_ssrc(), parsed.base_seq(), 0,
                parsed.feedback_count());
  size_t received = 0;
  parsed.ForEachPacket([&](uint16_t s, bool rx, int64_t t) {
    if (rx && rebuilt.AddReceivedPacket(s, t - parsed.BaseTimeUs()) == cbcs::cc::FeedbackStatus::kOk) {
      ++received;
    }
  });
  if (received == 0) return 0;
  const size_t n = rebuilt.Serialize(out);
  if (n == 0 || n % 4 != 0) __builtin_trap();
  if (parsed.Parse(std::span<const uint8_t>(out.data(), n)) != cbcs::cc::FeedbackStatus::kOk) {
    __builtin_trap();
  }
  return 0;
}
