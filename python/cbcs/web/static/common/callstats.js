// A call's connection quality from RTCPeerConnection.getStats():
//
//   const q = quality(await pc.getStats());           // since the call started
//   const q = quality(now, before);                   // over the interval between two reports
//   // {level: "good"|"fair"|"poor", rtt_ms, loss_pct, jitter_ms, mos}
//
// Round trip from the selected candidate pair (or the remote-inbound-rtp reports), loss and
// jitter from what this side receives (inbound-rtp) and what the far side says it received
// of ours (remote-inbound-rtp), whichever is worse. mos: an E-model estimate (ITU-T G.107,
// simplified as for narrowband voice) from those three, 1..4.5.

function byType(stats) {
  const out = {};
  stats.forEach((s) => { (out[s.type] ||= []).push(s); });
  return out;
}

function get(stats, id) {
  if (!id || !stats) return undefined;
  return typeof stats.get === "function" ? stats.get(id) : undefined;
}

/** E-model MOS from one-way delay terms (ms) and packet loss (%). */
export function mosOf(rttMs, lossPct, jitterMs) {
  const latency = (rttMs || 0) / 2 + 2 * (jitterMs || 0) + 10;
  let r = latency < 160 ? 93.2 - latency / 40 : 93.2 - (latency - 120) / 10;
  r -= 2.5 * (lossPct || 0);
  r = Math.max(0, Math.min(100, r));
  const mos = 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
  return Math.round(Math.max(1, Math.min(4.5, mos)) * 100) / 100;
}

function rttOf(t, stats) {
  for (const tr of t.transport || []) {
    const pair = get(stats, tr.selectedCandidatePairId);
    if (pair && pair.currentRoundTripTime != null) return pair.currentRoundTripTime * 1000;
  }
  for (const pair of t["candidate-pair"] || []) {
    if ((pair.nominated || pair.selected) && pair.state === "succeeded"
        && pair.currentRoundTripTime != null) return pair.currentRoundTripTime * 1000;
  }
  for (const r of t["remote-inbound-rtp"] || []) {
    if (r.roundTripTime != null) return r.roundTripTime * 1000;
  }
  return null;
}

function received(t, previous) {
  // packets received and lost by this side, less what ``previous`` had already counted
  let got = 0, lost = 0, jitter = null;
  for (const s of t["inbound-rtp"] || []) {
    const p = get(previous, s.id) || {};
    got += Math.max(0, (s.packetsReceived || 0) - (p.packetsReceived || 0));
    lost += Math.max(0, (s.packetsLost || 0) - (p.packetsLost || 0));
    if (s.jitter != null) jitter = Math.max(jitter ?? 0, s.jitter * 1000);
  }
  return {got, lost, jitter};
}

/** Connection quality of a stats report (and the loss since ``previous``, when given). */
export function quality(stats, previous = null) {
  const t = byType(stats);
  const rtt = rttOf(t, stats);
  const mine = received(t, previous);
  let lossPct = mine.got + mine.lost > 0 ? (100 * mine.lost) / (mine.got + mine.lost) : null;
  let jitter = mine.jitter;
  for (const r of t["remote-inbound-rtp"] || []) {
    if (r.fractionLost != null && r.fractionLost >= 0) lossPct = Math.max(lossPct ?? 0, r.fractionLost * 100);
    if (r.jitter != null) jitter = Math.max(jitter ?? 0, r.jitter * 1000);
  }
  const known = rtt != null || lossPct != null || jitter != null;
  const mos = known ? mosOf(rtt ?? 0, lossPct ?? 0, jitter ?? 0) : null;
  let level = "good";
  if (mos != null && (mos < 3.6 || (lossPct ?? 0) >= 5 || (rtt ?? 0) >= 400)) level = "poor";
  else if (mos != null && (mos < 4.0 || (lossPct ?? 0) >= 2 || (rtt ?? 0) >= 250)) level = "fair";
  const round = (x) => (x == null ? null : Math.round(x * 10) / 10);
  return {level, rtt_ms: round(rtt), loss_pct: round(lossPct), jitter_ms: round(jitter), mos};
}

/** Poll ``pc`` every ``intervalMs`` and call ``onQuality(q)`` with the last interval's
 * quality (once there is something measured); returns a function that stops it. */
export function watchQuality(pc, onQuality, intervalMs = 2000) {
  let previous = null;
  let stopped = false;
  const tick = async () => {
    if (stopped || pc.connectionState === "closed") return;
    try {
      const now = await pc.getStats();
      const q = quality(now, previous);
      previous = now;
      if (q.mos != null) onQuality(q);   // nothing measured yet: nothing to show
    } catch { /* the call is ending */ }
  };
  const timer = setInterval(tick, intervalMs);
  tick();
  return () => { stopped = true; clearInterval(timer); };
}
