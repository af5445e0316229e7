// Fuzzes the RFC 8285 element finder: any profile, block and id; whatever it returns must
// lie inside the block.
#include <cstdint>
#include <cstdlib>

#include "cbcs/rtp/HeaderExtensions.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const uint16_t profile = (data[0] & 1) ? cbcs::rtp::kOneByteProfile
                                         : static_cast<uint16_t>(0x1000 | (data[0] >> 4));
  const uint8_t id = data[1];
  const std::span<const uint8_t> block(data + 2, size - 2);
  const auto found = cbcs::rtp::FindExtension(profile, block, id);
  if (found && !found->empty() &&
      (found->data() < block.data() || found->data() + found->size() > block.data() + block.size())) {
    std::abort();
  }
  return 0;
}
