// A call's audio on its UDP socket: received datagrams drained once per media tick, the
// audio RTP among them decrypted and handed to the AudioReceiver; RTP sent encrypted.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cbcs/cc/FeedbackGenerator.hpp"
#include "cbcs/rtc/AudioReceiver.hpp"
#include "cbcs/rtc/SrtpSession.hpp"

namespace cbcs::rtc {

// What Drain read but is not ours (STUN, DTLS, RTCP, other payload types, other sources):
// for the signalling stack, in arrival order.
struct OtherDatagram {
  static constexpr std::size_t kMaxSize = 2048;  // larger than any datagram of a call
  sockaddr_storage from{};
  double arrival_ms = 0.0;
  std::size_t size = 0;
  std::array<uint8_t, kMaxSize> data{};
};

struct AudioLinkCounters {
  int64_t audio_packets = 0;   // decrypted and handed to the receiver
  int64_t undecryptable = 0;   // failed SRTP authentication or the replay check: dropped
  int64_t oversize = 0;        // larger than any datagram of a call: dropped
  int64_t sent = 0;
  int64_t send_errors = 0;     // no route yet, or the kernel refused
};

// Only audio RTP (the negotiated payload types, not RTCP) from the remote address ICE
// selected takes the fast way; everything else goes back to the caller untouched. The
// receiver, the feedback generator and the socket must outlive the link; it never closes
// the socket. After construction nothing is allocated.
class AudioLink {
 public:
  static constexpr std::size_t kMaxOthersPerDrain = 64;
  static constexpr std::size_t kMaxPerDrain = 256;  // per Drain: a flood cannot stall the tick
  static constexpr std::size_t kMaxRtpSize = 1500;  // what SendRtp takes (a path MTU)

  AudioLink(AudioReceiver& receiver, cc::FeedbackGenerator* feedback,
            std::span<const int> audio_payload_types, int srtp_profile,
            std::span<const uint8_t> rx_master, std::span<const uint8_t> tx_master);

  // Where RTP goes, and the one source audio is taken from: the selected ICE pair.
  void SetRoute(int fd, const sockaddr* remote, socklen_t remote_len) noexcept;

  // Reads what is waiting on `fd` (non-blocking). Kernel arrival stamps (SO_TIMESTAMPNS,
  // wall clock) become media-clock times by subtracting `wall_minus_media_ms`; a packet is
  // usable for playout from max(arrival, now_ms). Stops early when kMaxOthersPerDrain other
  // datagrams are waiting to be taken with Others(). Returns the datagrams read.
  std::size_t Drain(int fd, double wall_minus_media_ms, double now_ms) noexcept;
  std::span<const OtherDatagram> Others() const noexcept { return {others_.data(), others_count_}; }
  void ClearOthers() noexcept { others_count_ = 0; }

  // Encrypts one RTP packet and sends it on the route; false when it could not be sent.
  bool SendRtp(std::span<const uint8_t> packet) noexcept;

  const AudioLinkCounters& Counters() const noexcept { return counters_; }
  // The SSRC of the last audio packet the receiver accepted (0 before any).
  uint32_t RemoteSsrc() const noexcept { return remote_ssrc_; }

 private:
  bool IsAudio(const uint8_t* data, std::size_t size, const sockaddr_storage& from) const noexcept;
  void TakeUpInbound(const uint8_t* rtp) noexcept;

  AudioReceiver& receiver_;
  cc::FeedbackGenerator* feedback_;
  std::array<bool, 128> audio_pt_{};
  SrtpSession rx_;
  SrtpSession tx_;
  int route_fd_ = -1;
  sockaddr_storage route_{};
  socklen_t route_len_ = 0;
  AudioLinkCounters counters_;
  uint32_t remote_ssrc_ = 0;
  bool inbound_taken_up_ = false;
  std::array<uint8_t, 4096 + SrtpSession::kMaxTrailer> buffer_{};
  std::vector<OtherDatagram> others_;  // sized once: kMaxOthersPerDrain
  std::size_t others_count_ = 0;
};

}  // namespace cbcs::rtc
