// Two-state Markov (Gilbert-Elliott) packet loss: bursts of loss with a given mean length.
#pragma once

#include "cbcs/common/Random.hpp"

namespace cbcs::netsim {

class GilbertElliott {
 public:
  // loss_rate in [0, 1), mean_burst >= 1 packets; validated by the caller (LinkParams).
  GilbertElliott(double loss_rate, double mean_burst, uint64_t seed) noexcept;

  // Advances the chain by one packet; true when that packet is lost.
  bool Lose() noexcept;

 private:
  Random random_;
  double p_good_to_bad_;
  double p_bad_to_good_;
  bool bad_ = false;
};

}  // namespace cbcs::netsim
