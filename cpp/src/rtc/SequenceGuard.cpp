#include "cbcs/rtc/SequenceGuard.hpp"

namespace cbcs::rtc {

bool SequenceGuard::Accept(uint16_t seq) noexcept {
  if (!highest_) {
    highest_ = seq;
    return true;
  }
  const int delta = static_cast<int16_t>(static_cast<uint16_t>(seq - *highest_));
  if (delta >= -back_ && delta <= ahead_) {
    if (delta > 0) highest_ = seq;
    run_ = 0;
    return true;
  }
  run_ = suspect_ && seq == static_cast<uint16_t>(*suspect_ + 1) ? run_ + 1 : 1;
  suspect_ = seq;
  if (run_ >= confirm_) {
    highest_ = seq;
    run_ = 0;
    return true;
  }
  ++rejected_;
  return false;
}

}  // namespace cbcs::rtc
