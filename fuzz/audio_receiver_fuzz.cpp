// Fuzzes the call audio receiver with a stream of packets: RTP parse, the transport-wide
// extension, RED split, in-band FEC and Opus decode, into a real jitter buffer. Input: a
// run of [2-byte big-endian length][packet] records. Nothing may crash, and what the
// receiver counts must add up.
#include <cstdint>
#include <cstdlib>

#include "cbcs/jitter/JitterBuffer.hpp"
#include "cbcs/rtc/AudioReceiver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cbcs::jitter::JitterConfig config;
  config.sample_rate = 48000;
  config.max_delay_ms = 500;
  cbcs::jitter::JitterBuffer buffer(config);
  cbcs::rtc::AudioReceiver rx(buffer, {111, 63, 3});
  double now_ms = 0.0;
  int64_t packets = 0;
  while (size >= 2) {
    const size_t n = (static_cast<size_t>(data[0]) << 8 | data[1]) % 1500;
    data += 2;
    size -= 2;
    const size_t take = n < size ? n : size;
    const auto info = rx.OnPacket({data, take}, now_ms);
    if (info.accepted && !info.parsed) std::abort();
    ++packets;
    data += take;
    size -= take;
    now_ms += 20.0;
    buffer.Get(now_ms);
    buffer.Get(now_ms + 10.0);
  }
  const auto& c = rx.Counters();
  const int64_t counted =
      c.packets_received + c.packets_duplicate + c.malformed + rx.Guard().Rejected();
  if (counted > packets * 2 ||
      c.padding > c.packets_received || c.recovered_red > 16 * c.packets_received) {
    std::abort();
  }
  return 0;
}
