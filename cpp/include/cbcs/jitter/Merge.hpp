// Joins concealment back onto received audio without a click.
#pragma once

#include <cstdint>

namespace cbcs::jitter {

// The concealment is generated a little further than needed; Merge plays it on for the
// number of samples (at most 10 ms) after which its waveform best matches the start of
// the received audio (so periodic signals meet in phase), then cross-fades into the
// received audio over 5 ms. Playing on that little means the block consumes fewer than
// a block of received samples.
class Merge {
 public:
  explicit Merge(int sample_rate);

  // concealment: conceal_len samples continuing the output; x: `available` received
  // samples. Writes n samples to out and returns how many of x it consumed (n minus the
  // concealment samples played before the fade). *tail_concealed is set when x ran out
  // before the block was full and its end is concealment again.
  int Process(const float* concealment, int conceal_len, const int16_t* x, int available,
              int n, int16_t* out, bool* tail_concealed) const noexcept;

  int FadeSamples() const noexcept { return fade_; }
  int SearchSamples() const noexcept { return search_; }

 private:
  int fade_;    // 5 ms
  int search_;  // 10 ms of alignment search
};

}  // namespace cbcs::jitter
