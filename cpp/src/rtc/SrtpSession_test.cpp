#include "cbcs/rtc/SrtpSession.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::rtc {
namespace {

constexpr int kAes128CmSha1_80 = 1;
constexpr int kAeadAes128Gcm = 7;

std::vector<uint8_t> Key(std::size_t n, uint8_t seed) {
  std::vector<uint8_t> k(n);
  for (std::size_t i = 0; i < n; ++i) k[i] = static_cast<uint8_t>(seed + 7 * i);
  return k;
}

std::array<uint8_t, 256> Rtp(uint16_t seq, std::size_t* size) {
  std::array<uint8_t, 256> p{};
  p[0] = 0x80;
  p[1] = 111;
  p[2] = static_cast<uint8_t>(seq >> 8);
  p[3] = static_cast<uint8_t>(seq);
  p[11] = 0x42;  // ssrc
  for (std::size_t i = 12; i < 72; ++i) p[i] = static_cast<uint8_t>(i * seq);
  *size = 72;
  return p;
}

class Srtp : public ::testing::TestWithParam<std::pair<int, std::size_t>> {};

TEST_P(Srtp, WhatOneSideProtectsTheOtherUnprotectsOnce) {
  const auto [profile, key_size] = GetParam();
  const auto key = Key(key_size, 3);
  SrtpSession tx(profile, key, SrtpSession::Direction::kOutbound);
  SrtpSession rx(profile, key, SrtpSession::Direction::kInbound);
  for (uint16_t seq = 65530; seq != 10; ++seq) {  // across a wrap (the rollover counter)
    std::size_t size = 0;
    auto packet = Rtp(seq, &size);
    const auto plain = packet;
    const std::size_t sent = tx.Protect(packet.data(), size, packet.size());
    ASSERT_GT(sent, size);
    EXPECT_NE(std::memcmp(packet.data() + 12, plain.data() + 12, size - 12), 0);  // encrypted
    auto replay = packet;
    ASSERT_EQ(rx.Unprotect(packet.data(), sent), size);
    EXPECT_EQ(std::memcmp(packet.data(), plain.data(), size), 0);
    EXPECT_EQ(rx.Unprotect(replay.data(), sent), 0u);  // a replay is refused
  }
}

TEST_P(Srtp, TamperedOrForeignPacketsAreRefused) {
  const auto [profile, key_size] = GetParam();
  SrtpSession tx(profile, Key(key_size, 3), SrtpSession::Direction::kOutbound);
  SrtpSession rx(profile, Key(key_size, 3), SrtpSession::Direction::kInbound);
  SrtpSession other(profile, Key(key_size, 9), SrtpSession::Direction::kInbound);
  std::size_t size = 0;
  auto packet = Rtp(1, &size);
  const std::size_t sent = tx.Protect(packet.data(), size, packet.size());
  auto copy = packet;
  EXPECT_EQ(other.Unprotect(copy.data(), sent), 0u);
  packet[20] ^= 1;
  EXPECT_EQ(rx.Unprotect(packet.data(), sent), 0u);
  EXPECT_EQ(rx.Unprotect(packet.data(), 5), 0u);
  EXPECT_EQ(tx.Protect(packet.data(), size, size + 1), 0u);  // no room for the tag
}

// A session opened in the middle of a stream whose sequence numbers already wrapped (the
// link opens after aiortc's session took the first packets) must be told the rollover
// counter: without it every packet fails authentication.
TEST_P(Srtp, ASessionOpenedAfterAWrapFollowsTheGivenRolloverCounter) {
  const auto [profile, key_size] = GetParam();
  const auto key = Key(key_size, 3);
  SrtpSession tx(profile, key, SrtpSession::Direction::kOutbound);
  std::vector<std::pair<std::vector<uint8_t>, std::size_t>> sent;  // protected, plain size
  for (uint16_t seq = 65500; seq != 40; ++seq) {
    std::size_t size = 0;
    auto packet = Rtp(seq, &size);
    const std::size_t n = tx.Protect(packet.data(), size, packet.size());
    ASSERT_GT(n, size);
    const auto end = packet.begin() + static_cast<std::ptrdiff_t>(n);
    sent.emplace_back(std::vector<uint8_t>(packet.begin(), end), size);
  }
  const std::size_t after_wrap = 36 + 20;  // seq 20, rollover counter 1
  SrtpSession unaware(profile, key, SrtpSession::Direction::kInbound);
  auto copy = sent[after_wrap].first;
  EXPECT_EQ(unaware.Unprotect(copy.data(), copy.size()), 0u);

  SrtpSession rx(profile, key, SrtpSession::Direction::kInbound);
  ASSERT_TRUE(rx.ContinueStream(0x42, 1));
  for (std::size_t i = after_wrap; i < sent.size(); ++i) {
    auto p = sent[i].first;
    EXPECT_EQ(rx.Unprotect(p.data(), p.size()), sent[i].second) << "packet " << i;
  }
  auto replay = sent[after_wrap].first;
  EXPECT_EQ(rx.Unprotect(replay.data(), replay.size()), 0u);
  // and it keeps counting by itself across the next wrap
  std::size_t refused = 0;
  for (uint32_t i = 40; i < 65536 + 40; ++i) {
    std::size_t size = 0;
    auto packet = Rtp(static_cast<uint16_t>(i), &size);
    const std::size_t n = tx.Protect(packet.data(), size, packet.size());
    if (rx.Unprotect(packet.data(), n) != size) ++refused;
  }
  EXPECT_EQ(refused, 0u);
  EXPECT_FALSE(rx.ContinueStream(0x42, 1));  // that stream exists now
}

INSTANTIATE_TEST_SUITE_P(Profiles, Srtp,
                         ::testing::Values(std::pair{kAes128CmSha1_80, std::size_t{30}},
                                           std::pair{kAeadAes128Gcm, std::size_t{28}}));

TEST(SrtpSession, BadKeysAreConfigErrors) {
  EXPECT_THROW(SrtpSession(kAes128CmSha1_80, Key(16, 1), SrtpSession::Direction::kInbound),
               ConfigError);
  EXPECT_THROW(SrtpSession(99, Key(30, 1), SrtpSession::Direction::kInbound), ConfigError);
}

}  // namespace
}  // namespace cbcs::rtc
