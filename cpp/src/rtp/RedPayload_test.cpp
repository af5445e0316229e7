#include "cbcs/rtp/RedPayload.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace cbcs::rtp {
namespace {

// Chrome's audio RED: red/48000/2 with fmtp 111/111, so every block is Opus (PT 111) and
// the redundant block is the previous 20 ms frame (offset 960 at 48 kHz).
TEST(RedPayload, OneRedundantBlockMatchesRfc2198LayoutByteForByte) {
  const std::vector<uint8_t> older = {0xA1, 0xA2, 0xA3};
  const std::vector<uint8_t> primary = {0xB1, 0xB2, 0xB3, 0xB4};
  const RedBlock red[] = {{111, 960, older}};
  std::vector<uint8_t> out(64);
  const std::size_t n = RedPayload::Build(red, 111, primary, out);
  out.resize(n);
  // F=1|PT 111 = 0xEF; (960 << 10) | 3 = 0x0F0003; F=0|PT 111 = 0x6F; then data in order.
  const std::vector<uint8_t> expected = {0xEF, 0x0F, 0x00, 0x03, 0x6F, 0xA1, 0xA2,
                                         0xA3, 0xB1, 0xB2, 0xB3, 0xB4};
  EXPECT_EQ(out, expected);

  std::array<RedBlock, 4> blocks;
  std::size_t count = 0;
  ASSERT_EQ(RedPayload::Parse(out, blocks, count), RedParseStatus::kOk);
  ASSERT_EQ(count, 2u);
  EXPECT_EQ(blocks[0].payload_type, 111);
  EXPECT_EQ(blocks[0].timestamp_offset, 960u);
  EXPECT_EQ(std::vector<uint8_t>(blocks[0].data.begin(), blocks[0].data.end()), older);
  EXPECT_EQ(blocks[1].timestamp_offset, 0u);
  EXPECT_EQ(std::vector<uint8_t>(blocks[1].data.begin(), blocks[1].data.end()), primary);
}

TEST(RedPayload, TwoBlocksOldestFirstAndEdgeValues) {
  const std::vector<uint8_t> a(1023, 0x11), b = {0x22}, primary = {};
  const RedBlock red[] = {{111, 16383, a}, {0, 1, b}};
  std::vector<uint8_t> out(2048);
  const std::size_t n = RedPayload::Build(red, 127, primary, out);
  ASSERT_EQ(n, 4 + 4 + 1 + 1023 + 1u);
  // 16383 << 10 | 1023 = 0xFFFFFF: every offset and length bit set.
  EXPECT_EQ(out[0], 0xEF);
  EXPECT_EQ(out[1], 0xFF);
  EXPECT_EQ(out[2], 0xFF);
  EXPECT_EQ(out[3], 0xFF);
  EXPECT_EQ(out[4], 0x80);  // F=1, PT 0
  EXPECT_EQ(out[5], 0x00);
  EXPECT_EQ(out[6], 0x04);  // offset 1 -> bit 10
  EXPECT_EQ(out[7], 0x01);  // length 1
  EXPECT_EQ(out[8], 0x7F);  // primary header, PT 127
  std::array<RedBlock, 3> blocks;
  std::size_t count = 0;
  ASSERT_EQ(RedPayload::Parse(std::span(out.data(), n), blocks, count), RedParseStatus::kOk);
  ASSERT_EQ(count, 3u);
  EXPECT_EQ(blocks[0].timestamp_offset, 16383u);
  EXPECT_EQ(blocks[0].data.size(), 1023u);
  EXPECT_EQ(blocks[1].timestamp_offset, 1u);
  EXPECT_EQ(blocks[1].data[0], 0x22);
  EXPECT_EQ(blocks[2].payload_type, 127);
  EXPECT_TRUE(blocks[2].data.empty());
}

TEST(RedPayload, BuildRefusesWhatTheHeaderCannotCarry) {
  const std::vector<uint8_t> big(1024), small(2);
  std::vector<uint8_t> out(4096);
  const RedBlock too_long[] = {{111, 960, big}};
  const RedBlock too_old[] = {{111, 16384, small}};
  EXPECT_EQ(RedPayload::Build(too_long, 111, small, out), 0u);
  EXPECT_EQ(RedPayload::Build(too_old, 111, small, out), 0u);
  EXPECT_EQ(RedPayload::Build({}, 128, small, out), 0u);
  std::vector<uint8_t> tiny(2);
  EXPECT_EQ(RedPayload::Build({}, 111, small, tiny), 0u);
}

TEST(RedPayload, ParseRejectsTruncationAndOverflow) {
  std::array<RedBlock, 2> blocks;
  std::size_t count = 0;
  const std::vector<std::pair<std::vector<uint8_t>, RedParseStatus>> cases = {
      {{}, RedParseStatus::kTooShort},
      {{0xEF, 0x0F}, RedParseStatus::kTooShort},                   // header cut
      {{0xEF, 0x0F, 0x00, 0x03}, RedParseStatus::kTooShort},       // no primary header
      {{0xEF, 0x0F, 0x00, 0x03, 0x6F, 1, 2}, RedParseStatus::kTooShort},  // data short
      {{0xEF, 0, 0, 0, 0xEF, 0, 0, 0, 0x6F}, RedParseStatus::kTooManyBlocks},
  };
  for (const auto& [bytes, status] : cases) {
    EXPECT_EQ(RedPayload::Parse(bytes, blocks, count), status);
  }
}

}  // namespace
}  // namespace cbcs::rtp
