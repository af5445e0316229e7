// Fuzzes the RFC 2198 parser; a parsed payload must rebuild to exactly the same bytes.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cbcs/rtp/RedPayload.hpp"

using cbcs::rtp::RedBlock;
using cbcs::rtp::RedPayload;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::array<RedBlock, 32> blocks;
  size_t count = 0;
  if (RedPayload::Parse({data, size}, blocks, count) != cbcs::rtp::RedParseStatus::kOk) return 0;
  if (count == 0) std::abort();
  std::vector<uint8_t> out(size);
  const size_t n = RedPayload::Build(std::span(blocks.data(), count - 1), blocks[count - 1].payload_type,
                                     blocks[count - 1].data, out);
  if (n != size || std::memcmp(out.data(), data, size) != 0) std::abort();
  return 0;
}
