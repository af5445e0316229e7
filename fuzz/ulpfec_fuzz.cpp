// Fuzzes the ULPFEC header parser and recovery: the input is a FEC payload followed by
// candidate media packets (each prefixed by a one-byte length).
#include <cstdint>
#include <vector>

#include "cbcs/rtp/Ulpfec.hpp"

using namespace cbcs::rtp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t fec_len = std::min<size_t>(size - 1, data[0]);
  UlpfecHeader h;
  if (Ulpfec::Parse({data + 1, fec_len}, h) != UlpfecStatus::kOk) return 0;
  std::vector<RtpPacket> present;
  size_t pos = 1 + fec_len;
  while (pos < size) {
    const size_t len = std::min<size_t>(size - pos - 1, data[pos]);
    RtpPacket p;
    if (RtpPacket::Parse({data + pos + 1, len}, p) == RtpParseStatus::kOk) present.push_back(p);
    pos += 1 + len;
  }
  std::vector<uint8_t> out(12 + 65536);
  size_t n = 0;
  Ulpfec::Recover(h, present, 0x1234, out, n);
  if (!present.empty()) {
    std::vector<uint8_t> fec(Ulpfec::BuildSize(present));
    Ulpfec::Build(present, fec, n);
  }
  return 0;
}
