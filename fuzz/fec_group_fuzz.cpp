// Fuzzes the Reed-Solomon group decoder with interleaved frames and repair payloads:
// 1-byte kind/length, then either (seq, ts, payload) or a repair payload.
#include <array>
#include <cstdint>

#include "cbcs/fec/FecGroupDecoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cbcs::fec::FecGroupDecoder dec(64, 32, 4);
  std::array<cbcs::fec::MediaFrame, 255> out;
  size_t pos = 0;
  while (pos + 1 < size) {
    const bool repair = data[pos] & 0x80;
    const size_t len = std::min<size_t>(size - pos - 1, data[pos] & 0x7f);
    const uint8_t* p = data + pos + 1;
    if (repair) {
      dec.OnRepair({p, len}, out);
    } else if (len >= 6) {
      const uint16_t seq = static_cast<uint16_t>(p[0] << 8 | p[1]);
      const uint32_t ts = uint32_t{p[2]} << 24 | uint32_t{p[3]} << 16 | uint32_t{p[4]} << 8 | p[5];
      dec.OnFrame(seq, ts, {p + 6, len - 6}, out);
    }
    pos += 1 + len;
  }
  return 0;
}
