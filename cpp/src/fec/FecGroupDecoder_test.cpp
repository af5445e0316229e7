#include "cbcs/fec/FecGroupDecoder.hpp"

#include <gtest/gtest.h>

#include <array>
#include <map>
#include <random>
#include <vector>

#include "AllocationCounter.hpp"
#include "cbcs/fec/FecGroupEncoder.hpp"

namespace cbcs::fec {
namespace {

TEST(FecGroup, RecoversUpToMLostFramesPerGroupWithTimestampsAndLengths) {
  std::mt19937 rng(3);
  FecGroupEncoder enc(5, 2, 200);
  FecGroupDecoder dec(200);
  std::array<MediaFrame, 255> out;
  std::map<uint16_t, std::vector<uint8_t>> sent, got;
  for (int g = 0; g < 20; ++g) {
    std::vector<int> lost = {static_cast<int>(rng() % 7), static_cast<int>(rng() % 7)};
    std::vector<std::vector<uint8_t>> repairs;
    for (int j = 0; j < 5; ++j) {
      const auto seq = static_cast<uint16_t>(65500 + g * 5 + j);
      std::vector<uint8_t> frame(rng() % 200);
      for (auto& b : frame) b = static_cast<uint8_t>(rng());
      sent[seq] = frame;
      if (enc.AddFrame(seq, seq * 160u, frame) == 2) {
        for (std::size_t r = 0; r < 2; ++r) {
          const auto s = enc.Repair(r);
          repairs.emplace_back(s.begin(), s.end());
        }
      }
      if (j != lost[0] && j != lost[1]) {
        got[seq] = frame;
        const std::size_t n = dec.OnFrame(seq, seq * 160u, frame, out);
        EXPECT_EQ(n, 0u);
      }
    }
    for (int r = 0; r < 2; ++r) {
      if (5 + r == lost[0] || 5 + r == lost[1]) continue;
      const std::size_t n = dec.OnRepair(repairs[r], out);
      for (std::size_t i = 0; i < n; ++i) {
        EXPECT_TRUE(out[i].recovered);
        EXPECT_EQ(out[i].timestamp, out[i].sequence * 160u);
        got[out[i].sequence] = std::vector<uint8_t>(out[i].payload.begin(), out[i].payload.end());
      }
    }
  }
  EXPECT_EQ(got, sent);
}

TEST(FecGroup, RecoversTheFirstFrameOfAStreamStartingJustBeforeTheWrap) {
  // Found by a property test: the base unwraps to -1, which an empty slot must not match.
  FecGroupEncoder enc(4, 1, 50);
  FecGroupDecoder dec(50);
  std::array<MediaFrame, 255> out;
  const std::vector<uint8_t> frame = {1, 2, 3};
  for (int j = 0; j < 4; ++j) {
    const auto seq = static_cast<uint16_t>(65535 + j);
    enc.AddFrame(seq, 0, frame);
    if (j > 0) dec.OnFrame(seq, 0, frame, out);
  }
  ASSERT_EQ(dec.OnRepair(enc.Repair(0), out), 1u);
  EXPECT_EQ(out[0].sequence, 65535);
  EXPECT_EQ(std::vector<uint8_t>(out[0].payload.begin(), out[0].payload.end()), frame);
}

TEST(FecGroup, SteadyStateAllocatesNothingAfterTheFirstGroup) {
  FecGroupEncoder enc(4, 2, 200);
  FecGroupDecoder dec(200);
  std::array<MediaFrame, 255> out;
  std::vector<uint8_t> frame(120, 9);
  uint64_t before = 0;
  for (int i = 0; i < 2000; ++i) {
    if (i == 8) before = testing::AllocationCount();  // the decoder's codec exists by now
    const auto seq = static_cast<uint16_t>(i);
    const std::size_t m = enc.AddFrame(seq, i * 960u, frame);
    if (i % 4 != 1) dec.OnFrame(seq, i * 960u, frame, out);
    for (std::size_t r = 0; r < m; ++r) dec.OnRepair(enc.Repair(r), out);
  }
  EXPECT_EQ(testing::AllocationCount(), before);
  EXPECT_EQ(dec.Stats().recovered, 500u);
}

TEST(FecGroup, GarbageRepairsAreCountedNotTrusted) {
  FecGroupDecoder dec(64);
  std::array<MediaFrame, 255> out;
  std::mt19937 rng(5);
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> junk(rng() % 90);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    const std::size_t n = dec.OnRepair(junk, out);
    for (std::size_t j = 0; j < n; ++j) EXPECT_LE(out[j].payload.size(), 64u);
  }
  EXPECT_GT(dec.Stats().malformed, 0u);
}

}  // namespace
}  // namespace cbcs::fec
