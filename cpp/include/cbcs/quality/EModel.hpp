// ITU-T G.107 E-model: transmission rating R and estimated MOS for a voice path.
#pragma once

namespace cbcs::quality {

// Equipment impairment of a codec (ITU-T G.113 Appendix I): Ie at no loss and the
// packet-loss robustness factor Bpl.
struct CodecImpairment {
  double ie = 0.0;
  double bpl = 25.1;
};

struct EModelInput {
  double one_way_delay_ms = 0.0;  // mouth-to-ear Ta; also used as echo path delay T, Tr = 2T
  double loss_percent = 0.0;      // Ppl, packets lost after recovery and concealment
  double burst_ratio = 1.0;       // BurstR: 1 for random loss, > 1 for bursty loss
  CodecImpairment codec{};
  double advantage = 0.0;         // A, the expectation factor (0 for wired, up to 10 for mobile)
};

struct EModelResult {
  double r = 0.0;
  double mos = 0.0;
  double delay_impairment = 0.0;      // Id = Idte + Idle + Idd
  double equipment_impairment = 0.0;  // Ie,eff
};

// Validates its input (throws ConfigError on negative or non-finite values).
EModelResult EvaluateEModel(const EModelInput& input);

// G.107 Annex B mapping of R to MOS (CQE).
double MosFromR(double r) noexcept;

// BurstR for a Gilbert-type loss process with the given loss rate (0..1) and mean burst length.
double BurstRatio(double loss_fraction, double mean_burst_packets) noexcept;

}  // namespace cbcs::quality
