// Wrap-aware arithmetic on RTP sequence numbers (16 bit) and timestamps (32 bit).
#pragma once

#include <cstdint>
#include <type_traits>

namespace cbcs {

// Signed distance b - a on the 16-bit circle, in [-32768, 32767].
constexpr int32_t SeqDelta(uint16_t a, uint16_t b) noexcept {
  return static_cast<int16_t>(static_cast<uint16_t>(b - a));
}

// True when b comes after a (RFC 3550 A.1 half-range rule).
constexpr bool SeqNewer(uint16_t b, uint16_t a) noexcept { return SeqDelta(a, b) > 0; }

// Signed distance b - a on the 32-bit circle.
constexpr int64_t TimestampDelta(uint32_t a, uint32_t b) noexcept {
  return static_cast<int32_t>(b - a);
}

// Extends wrapping N-bit counters to monotonic 64-bit values, relative to the last value
// seen, so old (reordered) values unwrap below the newest one instead of a cycle ahead.
template <typename Wrapped>
class Unwrapper {
 public:
  int64_t Unwrap(Wrapped value) noexcept {
    if (!has_last_) {
      has_last_ = true;
      last_ = value;
      last_unwrapped_ = value;
      return last_unwrapped_;
    }
    using Signed = std::make_signed_t<Wrapped>;
    const int64_t delta = static_cast<Signed>(static_cast<Wrapped>(value - last_));
    const int64_t unwrapped = last_unwrapped_ + delta;
    if (delta > 0) {
      last_ = value;
      last_unwrapped_ = unwrapped;
    }
    return unwrapped;
  }
  void Reset() noexcept { has_last_ = false; }

 private:
  bool has_last_ = false;
  Wrapped last_ = 0;
  int64_t last_unwrapped_ = 0;
};

using SeqUnwrapper = Unwrapper<uint16_t>;
using TimestampUnwrapper = Unwrapper<uint32_t>;

}  // namespace cbcs
