// Fuzzes the RED receiver (parser + sequence inference + duplicate window) with a stream of
// packets: 2-byte sequence, 4-byte timestamp, 1-byte length, RED payload.
#include <array>
#include <cstdint>
#include <cstdlib>

#include "cbcs/fec/RedReceiver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cbcs::fec::RedReceiver rx(960, 64);
  std::array<cbcs::fec::MediaFrame, cbcs::fec::RedReceiver::kMaxBlocks> out;
  size_t pos = 0;
  while (pos + 7 <= size) {
    const uint16_t seq = static_cast<uint16_t>(data[pos] << 8 | data[pos + 1]);
    const uint32_t ts = uint32_t{data[pos + 2]} << 24 | uint32_t{data[pos + 3]} << 16 |
                        uint32_t{data[pos + 4]} << 8 | data[pos + 5];
    const size_t len = std::min<size_t>(size - pos - 7, data[pos + 6]);
    const size_t n = rx.OnPacket(seq, ts, {data + pos + 7, len}, out);
    for (size_t i = 0; i < n; ++i) {
      const auto& f = out[i];
      if (!f.payload.empty() && (f.payload.data() < data + pos + 7 ||
                                 f.payload.data() + f.payload.size() > data + pos + 7 + len)) {
        std::abort();
      }
    }
    pos += 7 + len;
  }
  return 0;
}
