// Parameters of one direction of an emulated network link.
#pragma once

namespace cbcs::netsim {

enum class JitterDistribution {
  kGaussian,     // N(0, jitter_ms), truncated so the total delay stays >= 0
  kHeavyTailed,  // Lomax (Pareto II) with shape 4 and scale jitter_ms, added to the base delay
};

struct LinkParams {
  double base_delay_ms = 0.0;  // propagation delay
  double jitter_ms = 0.0;      // sigma (gaussian) or scale (heavy-tailed) of per-packet extra delay
  JitterDistribution jitter_distribution = JitterDistribution::kGaussian;
  // Delay spikes (a radio stall): with this per-packet probability the link holds every
  // packet until a Pareto-distributed time (mean spike_ms) has passed; packets queue behind it.
  double spike_probability = 0.0;
  double spike_ms = 0.0;
  // Gilbert-Elliott bursty loss: long-run loss rate and mean loss-burst length in packets
  // (1 gives independent loss).
  double loss_rate = 0.0;
  double mean_burst = 1.0;
  // Bottleneck: serialisation at bandwidth_bps through a drop-tail queue holding queue_ms
  // of traffic at that rate. 0 bandwidth means no cap.
  double bandwidth_bps = 0.0;
  double queue_ms = 0.0;
  // When false the link is first-in first-out: no packet overtakes an earlier one.
  bool reorder = false;
};

// Throws cbcs::ConfigError naming the first field out of range.
void Validate(const LinkParams& params);

}  // namespace cbcs::netsim
