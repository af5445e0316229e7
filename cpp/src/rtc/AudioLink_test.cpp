#include "cbcs/rtc/AudioLink.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <thread>
#include <vector>

#include "AllocationCounter.hpp"
#include "cbcs/jitter/JitterBuffer.hpp"
#include "cbcs/rtc/AudioSender.hpp"

namespace cbcs::rtc {
namespace {

constexpr int kProfile = 1;  // AES128_CM_SHA1_80
constexpr int kSoTimestampNs = 35;

// A UDP socket on 127.0.0.1 with kernel receive timestamps, closed at the end.
struct Udp {
  Udp() {
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, kSoTimestampNs, &on, sizeof(on));
  }
  ~Udp() { close(fd); }
  void SendTo(const Udp& to, const std::vector<uint8_t>& data) const {
    sendto(fd, data.data(), data.size(), 0, reinterpret_cast<const sockaddr*>(&to.addr),
           sizeof(to.addr));
  }
  const sockaddr* Addr() const { return reinterpret_cast<const sockaddr*>(&addr); }
  int fd = -1;
  sockaddr_in addr{};
};

std::vector<uint8_t> Master(uint8_t seed) {
  std::vector<uint8_t> k(30);
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed * 31 + i);
  return k;
}

std::array<int16_t, codec::kOpusFrameSamples> Tone(int frame) {
  std::array<int16_t, codec::kOpusFrameSamples> pcm{};
  for (int i = 0; i < codec::kOpusFrameSamples; ++i) {
    pcm[i] = static_cast<int16_t>(
        5000.0 * std::sin(2.0 * M_PI * 200.0 * (frame * codec::kOpusFrameSamples + i) / 48000.0));
  }
  return pcm;
}

jitter::JitterConfig Config() {
  jitter::JitterConfig c;
  c.sample_rate = 48000;
  return c;
}

// Two ends on loopback, keyed as DTLS-SRTP keys them: each side's send key is the other's
// receive key.
struct Call {
  Call()
      : jb_a(Config()), jb_b(Config()), rx_a(jb_a, {111, 63, 3}), rx_b(jb_b, {111, 63, 3}),
        a(rx_a, nullptr, pts, kProfile, Master(2), Master(1)),
        b(rx_b, &feedback_b, pts, kProfile, Master(1), Master(2)) {
    a.SetRoute(ua.fd, ub.Addr(), sizeof(sockaddr_in));
    b.SetRoute(ub.fd, ua.Addr(), sizeof(sockaddr_in));
  }
  static constexpr std::array<int, 2> pts = {111, 63};
  Udp ua, ub;
  jitter::JitterBuffer jb_a, jb_b;
  AudioReceiver rx_a, rx_b;
  cc::FeedbackGenerator feedback_b;
  AudioLink a, b;
};

void Settle() { std::this_thread::sleep_for(std::chrono::milliseconds(20)); }

TEST(AudioLink, AudioCrossesEncryptedAndTheRestComesBack) {
  Call call;
  codec::VoiceEncoder enc(32000, true, 10, 5);
  AudioSender sender(enc, {111, 0xAB, 100, 0});
  sender.SetRed(63, 1);
  const std::array<uint8_t, 1> mid = {'0'};
  ASSERT_TRUE(sender.SetExtensions(1, mid, 3));
  std::array<uint8_t, AudioSender::kMaxPacket> packet{};
  for (int i = 0; i < 20; ++i) {
    const std::size_t n = sender.Next(Tone(i), static_cast<uint16_t>(i), packet);
    ASSERT_TRUE(call.a.SendRtp({packet.data(), n}));
    sender.Sent();
  }
  // not audio: a STUN binding request's first bytes, and RTCP
  call.ua.SendTo(call.ub, {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42, 1, 2, 3, 4});
  call.ua.SendTo(call.ub, {0x80, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0});
  Settle();
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  // the media clock reads 1000 ms now
  const double wall_minus_media = now.tv_sec * 1000.0 + now.tv_nsec / 1e6 - 1000.0;
  EXPECT_EQ(call.b.Drain(call.ub.fd, wall_minus_media, 1000.0), 22u);
  EXPECT_EQ(call.b.Counters().audio_packets, 20);
  EXPECT_EQ(call.rx_b.Counters().packets_received, 20);
  EXPECT_EQ(call.b.RemoteSsrc(), 0xABu);
  ASSERT_EQ(call.b.Others().size(), 2u);
  EXPECT_EQ(call.b.Others()[0].size, 12u);
  EXPECT_EQ(call.b.Others()[1].data[1], 200);
  const auto& from = reinterpret_cast<const sockaddr_in&>(call.b.Others()[0].from);
  EXPECT_EQ(from.sin_port, call.ua.addr.sin_port);
  // the kernel's arrival stamp, on the media clock: a few ms before the drain
  EXPECT_GT(call.b.Others()[0].arrival_ms, 900.0);
  EXPECT_LE(call.b.Others()[0].arrival_ms, 1000.5);
  std::array<uint8_t, 1500> fb{};
  EXPECT_GT(call.feedback_b.Poll(1200.0, fb), 0u);  // transport-wide feedback was fed
  call.b.ClearOthers();
  EXPECT_EQ(call.b.Drain(call.ub.fd, 0.0, 1000.0), 0u);
}

// The remote's first packets went the Python way (before DTLS-SRTP was up at our end) and
// its sequence numbers wrapped there: the link must pick the stream up after the wrap.
TEST(AudioLink, TakesOverAStreamWhoseSequenceNumbersAlreadyWrapped) {
  Call call;
  codec::VoiceEncoder enc(32000, true, 10, 5);
  AudioSender sender(enc, {111, 0xAB, 65530, 0});
  std::array<uint8_t, AudioSender::kMaxPacket> packet{};
  std::array<uint8_t, 2048> wire{};
  for (int i = 0; i < 10; ++i) {  // 65530 .. 3: encrypted by the remote, taken elsewhere
    const std::size_t n = sender.Next(Tone(i), 0, packet);
    ASSERT_TRUE(call.a.SendRtp({packet.data(), n}));
    sender.Sent();
    ASSERT_GT(recv(call.ub.fd, wire.data(), wire.size(), 0), 0);
    call.rx_b.OnPacket({packet.data(), n}, 20.0 * i);
  }
  for (int i = 10; i < 20; ++i) {
    const std::size_t n = sender.Next(Tone(i), 0, packet);
    ASSERT_TRUE(call.a.SendRtp({packet.data(), n}));
    sender.Sent();
  }
  Settle();
  call.b.Drain(call.ub.fd, 0.0, 400.0);
  EXPECT_EQ(call.b.Counters().undecryptable, 0);
  EXPECT_EQ(call.b.Counters().audio_packets, 10);
  EXPECT_EQ(call.rx_b.Counters().packets_received, 20);
}

TEST(AudioLink, ForgedOrStrayAudioIsNotPlayed) {
  Call call;
  Udp stranger;
  std::vector<uint8_t> rtp(60, 0);
  rtp[0] = 0x80;
  rtp[1] = 111;
  call.ua.SendTo(call.ub, rtp);      // from the route, but not encrypted: refused
  stranger.SendTo(call.ub, rtp);     // from elsewhere: not ours to judge
  Settle();
  call.b.Drain(call.ub.fd, 0.0, 0.0);
  EXPECT_EQ(call.b.Counters().undecryptable, 1);
  EXPECT_EQ(call.b.Others().size(), 1u);
  EXPECT_EQ(call.rx_b.Counters().packets_received, 0);
}

TEST(AudioLink, NoRouteNoSend) {
  jitter::JitterBuffer jb(Config());
  AudioReceiver rx(jb, {111, -1, -1});
  const std::array<int, 1> pts = {111};
  AudioLink link(rx, nullptr, pts, kProfile, Master(1), Master(2));
  std::vector<uint8_t> rtp(40, 0);
  rtp[0] = 0x80;
  EXPECT_FALSE(link.SendRtp(rtp));
  EXPECT_EQ(link.Counters().send_errors, 1);
}

TEST(AudioLink, SteadyStateAllocatesNothing) {
  Call call;
  codec::VoiceEncoder enc(32000, true, 10, 5);
  AudioSender sender(enc, {111, 0xAB, 100, 0});
  std::array<uint8_t, AudioSender::kMaxPacket> packet{};
  auto one = [&](int i) {
    const std::size_t n = sender.Next(Tone(i), 0, packet);
    call.a.SendRtp({packet.data(), n});
    sender.Sent();
    call.b.Drain(call.ub.fd, 0.0, 20.0 * i);
    call.jb_b.Get(20.0 * i);
  };
  one(0);  // libsrtp sets up the stream of a new SSRC on its first packet
  const uint64_t before = testing::AllocationCount();
  for (int i = 1; i < 30; ++i) one(i);
  EXPECT_EQ(testing::AllocationCount(), before);
  EXPECT_EQ(call.rx_b.Counters().packets_received, 30);
}

}  // namespace
}  // namespace cbcs::rtc
