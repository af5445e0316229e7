// Fuzzes RTX unwrap/wrap on arbitrary packets; wrapping an unwrapped packet restores it.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cbcs/rtp/Rtx.hpp"

using cbcs::rtp::RtpPacket;
using cbcs::rtp::Rtx;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  RtpPacket rtx;
  if (RtpPacket::Parse({data, size}, rtx) != cbcs::rtp::RtpParseStatus::kOk) return 0;
  std::vector<uint8_t> original(size);
  const size_t n = Rtx::Unwrap(rtx, 96, 0x1234, original);
  if (n == 0) return 0;
  RtpPacket orig;
  if (RtpPacket::Parse(std::span(original.data(), n), orig) != cbcs::rtp::RtpParseStatus::kOk) return 0;
  std::vector<uint8_t> back(Rtx::WrapSize(orig));
  const size_t m = Rtx::Wrap(orig, rtx.PayloadType(), rtx.Ssrc(), rtx.Sequence(), back);
  if (m == 0 || m > size) std::abort();
  if (std::memcmp(back.data() + 1, data + 1, m - 1) != 0) std::abort();
  return 0;
}
