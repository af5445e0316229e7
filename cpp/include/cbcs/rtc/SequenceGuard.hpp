// Keeps one stray RTP packet with a wild sequence number from derailing a stream.
#pragma once

#include <cstdint>
#include <optional>

namespace cbcs::rtc {

// A receiver that trusts every sequence number can be pushed into treating the whole real
// stream as "old" by a single packet half a wrap away (aiortc's buffer then drops
// everything until the stream catches up). A packet within [-back, +ahead] of the highest
// seen passes; others are held back as suspects, and only a run of `confirm` consecutive
// suspects (a genuine stream reset) is accepted as the new sequence.
class SequenceGuard {
 public:
  explicit SequenceGuard(int back = 1000, int ahead = 1000, int confirm = 4) noexcept
      : back_(back), ahead_(ahead), confirm_(confirm) {}

  bool Accept(uint16_t seq) noexcept;
  std::optional<uint16_t> Highest() const noexcept { return highest_; }
  int64_t Rejected() const noexcept { return rejected_; }

 private:
  int back_, ahead_, confirm_;
  std::optional<uint16_t> highest_;
  std::optional<uint16_t> suspect_;
  int run_ = 0;
  int64_t rejected_ = 0;
};

}  // namespace cbcs::rtc
