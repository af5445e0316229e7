// Fuzzes the RTP parser; a parsed packet must rebuild to the same header and payload bytes.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cbcs/rtp/RtpPacket.hpp"

using cbcs::rtp::RtpPacket;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  RtpPacket p;
  if (RtpPacket::Parse({data, size}, p) != cbcs::rtp::RtpParseStatus::kOk) return 0;
  std::vector<uint32_t> csrcs;
  for (size_t i = 0; i < p.CsrcCount(); ++i) csrcs.push_back(p.Csrc(i));
  cbcs::rtp::RtpHeader h{p.Marker(), p.PayloadType(), p.Sequence(), p.Timestamp(), p.Ssrc(),
                         csrcs, p.HasExtension(), p.ExtensionProfile(), p.Extension()};
  std::vector<uint8_t> out(size + 16);
  const size_t n = RtpPacket::Build(h, p.Payload(), out, 0);
  // Everything but the padding (and the P bit) comes back byte for byte.
  const size_t expect = size - p.PaddingSize();
  if (n != expect) std::abort();
  if (std::memcmp(out.data() + 1, data + 1, expect - 1) != 0) std::abort();
  if ((out[0] & ~0x20) != (data[0] & ~0x20)) std::abort();
  return 0;
}
