// Chooses loss protection (RED depth/spacing, Reed-Solomon k/m, or NACK) from link statistics.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cbcs::fec {

struct ProtectionInputs {
  double loss_rate = 0;            // measured packet loss, 0..1 (before recovery)
  double mean_burst = 1;           // mean loss-burst length in packets, >= 1
  double rtt_ms = 100;             // round-trip time
  double playout_slack_ms = 0;     // jitter-buffer target delay minus typical network delay
  double max_added_delay_ms = 60;  // playout delay we may add for protection
  double packet_interval_ms = 20;  // media packet spacing
  double media_bitrate_bps = 40000;
  double allowed_bitrate_bps = 1e9;  // what congestion control allows for media + protection
  double target_residual = 0.01;     // residual loss we aim for
  double packet_overhead_bytes = 40; // IPv4 + UDP + RTP headers carried by every packet
};

enum class ProtectionMode { kNone, kRed, kFec, kNack };

struct ProtectionDecision {
  ProtectionMode mode = ProtectionMode::kNone;
  std::size_t red_depth = 0;     // redundant blocks per packet
  std::size_t red_spacing = 1;   // frames between copies
  std::size_t fec_k = 0;         // media frames per Reed-Solomon group
  std::size_t fec_m = 0;         // repair packets per group
  double added_delay_ms = 0;     // playout delay to add so the protection can arrive
  double predicted_residual = 0; // model's residual loss with this choice
  double overhead = 0;           // extra bytes on the wire / media bytes on the wire
};

// The model (all loss arithmetic on a two-state Gilbert-Elliott chain, the same shape the
// link emulator and most radio-loss studies use):
//   - Bad state loses every packet, good none; from the measured loss rate p and mean burst
//     b: P(bad->good) = r = 1/b, P(good->bad) = q = p r / (1 - p). Starting lost, the
//     chance that the packet t steps later is lost too is P_BB(t) = p + (1 - p) (1-r-q)^t.
//   - RED depth d, spacing s: a frame is lost only if its packet and the d packets carrying
//     its copies (s, 2s, ... ds later) are all lost: residual = p * P_BB(s)^d (Markov
//     chain sampled every s packets). The last copy comes d*s packets later, so the added
//     delay is d*s*interval minus the slack the jitter buffer already holds. Overhead: d
//     copies of the frame plus 4 header bytes each, sharing the packet's own headers.
//   - Reed-Solomon k+m: the group's k source and m repair packets go out back to back; a
//     source frame is lost when it is lost and more than m of the k+m are. Computed exactly
//     by dynamic programming over the chain. Added delay (k-1)*interval minus slack;
//     overhead m repair packets (frame + 12 bytes of framing + headers) per k packets.
//   - NACK: the gap is seen one interval after the loss; a request and its resend take one
//     RTT and each try is lost with probability P_BB(rtt/interval) ~ p. Tries that fit in
//     slack + max_added; residual p * p_try^tries; overhead ~ p (only lost packets resent).
// Feasible candidates add at most max_added_delay_ms and fit the allowed bitrate. Among
// those meeting target_residual the cheapest overhead wins (then the smallest delay);
// if none meets it, the lowest residual wins. With no loss the answer is kNone.
// libwebrtc's audio makes a similar trade with fixed tables (NACK alone at low RTT, FEC
// strength from loss x bitrate); this derives it from the measured burstiness instead.
class ProtectionPolicy {
 public:
  static ProtectionDecision Decide(const ProtectionInputs& in) noexcept;

  // Model pieces, public for tests and for the benchmark's predicted-vs-measured columns.
  static double RedResidual(double loss_rate, double mean_burst, std::size_t depth,
                            std::size_t spacing) noexcept;
  static double FecResidual(double loss_rate, double mean_burst, std::size_t k,
                            std::size_t m) noexcept;
  static double NackResidual(double loss_rate, double mean_burst, double rtt_ms,
                             double window_ms, double packet_interval_ms) noexcept;
};

}  // namespace cbcs::fec
