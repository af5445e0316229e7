// Chooses what the next 10 ms block is made of, from the buffer state and the delay error.
#include "cbcs/jitter/DecisionLogic.hpp"

namespace cbcs::jitter {

Operation DecisionLogic::Decide(const DecisionInput& in) noexcept {
  if (!in.has_current) {
    accelerating_ = expanding_ = false;
    if (!in.newer_buffered) return Operation::kWait;
    // Newer audio is here, so the missing packet is either lost or reordered. Wait only
    // as long as reordered packets have recently been late; after that it is a loss.
    if (in.newer_age_ms < in.reorder_wait_ms) return Operation::kWait;
    return Operation::kConcealLoss;
  }
  if (in.concealing) {
    accelerating_ = expanding_ = false;
    return Operation::kMerge;
  }
  accelerating_ = accelerating_ ? in.excess_ms > kAccelStopMs : in.excess_ms > kAccelStartMs;
  expanding_ = expanding_ ? in.excess_ms < -kExpandStopMs : in.excess_ms < -kExpandStartMs;
  if (accelerating_ && in.available >= in.block + in.min_stretch) return Operation::kAccelerate;
  if (expanding_ && in.available >= in.block) return Operation::kPreemptiveExpand;
  return Operation::kNormal;
}

}  // namespace cbcs::jitter
