// Fuzz target for the jitter buffer's per-packet path: arbitrary sequences of puts (seq,
// timestamp, length, arrival time, samples) interleaved with gets at arbitrary times.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "cbcs/jitter/JitterBuffer.hpp"

namespace {

struct Reader {
  const uint8_t* p;
  size_t n;
  template <typename T>
  T Take() {
    T v{};
    const size_t k = n < sizeof(T) ? n : sizeof(T);
    std::memcpy(&v, p, k);
    p += k;
    n -= k;
    return v;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  Reader r{data, size};
  const uint8_t setup = r.Take<uint8_t>();
  cbcs::jitter::JitterConfig config;
  static constexpr int kRates[] = {8000, 16000, 48000};
  config.sample_rate = kRates[setup % 3];
  config.max_delay_ms = 100 + ((setup >> 2) % 16) * 60;  // small buffers: many runs per second
  cbcs::jitter::JitterBuffer jb(config);
  std::vector<int16_t> pcm(static_cast<size_t>(config.sample_rate) * 60 / 1000 + 16);
  double now = 0.0;
  while (r.n > 0) {
    const uint8_t op = r.Take<uint8_t>();
    if (op & 1) {
      // put: raw fields, sometimes made plausible so the deeper paths are reached
      int64_t seq = r.Take<uint16_t>();
      int64_t ts = r.Take<uint32_t>();
      double arrival = now + static_cast<double>(r.Take<int16_t>());
      const uint8_t len = r.Take<uint8_t>();
      int64_t samples = (len % 8) * (config.sample_rate / 100);
      if (op & 2) arrival = r.Take<double>();         // any double: NaN, inf, negative
      if (op & 4) seq = r.Take<int32_t>();            // out of range too
      if (op & 8) ts = r.Take<int64_t>();
      if (op & 16) samples = r.Take<int16_t>();
      // Audio content from the remaining input (not consumed: it also drives later ops).
      const size_t bytes = pcm.size() * sizeof(int16_t) < r.n ? pcm.size() * sizeof(int16_t) : r.n;
      std::memcpy(pcm.data(), r.p, bytes);
      const bool null_pcm = (op & 0xE0) == 0xE0;
      // The caller owns the length contract: never claim more samples than the array has.
      if (samples > static_cast<int64_t>(pcm.size())) samples = static_cast<int64_t>(pcm.size());
      jb.Put(seq, ts, null_pcm ? nullptr : pcm.data(), samples, arrival);
    } else {
      // get: usually 10 ms on, sometimes a jump in either direction or garbage
      if (op & 2) {
        now = r.Take<double>();
      } else {
        now += 10.0 * ((op >> 2) & 7);
      }
      const cbcs::jitter::Playout p = jb.Get(now);
      volatile int16_t sink = p.pcm[p.samples - 1];
      (void)sink;
      if (p.source_samples < 0 || p.samples != config.sample_rate / 100) __builtin_trap();
    }
  }
  (void)jb.Stats();
  return 0;
}
