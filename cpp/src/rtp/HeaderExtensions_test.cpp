#include "cbcs/rtp/HeaderExtensions.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace cbcs::rtp {
namespace {

std::vector<uint8_t> Find(uint16_t profile, const std::vector<uint8_t>& block, uint8_t id) {
  const auto found = FindExtension(profile, block, id);
  if (!found) return {0xEE};  // a marker no test expects as data
  return {found->begin(), found->end()};
}

TEST(HeaderExtensions, FindsOneByteElementsAsChromeSendsThem) {
  // Chrome's audio: ssrc-audio-level (id 1, 1 byte), transport-cc (id 3, 2 bytes),
  // mid (id 4, "0"), then padding to the word.
  const std::vector<uint8_t> block = {0x10, 0x8A, 0x31, 0x01, 0x2C, 0x40, '0', 0x00};
  EXPECT_EQ(Find(kOneByteProfile, block, 1), (std::vector<uint8_t>{0x8A}));
  EXPECT_EQ(Find(kOneByteProfile, block, 3), (std::vector<uint8_t>{0x01, 0x2C}));
  EXPECT_EQ(Find(kOneByteProfile, block, 4), (std::vector<uint8_t>{'0'}));
  EXPECT_EQ(Find(kOneByteProfile, block, 2), (std::vector<uint8_t>{0xEE}));
}

TEST(HeaderExtensions, FindsTwoByteElementsIncludingEmptyOnes) {
  const std::vector<uint8_t> block = {0x05, 0x00, 0x00, 0x07, 0x02, 0xAB, 0xCD, 0x00};
  EXPECT_EQ(Find(0x1000, block, 5), (std::vector<uint8_t>{}));
  EXPECT_EQ(Find(0x1000, block, 7), (std::vector<uint8_t>{0xAB, 0xCD}));
}

TEST(HeaderExtensions, RejectsWhatItCannotReadSafely) {
  EXPECT_FALSE(FindExtension(0x1234, std::vector<uint8_t>{0x10, 0x01, 0, 0}, 1));  // other profile
  EXPECT_FALSE(FindExtension(kOneByteProfile, std::vector<uint8_t>{0x13, 0x01}, 1));  // overruns
  EXPECT_FALSE(FindExtension(kOneByteProfile, std::vector<uint8_t>{0xF0, 0x10, 0x01}, 1));  // id 15 stops
  EXPECT_FALSE(FindExtension(0x1000, std::vector<uint8_t>{0x01}, 1));  // half a header
  EXPECT_FALSE(FindExtension(kOneByteProfile, std::vector<uint8_t>{}, 1));
}

TEST(HeaderExtensions, BuildsOneByteBlocksThatParseBack) {
  const uint8_t mid[] = {'0'};
  const uint8_t tcc[] = {0xFF, 0xFE};
  const ExtensionElement elements[] = {{4, mid}, {3, tcc}};
  std::vector<uint8_t> out(16, 0xAA);
  const std::size_t n = BuildOneByteExtensions(elements, out);
  ASSERT_EQ(n, 8u);
  EXPECT_EQ(std::vector<uint8_t>(out.begin(), out.begin() + 8),
            (std::vector<uint8_t>{0x40, '0', 0x31, 0xFF, 0xFE, 0, 0, 0}));
  EXPECT_EQ(Find(kOneByteProfile, {out.begin(), out.begin() + 8}, 3),
            (std::vector<uint8_t>{0xFF, 0xFE}));
}

TEST(HeaderExtensions, RefusesElementsTheOneByteFormCannotCarry) {
  const uint8_t long_data[17] = {};
  const uint8_t one[] = {1};
  std::vector<uint8_t> out(64);
  const ExtensionElement too_long[] = {{1, long_data}};
  const ExtensionElement bad_id[] = {{15, one}};
  const ExtensionElement empty[] = {{2, {}}};
  EXPECT_EQ(BuildOneByteExtensions(too_long, out), 0u);
  EXPECT_EQ(BuildOneByteExtensions(bad_id, out), 0u);
  EXPECT_EQ(BuildOneByteExtensions(empty, out), 0u);
  std::vector<uint8_t> small(3);
  const ExtensionElement fits_not[] = {{1, one}, {2, one}};
  EXPECT_EQ(BuildOneByteExtensions(fits_not, small), 0u);
}

}  // namespace
}  // namespace cbcs::rtp
