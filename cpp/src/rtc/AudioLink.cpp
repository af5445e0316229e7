#include "cbcs/rtc/AudioLink.hpp"

#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "cbcs/rtp/ByteIo.hpp"

namespace cbcs::rtc {
namespace {

bool SameAddress(const sockaddr_storage& a, const sockaddr_storage& b) noexcept {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    const auto& x = reinterpret_cast<const sockaddr_in&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in&>(b);
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  if (a.ss_family == AF_INET6) {
    const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
    return x.sin6_port == y.sin6_port &&
           std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof(in6_addr)) == 0;
  }
  return false;
}

}  // namespace

AudioLink::AudioLink(AudioReceiver& receiver, cc::FeedbackGenerator* feedback,
                     std::span<const int> audio_payload_types, int srtp_profile,
                     std::span<const uint8_t> rx_master, std::span<const uint8_t> tx_master)
    : receiver_(receiver),
      feedback_(feedback),
      rx_(srtp_profile, rx_master, SrtpSession::Direction::kInbound),
      tx_(srtp_profile, tx_master, SrtpSession::Direction::kOutbound),
      others_(kMaxOthersPerDrain) {
  for (const int pt : audio_payload_types) {
    if (pt >= 0 && pt < 128) audio_pt_[pt] = true;
  }
}

void AudioLink::SetRoute(int fd, const sockaddr* remote, socklen_t remote_len) noexcept {
  if (remote == nullptr || remote_len > sizeof(route_)) {
    route_fd_ = -1;
    route_len_ = 0;
    return;
  }
  route_fd_ = fd;
  route_ = {};
  std::memcpy(&route_, remote, remote_len);
  route_len_ = remote_len;
}

bool AudioLink::IsAudio(const uint8_t* data, std::size_t size,
                        const sockaddr_storage& from) const noexcept {
  if (size < 12 || (data[0] & 0xC0) != 0x80) return false;
  if (data[1] >= 192 && data[1] <= 223) return false;  // RTCP (RFC 5761 section 4)
  return audio_pt_[data[1] & 0x7F] && route_len_ > 0 && SameAddress(from, route_);
}

// The receive path may have had this stream's first packets before the link opened (from
// aiortc's SRTP session). A fresh libsrtp2 stream would assume the sequence numbers never
// wrapped; the receiver's extended sequence numbers, which count from the same first packet
// as SRTP's index, say how often they did (RFC 3711 section 3.3.1).
void AudioLink::TakeUpInbound(const uint8_t* rtp) noexcept {
  inbound_taken_up_ = true;
  if (!receiver_.BaseSeq()) return;
  const int64_t index = receiver_.Extend(rtp::ReadU16(rtp + 2));
  if (index >= 65536) rx_.ContinueStream(rtp::ReadU32(rtp + 8), static_cast<uint32_t>(index >> 16));
}

std::size_t AudioLink::Drain(int fd, double wall_minus_media_ms, double now_ms) noexcept {
  std::size_t read = 0;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
  while (read < kMaxPerDrain && others_count_ < kMaxOthersPerDrain) {
    sockaddr_storage from{};
    iovec iov{buffer_.data(), buffer_.size() - SrtpSession::kMaxTrailer};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    const ssize_t got = recvmsg(fd, &msg, MSG_DONTWAIT);
    if (got < 0) {
      if (errno == EINTR) continue;
      break;  // nothing more (EAGAIN), or an ICMP error reported once: next tick
    }
    ++read;
    double arrival_ms = now_ms;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
        timespec ts;
        std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
        arrival_ms = static_cast<double>(ts.tv_sec) * 1000.0 +
                     static_cast<double>(ts.tv_nsec) / 1e6 - wall_minus_media_ms;
      }
    }
    const auto size = static_cast<std::size_t>(got);
    if ((msg.msg_flags & MSG_TRUNC) != 0 || size > OtherDatagram::kMaxSize) {
      ++counters_.oversize;
      continue;
    }
    if (IsAudio(buffer_.data(), size, from)) {
      if (!inbound_taken_up_) TakeUpInbound(buffer_.data());
      const std::size_t plain = rx_.Unprotect(buffer_.data(), size);
      if (plain == 0) {
        ++counters_.undecryptable;
        continue;
      }
      ++counters_.audio_packets;
      const AudioPacketInfo info =
          receiver_.OnPacket({buffer_.data(), plain}, std::max(arrival_ms, now_ms));
      // every arrival counts for the sender's estimate, at the kernel's time
      if (info.transport_seq && feedback_ != nullptr) {
        feedback_->OnPacket(*info.transport_seq, arrival_ms);
      }
      if (info.accepted) remote_ssrc_ = info.ssrc;
      continue;
    }
    OtherDatagram& other = others_[others_count_++];
    other.from = from;
    other.arrival_ms = arrival_ms;
    other.size = size;
    std::memcpy(other.data.data(), buffer_.data(), size);
  }
  return read;
}

bool AudioLink::SendRtp(std::span<const uint8_t> packet) noexcept {
  std::array<uint8_t, kMaxRtpSize + SrtpSession::kMaxTrailer> out;
  if (route_len_ == 0 || packet.size() > kMaxRtpSize) {
    ++counters_.send_errors;
    return false;
  }
  std::memcpy(out.data(), packet.data(), packet.size());
  const std::size_t size = tx_.Protect(out.data(), packet.size(), out.size());
  if (size == 0 ||
      sendto(route_fd_, out.data(), size, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&route_),
             route_len_) < 0) {
    ++counters_.send_errors;
    return false;
  }
  ++counters_.sent;
  return true;
}

}  // namespace cbcs::rtc
