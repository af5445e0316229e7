// One direction of SRTP (RFC 3711) for RTP packets, through the system libsrtp2 (Debian
// libsrtp2-dev), keyed from DTLS-SRTP (RFC 5764) keying material.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

struct srtp_ctx_t_;  // libsrtp2's opaque session

namespace cbcs::rtc {

class SrtpSession {
 public:
  // Bytes protect may add (authentication tag), as libsrtp's SRTP_MAX_TRAILER_LEN.
  static constexpr std::size_t kMaxTrailer = 144;

  enum class Direction { kInbound, kOutbound };

  // `profile`: a DTLS-SRTP protection profile number as libsrtp2 numbers them (1 =
  // AES128_CM_SHA1_80, 7 = AEAD_AES_128_GCM, 8 = AEAD_AES_256_GCM); `master` its master key
  // followed by its master salt. Any SSRC; a 1024-packet replay window. ConfigError when
  // the profile is unknown or the key has the wrong length.
  SrtpSession(int profile, std::span<const uint8_t> master, Direction direction);
  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // In place: `size` bytes of RTP in a buffer of `capacity` (size + kMaxTrailer at least);
  // the protected size, or 0 on failure.
  std::size_t Protect(uint8_t* packet, std::size_t size, std::size_t capacity) noexcept;
  // In place; the plain size, or 0 when authentication or the replay check fails.
  std::size_t Unprotect(uint8_t* packet, std::size_t size) noexcept;

  // Inbound: take up the stream `ssrc` in the middle, where its sequence numbers have
  // already wrapped `rollover_counter` times (RFC 3711 section 3.3.1). A session that
  // meets a stream first assumes no wrap. False when the session already has that stream
  // or libsrtp2 refused it.
  bool ContinueStream(uint32_t ssrc, uint32_t rollover_counter) noexcept;

 private:
  srtp_ctx_t_* session_ = nullptr;
  int profile_;
  std::array<unsigned char, 64> material_{};
};

}  // namespace cbcs::rtc
