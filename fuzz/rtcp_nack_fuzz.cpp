// Fuzzes the generic NACK parser over a compound RTCP packet; NACKs must rebuild and reparse.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "cbcs/rtp/RtcpNack.hpp"

using cbcs::rtp::RtcpNack;
using cbcs::rtp::RtcpNackParseStatus;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::array<uint16_t, 512> lost;
  std::span<const uint8_t> rest(data, size);
  while (!rest.empty()) {
    cbcs::rtp::RtcpNackInfo info;
    const auto st = RtcpNack::Parse(rest, lost, info);
    if (st == RtcpNackParseStatus::kOk && info.lost_count > 0) {
      std::vector<uint8_t> out(RtcpNack::BuildSize(std::span(lost.data(), info.lost_count)));
      const size_t n = RtcpNack::Build(info.sender_ssrc, info.media_ssrc,
                                       std::span(lost.data(), info.lost_count), out);
      std::array<uint16_t, 512> again;
      cbcs::rtp::RtcpNackInfo info2;
      if (n == 0 || RtcpNack::Parse(std::span(out.data(), n), again, info2) != RtcpNackParseStatus::kOk ||
          info2.lost_count != info.lost_count) {
        std::abort();
      }
      for (size_t i = 0; i < info.lost_count; ++i) if (again[i] != lost[i]) std::abort();
    }
    if ((st != RtcpNackParseStatus::kOk && st != RtcpNackParseStatus::kNotNack) || info.packet_size == 0) break;
    rest = rest.subspan(info.packet_size);
  }
  return 0;
}
