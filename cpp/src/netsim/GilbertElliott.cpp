#include "cbcs/netsim/GilbertElliott.hpp"

namespace cbcs::netsim {

// In the bad state every packet is lost, in the good state none. The stationary share of
// the bad state is p / (p + q) = loss_rate and a burst lasts 1 / q packets on average.
GilbertElliott::GilbertElliott(double loss_rate, double mean_burst, uint64_t seed) noexcept
    : random_(seed),
      p_good_to_bad_(loss_rate <= 0.0 ? 0.0 : (1.0 / mean_burst) * loss_rate / (1.0 - loss_rate)),
      p_bad_to_good_(1.0 / mean_burst) {}

bool GilbertElliott::Lose() noexcept {
  bad_ = bad_ ? !random_.Bernoulli(p_bad_to_good_) : random_.Bernoulli(p_good_to_bad_);
  return bad_;
}

}  // namespace cbcs::netsim
