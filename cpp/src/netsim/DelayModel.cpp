#include "cbcs/netsim/DelayModel.hpp"

#include <algorithm>

namespace cbcs::netsim {
namespace {
// Shape 4 keeps a power-law tail while first-in first-out queueing behind late packets
// still gives plausible cellular figures (scale 40 ms: +64 ms at p95, +131 ms at p99).
constexpr double kJitterTailShape = 4.0;
constexpr double kSpikeTailShape = 2.0;   // spikes: a few very long stalls
}  // namespace

DelayModel::DelayModel(const LinkParams& params, uint64_t seed) noexcept
    : params_(params), jitter_random_(seed ^ 0x6a09e667f3bcc908ull), spike_random_(seed ^ 0xbb67ae8584caa73bull) {}

double DelayModel::JitterSample() noexcept {
  if (params_.jitter_ms <= 0.0) return 0.0;
  if (params_.jitter_distribution == JitterDistribution::kHeavyTailed) {
    // jitter_ms is the Lomax scale; its mean is scale / (shape - 1).
    return jitter_random_.Lomax(params_.jitter_ms / (kJitterTailShape - 1.0), kJitterTailShape);
  }
  return std::max(-params_.base_delay_ms, params_.jitter_ms * jitter_random_.Gaussian());
}

double DelayModel::Arrival(double depart_ms) noexcept {
  double arrival = depart_ms + params_.base_delay_ms + JitterSample();
  if (params_.spike_probability > 0.0 && spike_random_.Bernoulli(params_.spike_probability)) {
    // Pareto with minimum x_m has mean x_m * a / (a - 1).
    const double x_min = params_.spike_ms * (kSpikeTailShape - 1.0) / kSpikeTailShape;
    const double stall = x_min * std::pow(spike_random_.UniformOpenLow(), -1.0 / kSpikeTailShape);
    hold_until_ms_ = std::max(hold_until_ms_, depart_ms + params_.base_delay_ms + stall);
  }
  // Everything sent while the link is stalled comes out when it releases.
  arrival = std::max(arrival, hold_until_ms_);
  if (!params_.reorder) arrival = std::max(arrival, last_arrival_ms_);
  last_arrival_ms_ = std::max(last_arrival_ms_, arrival);
  return arrival;
}

}  // namespace cbcs::netsim
