#include "cbcs/quality/EModel.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cbcs/common/ConfigError.hpp"

namespace cbcs::quality {
namespace {

// All G.107 parameters other than delay, loss and codec stay at their default values, which
// give the basic signal-to-noise ratio Ro and simultaneous impairment Is below (G.107 Table 2;
// R = 93.2 for the default connection).
constexpr double kRo = 94.77;
constexpr double kIs = 1.41;
constexpr double kTelr = 65.0;   // talker echo loudness rating, dB
constexpr double kWepl = 110.0;  // weighted echo path loss, dB
constexpr double kRoe = 94.77;   // -1.5 (No - RLR) with default No = -61.18 dBm0p, RLR = 2

void Require(bool ok, const char* name, double value) {
  if (!ok) throw ConfigError(std::string(name) + ": expected a finite value >= 0, got " + std::to_string(value));
}

// Talker echo impairment at echo path delay T (ms).
double TalkerEcho(double t) {
  const double terv = kTelr - 40.0 * std::log10((1.0 + t / 10.0) / (1.0 + t / 150.0)) +
                      6.0 * std::exp(-0.3 * t * t);
  const double re = 80.0 + 2.5 * (terv - 14.0);
  const double d = kRoe - re;
  return (d / 2.0 + std::sqrt(d * d / 4.0 + 100.0) - 1.0) * (1.0 - std::exp(-t));
}

// Listener echo impairment at round-trip delay Tr (ms).
double ListenerEcho(double tr) {
  const double rle = 10.5 * (kWepl + 7.0) * std::pow(tr + 1.0, -0.25);
  const double d = kRo - rle;
  return d / 2.0 + std::sqrt(d * d / 4.0 + 169.0);
}

// Impairment from the absolute one-way delay Ta (ms): zero up to 100 ms.
double AbsoluteDelay(double ta) {
  if (ta <= 100.0) return 0.0;
  const double x = std::log2(ta / 100.0);
  return 25.0 * (std::pow(1.0 + std::pow(x, 6.0), 1.0 / 6.0) -
                 3.0 * std::pow(1.0 + std::pow(x / 3.0, 6.0), 1.0 / 6.0) + 2.0);
}

}  // namespace

double MosFromR(double r) noexcept {
  if (r <= 0.0) return 1.0;
  if (r >= 100.0) return 4.5;
  return 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6;
}

double BurstRatio(double loss_fraction, double mean_burst_packets) noexcept {
  // Random loss at rate p has mean burst length 1 / (1 - p); BurstR is the observed mean
  // burst length over that.
  if (!(loss_fraction > 0.0) || loss_fraction >= 1.0 || !(mean_burst_packets >= 1.0)) return 1.0;
  return std::max(1.0, mean_burst_packets * (1.0 - loss_fraction));
}

EModelResult EvaluateEModel(const EModelInput& in) {
  Require(std::isfinite(in.one_way_delay_ms) && in.one_way_delay_ms >= 0, "one_way_delay_ms", in.one_way_delay_ms);
  Require(std::isfinite(in.loss_percent) && in.loss_percent >= 0 && in.loss_percent <= 100,
          "loss_percent", in.loss_percent);
  Require(std::isfinite(in.burst_ratio) && in.burst_ratio >= 1.0, "burst_ratio", in.burst_ratio);
  Require(std::isfinite(in.codec.ie) && in.codec.ie >= 0, "codec.ie", in.codec.ie);
  Require(std::isfinite(in.codec.bpl) && in.codec.bpl > 0, "codec.bpl", in.codec.bpl);
  Require(std::isfinite(in.advantage) && in.advantage >= 0 && in.advantage <= 20, "advantage", in.advantage);

  const double t = in.one_way_delay_ms;
  const double id = TalkerEcho(t) + ListenerEcho(2.0 * t) + AbsoluteDelay(t);
  const double ppl = in.loss_percent;
  const double ie_eff =
      in.codec.ie + (95.0 - in.codec.ie) * ppl / (ppl / in.burst_ratio + in.codec.bpl);
  EModelResult out;
  out.delay_impairment = id;
  out.equipment_impairment = ie_eff;
  out.r = kRo - kIs - id - ie_eff + in.advantage;
  out.mos = MosFromR(out.r);
  return out;
}

}  // namespace cbcs::quality
