#include "cbcs/mix/RoomMixer.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "AllocationCounter.hpp"
#include "cbcs/common/ConfigError.hpp"

namespace cbcs::mix {
namespace {

std::vector<int16_t> Tone(int16_t value, int n) { return std::vector<int16_t>(n, value); }

bool All(std::span<const int16_t> pcm, int16_t value, std::size_t n) {
  if (pcm.size() != n) return false;
  for (int16_t v : pcm) {
    if (v != value) return false;
  }
  return true;
}

constexpr SpeakerMask Bit(int s) { return SpeakerMask{1} << s; }

TEST(RoomMixer, EachSpeakerHearsEveryoneButItselfAndListenersShareOneMix) {
  RoomMixer mixer({4, 8, 960, 4800});
  const std::array<SpeakerMask, 5> masks = {
      Bit(1) | Bit(2) | Bit(3), Bit(0) | Bit(2) | Bit(3), Bit(0) | Bit(1) | Bit(3),
      Bit(0) | Bit(1) | Bit(2), Bit(0) | Bit(1) | Bit(2) | Bit(3)};  // 4 speakers, listeners
  ASSERT_TRUE(mixer.SetMixes(masks));
  const std::array<int16_t, 4> said = {1, 10, 100, 1000};
  for (int s = 0; s < 4; ++s) ASSERT_EQ(mixer.Push(s, Tone(said[s], 960)), 0);
  ASSERT_EQ(mixer.Mix(960), 960);
  EXPECT_EQ(mixer.Active(), Bit(0) | Bit(1) | Bit(2) | Bit(3));
  EXPECT_TRUE(All(mixer.Output(0), 1110, 960));
  EXPECT_TRUE(All(mixer.Output(1), 1101, 960));
  EXPECT_TRUE(All(mixer.Output(2), 1011, 960));
  EXPECT_TRUE(All(mixer.Output(3), 111, 960));
  EXPECT_TRUE(All(mixer.Output(4), 1111, 960));
  // nothing more waits: a round of silence, nobody active
  mixer.Mix(960);
  EXPECT_EQ(mixer.Active(), 0u);
  EXPECT_TRUE(All(mixer.Output(4), 0, 960));
  EXPECT_TRUE(mixer.Output(5).empty());
}

TEST(RoomMixer, SaturatesOnTheExactSumSoRemovingASpeakerUndoesNoClipping) {
  RoomMixer mixer({3, 4, 480, 960});
  const std::array<SpeakerMask, 4> masks = {Bit(1) | Bit(2), Bit(0) | Bit(2), Bit(0) | Bit(1),
                                            Bit(0) | Bit(1) | Bit(2)};
  ASSERT_TRUE(mixer.SetMixes(masks));
  mixer.Push(0, Tone(30000, 480));
  mixer.Push(1, Tone(30000, 480));
  mixer.Push(2, Tone(-30000, 480));
  mixer.Mix(480);
  EXPECT_TRUE(All(mixer.Output(0), 0, 480));       // 30000 - 30000
  EXPECT_TRUE(All(mixer.Output(2), 32767, 480));   // 60000 saturates
  EXPECT_TRUE(All(mixer.Output(3), 30000, 480));   // 30000: the sum never clipped midway
  mixer.Push(0, Tone(-30000, 480));
  mixer.Push(1, Tone(-30000, 480));
  mixer.Mix(480);
  EXPECT_TRUE(All(mixer.Output(2), -32768, 480));
}

TEST(RoomMixer, MasksDecideWhoHearsAWhisperAndAListenerIsHeardByNoOne) {
  // slots: 0 customer, 1 agent, 2 supervisor whispering to the agent
  RoomMixer mixer({3, 4, 960, 1920});
  const SpeakerMask customer = Bit(1), agent = Bit(0) | Bit(2), supervisor = Bit(0) | Bit(1);
  const std::array<SpeakerMask, 3> masks = {customer, agent, supervisor};
  ASSERT_TRUE(mixer.SetMixes(masks));
  mixer.Push(0, Tone(100, 960));
  mixer.Push(2, Tone(500, 960));
  mixer.Mix(960);
  EXPECT_TRUE(All(mixer.Output(0), 0, 960));     // the customer does not hear the whisper
  EXPECT_TRUE(All(mixer.Output(1), 600, 960));   // the agent hears both
  EXPECT_TRUE(All(mixer.Output(2), 100, 960));   // the supervisor hears the call
  // back to listening: heard by no one
  const std::array<SpeakerMask, 3> listening = {Bit(1), Bit(0), Bit(0) | Bit(1)};
  ASSERT_TRUE(mixer.SetMixes(listening));
  EXPECT_TRUE(mixer.Output(0).empty());  // the old masks' outputs are gone
  mixer.Push(2, Tone(500, 960));
  mixer.Mix(960);
  EXPECT_TRUE(All(mixer.Output(0), 0, 960));
  EXPECT_TRUE(All(mixer.Output(1), 0, 960));
}

TEST(RoomMixer, QueuesKeepOrderAcrossRoundsWrapTheRingAndDropTheOldest) {
  RoomMixer mixer({1, 1, 300, 1000});
  const std::array<SpeakerMask, 1> all = {Bit(0)};
  ASSERT_TRUE(mixer.SetMixes(all));
  std::vector<int16_t> ramp(700);
  for (int i = 0; i < 700; ++i) ramp[i] = static_cast<int16_t>(i);
  ASSERT_EQ(mixer.Push(0, ramp), 0);
  std::vector<int16_t> heard;
  for (int r = 0; r < 3; ++r) {
    const int n = mixer.Mix(1000);  // clamped to one round
    ASSERT_EQ(n, 300);
    auto out = mixer.Output(0);
    heard.insert(heard.end(), out.begin(), out.end());
    if (r == 0) {
      ASSERT_EQ(mixer.Push(0, ramp), 100);  // 400 left + 700 > 1000: the 100 oldest drop
    }
  }
  // 0..299, then (300..399 dropped) 400..699 and the second ramp on from 0
  for (int i = 0; i < 300; ++i) EXPECT_EQ(heard[i], i);
  for (int i = 0; i < 600; ++i) EXPECT_EQ(heard[300 + i], i < 300 ? 400 + i : i - 300) << i;
  EXPECT_EQ(mixer.Queued(0), 400);
  // more than a whole queue at once: only the newest queue_samples stay
  EXPECT_EQ(mixer.Push(0, std::vector<int16_t>(1500, 7)), 400 + 500);
  EXPECT_EQ(mixer.Queued(0), 1000);
  mixer.Clear(0);
  EXPECT_EQ(mixer.Queued(0), 0);
  EXPECT_EQ(mixer.Push(1, ramp), -1);
  EXPECT_EQ(mixer.Push(-1, ramp), -1);
}

TEST(RoomMixer, AShortQueueIsPaddedWithSilenceAndNoMixHearsNothing) {
  RoomMixer mixer({2, 2, 480, 960});
  const std::array<SpeakerMask, 2> masks = {Bit(1), 0};
  ASSERT_TRUE(mixer.SetMixes(masks));
  mixer.Push(1, Tone(9, 100));
  mixer.Mix(480);
  auto out = mixer.Output(0);
  ASSERT_EQ(out.size(), 480u);
  for (int i = 0; i < 480; ++i) EXPECT_EQ(out[i], i < 100 ? 9 : 0);
  EXPECT_TRUE(All(mixer.Output(1), 0, 480));
}

TEST(RoomMixer, RefusesBadSizesAndTooManyMixes) {
  EXPECT_THROW(RoomMixer({0, 4, 960, 960}), ConfigError);
  EXPECT_THROW(RoomMixer({65, 4, 960, 960}), ConfigError);
  EXPECT_THROW(RoomMixer({4, 0, 960, 960}), ConfigError);
  EXPECT_THROW(RoomMixer({4, 4, 960, 480}), ConfigError);
  RoomMixer mixer({4, 2, 960, 960});
  const std::array<SpeakerMask, 3> three = {1, 2, 4};
  EXPECT_FALSE(mixer.SetMixes(three));
  EXPECT_EQ(mixer.Mixes(), 0);
  EXPECT_EQ(mixer.Mix(0), 0);
}

TEST(RoomMixer, ARoundOfFourSpeakersAndManyMixesAllocatesNothing) {
  RoomMixer mixer({16, 32, 960, 5760});
  std::vector<SpeakerMask> masks;
  for (int s = 0; s < 16; ++s) masks.push_back(0xFFFFu & ~Bit(s));
  masks.push_back(0xFFFF);
  ASSERT_TRUE(mixer.SetMixes(masks));
  const std::vector<int16_t> frame = Tone(3, 480);
  const uint64_t before = testing::AllocationCount();
  for (int round = 0; round < 100; ++round) {
    for (int s = 0; s < 4; ++s) {
      mixer.Push(s, frame);
      mixer.Push(s, frame);
    }
    mixer.Mix(960);
  }
  EXPECT_EQ(testing::AllocationCount(), before);
  EXPECT_TRUE(All(mixer.Output(16), 12, 960));
  EXPECT_TRUE(All(mixer.Output(0), 9, 960));
  EXPECT_TRUE(All(mixer.Output(5), 12, 960));
}

}  // namespace
}  // namespace cbcs::mix
