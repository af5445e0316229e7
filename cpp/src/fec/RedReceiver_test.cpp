#include "cbcs/fec/RedReceiver.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "AllocationCounter.hpp"
#include "cbcs/fec/RedEncoder.hpp"

namespace cbcs::fec {
namespace {

TEST(RedReceiver, RecoversLostFramesOnceAndInfersTheirSequence) {
  RedEncoder enc(2, 1, 111);
  RedReceiver rx(960);
  std::vector<std::vector<uint8_t>> packets;
  for (uint32_t i = 0; i < 6; ++i) {
    std::vector<uint8_t> out(2048);
    const std::vector<uint8_t> frame(5, static_cast<uint8_t>(i));
    out.resize(enc.Encode(960 * i, frame, 2, 1, out));
    packets.push_back(out);
  }
  std::array<MediaFrame, RedReceiver::kMaxBlocks> frames;
  std::vector<uint16_t> delivered;
  for (uint16_t i : {0, 3, 4, 5}) {  // 1 and 2 lost
    const std::size_t n = rx.OnPacket(static_cast<uint16_t>(65534 + i), 960 * i, packets[i], frames);
    for (std::size_t j = 0; j < n; ++j) {
      delivered.push_back(frames[j].sequence);
      EXPECT_EQ(frames[j].payload[0], static_cast<uint8_t>(frames[j].timestamp / 960));
      EXPECT_EQ(frames[j].recovered, frames[j].sequence != static_cast<uint16_t>(65534 + i));
    }
  }
  EXPECT_EQ(delivered, (std::vector<uint16_t>{65534, 65535, 0, 1, 2, 3}));
  EXPECT_EQ(rx.Stats().recovered, 2u);
  EXPECT_GT(rx.Stats().duplicates, 0u);
}

TEST(RedReceiver, MalformedPayloadIsCountedNotDelivered) {
  RedReceiver rx(960);
  std::array<MediaFrame, RedReceiver::kMaxBlocks> frames;
  const std::vector<uint8_t> bad = {0xEF, 0x0F, 0x00};
  EXPECT_EQ(rx.OnPacket(1, 0, bad, frames), 0u);
  EXPECT_EQ(rx.Stats().malformed, 1u);
}

TEST(RedReceiver, SteadyStateAllocatesNothing) {
  RedEncoder enc(2, 1, 111);
  RedReceiver rx(960);
  std::vector<uint8_t> out(2048), frame(100, 1);
  std::array<MediaFrame, RedReceiver::kMaxBlocks> frames;
  const uint64_t before = testing::AllocationCount();
  for (uint32_t i = 0; i < 3000; ++i) {
    const std::size_t n = enc.Encode(960 * i, frame, 2, 1, out);
    if (i % 5 != 2) rx.OnPacket(static_cast<uint16_t>(i), 960 * i, std::span(out.data(), n), frames);
  }
  EXPECT_EQ(testing::AllocationCount(), before);
}

}  // namespace
}  // namespace cbcs::fec
