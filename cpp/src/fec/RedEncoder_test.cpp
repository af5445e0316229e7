#include "cbcs/fec/RedEncoder.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "AllocationCounter.hpp"
#include "cbcs/rtp/RedPayload.hpp"

namespace cbcs::fec {
namespace {

TEST(RedEncoder, CarriesEarlierFramesOldestFirstWithTheirOffsets) {
  RedEncoder enc(2, 2, 111);
  std::vector<uint8_t> out(4096);
  for (uint32_t i = 0; i < 5; ++i) {
    const std::vector<uint8_t> frame(10 + i, static_cast<uint8_t>(i));
    const std::size_t n = enc.Encode(960 * i, frame, 2, 2, out);
    ASSERT_GT(n, 0u);
    std::array<rtp::RedBlock, 8> blocks;
    std::size_t count = 0;
    ASSERT_EQ(rtp::RedPayload::Parse(std::span(out.data(), n), blocks, count), rtp::RedParseStatus::kOk);
    // Frame i carries i-4 and i-2 when they exist.
    const std::size_t expected = 1 + (i >= 2) + (i >= 4);
    ASSERT_EQ(count, expected) << i;
    if (i == 4) {
      EXPECT_EQ(blocks[0].timestamp_offset, 3840u);
      EXPECT_EQ(blocks[0].data[0], 0);
      EXPECT_EQ(blocks[1].timestamp_offset, 1920u);
      EXPECT_EQ(blocks[1].data[0], 2);
    }
    EXPECT_EQ(blocks[count - 1].data.size(), 10 + i);
  }
}

TEST(RedEncoder, LeavesOutWhatRfc2198CannotCarry) {
  RedEncoder enc(1, 1, 111);
  std::vector<uint8_t> out(4096);
  const std::vector<uint8_t> big(1100, 1), small(10, 2);
  ASSERT_GT(enc.Encode(0, big, 1, 1, out), 0u);
  EXPECT_EQ(enc.Encode(960, small, 1, 1, out), 1u + 10u);  // the 1100-byte frame is left out
  EXPECT_EQ(enc.Encode(960 + 20000, small, 1, 1, out), 1u + 10u);  // offset over 14 bits
  EXPECT_EQ(enc.Encode(0, small, 2, 1, out), 0u);  // depth above the maximum
}

TEST(RedEncoder, EncodingAllocatesNothing) {
  RedEncoder enc(3, 2, 111);
  std::vector<uint8_t> out(4096), frame(120, 7);
  const uint64_t before = testing::AllocationCount();
  for (uint32_t i = 0; i < 1000; ++i) enc.Encode(960 * i, frame, 3, 2, out);
  EXPECT_EQ(testing::AllocationCount(), before);
}

}  // namespace
}  // namespace cbcs::fec
