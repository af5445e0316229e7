#include "cbcs/rtc/SrtpSession.hpp"

#include <srtp2/srtp.h>

#include <array>
#include <mutex>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::rtc {

static_assert(SrtpSession::kMaxTrailer >= SRTP_MAX_TRAILER_LEN);

namespace {

// The crypto policy of a DTLS-SRTP profile; false when libsrtp2 does not know it.
bool SetPolicy(srtp_policy_t& policy, int profile, unsigned char* material) noexcept {
  const auto p = static_cast<srtp_profile_t>(profile);
  policy.key = material;
  policy.window_size = 1024;
  policy.allow_repeat_tx = 1;
  policy.next = nullptr;
  return srtp_profile_get_master_key_length(p) != 0 &&
         srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, p) == srtp_err_status_ok &&
         srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, p) == srtp_err_status_ok;
}

}  // namespace

SrtpSession::SrtpSession(int profile, std::span<const uint8_t> master, Direction direction)
    : profile_(profile) {
  static std::once_flag once;
  static srtp_err_status_t init = srtp_err_status_ok;
  std::call_once(once, [] { init = srtp_init(); });
  if (init != srtp_err_status_ok) throw ConfigError("srtp: libsrtp2 failed to initialise");
  const auto p = static_cast<srtp_profile_t>(profile);
  const unsigned key = srtp_profile_get_master_key_length(p);
  const unsigned salt = srtp_profile_get_master_salt_length(p);
  srtp_policy_t policy{};
  if (!SetPolicy(policy, profile, material_.data())) {
    throw ConfigError("srtp: unknown protection profile " + std::to_string(profile));
  }
  if (master.size() != key + salt) {
    throw ConfigError("srtp: expected " + std::to_string(key + salt) +
                      " bytes of master key and salt, got " + std::to_string(master.size()));
  }
  std::copy(master.begin(), master.end(), material_.begin());
  policy.ssrc.type = direction == Direction::kInbound ? ssrc_any_inbound : ssrc_any_outbound;
  if (srtp_create(&session_, &policy) != srtp_err_status_ok) {
    session_ = nullptr;
    throw ConfigError("srtp: libsrtp2 refused the session");
  }
}

SrtpSession::~SrtpSession() {
  if (session_ != nullptr) srtp_dealloc(session_);
}

std::size_t SrtpSession::Protect(uint8_t* packet, std::size_t size, std::size_t capacity) noexcept {
  if (size < 12 || capacity < size + kMaxTrailer || size > 0xFFFF) return 0;
  int len = static_cast<int>(size);
  if (srtp_protect(session_, packet, &len) != srtp_err_status_ok) return 0;
  return static_cast<std::size_t>(len);
}

std::size_t SrtpSession::Unprotect(uint8_t* packet, std::size_t size) noexcept {
  if (size < 12 || size > 0xFFFF) return 0;
  int len = static_cast<int>(size);
  if (srtp_unprotect(session_, packet, &len) != srtp_err_status_ok) return 0;
  return static_cast<std::size_t>(len);
}

bool SrtpSession::ContinueStream(uint32_t ssrc, uint32_t rollover_counter) noexcept {
  uint32_t known = 0;
  if (srtp_get_stream_roc(session_, ssrc, &known) == srtp_err_status_ok) return false;
  srtp_policy_t policy{};
  if (!SetPolicy(policy, profile_, material_.data())) return false;
  policy.ssrc.type = ssrc_specific;
  policy.ssrc.value = ssrc;
  return srtp_add_stream(session_, &policy) == srtp_err_status_ok &&
         srtp_set_stream_roc(session_, ssrc, rollover_counter) == srtp_err_status_ok;
}

}  // namespace cbcs::rtc
