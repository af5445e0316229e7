"""Scenario ``calls`` of ``cbcs loadtest``: how many bridged voice calls a node carries per
CPU core while every call keeps MOS >= 4.0.

A node runs in a child process of its own (:mod:`cbcs.loadtest.calls_node`), so its CPU time
is measured apart from the callers'; the callers run in other child processes
(:mod:`cbcs.loadtest.calls_clients`). Each call has a customer leg and an agent leg, each a
stock aiortc client whose UDP goes through the project's in-process link emulator
(``lan`` or ``--profile``); the agent is routed the customer's conversation and accepts it
through the service, then both offer their legs over their live channels and the node
bridges them, running its full media path on each leg: the cbcs jitter buffer with Opus FEC
decoding, libopus with in-band FEC on what it sends, and the denoiser on what the customer
says (the census of the node's legs says so for every step).

The load ramps: N = 1, 2, 4, ... calls (``--calls`` for a list of one's own), each step a
fresh set of calls, measured over ``--step-seconds`` once every leg is connected and a
warm-up has passed. Per step:

- **MOS per call**, the worse of its two directions (customer -> agent, agent ->
  customer), each from ITU-T G.107 (:func:`cbcs.media.quality.rate`) with
  *delay* = the median mouth-to-ear delay of the marker tones sent that way in the window
  (measured at the audio level: from the sender's tone onset to the receiver playing it,
  on the machine's shared clock), and *loss* = the residual loss along the two legs (the
  node's share of the sending party's audio it could not play from data: loss after
  FEC/RED recovery, or its jitter buffer's concealment when larger, which counts late
  packets too; plus the receiving client's RTP loss: stock aiortc recovers nothing),
  raised to the share of markers never heard when that is larger (audio that did not
  play, whatever the cause);
- **node CPU**: the node process's user + system CPU seconds per wall second over the
  window (``/proc/<pid>/stat``), in % of one core; **CPU per call** = that / N (the idle
  node's own CPU, measured before the ramp, is shared by the calls: what each call adds
  above it is given too); the callers' CPU and the whole machine's busy share beside it,
  and whether every caller's audio kept real time (a sender short of CPU puts fewer
  markers into the window than the clock says), so a step where the callers, not the
  node, ran out of CPU is seen as such.

The callers spread over processes of at most ``--calls-per-process`` calls each (a
process's Python runs on one core at a time); their loop runs aiortc's per-frame Opus
encoding inline instead of on a worker thread
(:class:`~cbcs.loadtest.calls_clients.InlineExecutor`), which costs them 15-30 % less CPU
on the cores the node shares with them.

The ramp stops at the first step where a call falls below MOS 4.0 (then steps between the
last good N and that one are tried, ``--no-refine`` to skip), or where the node's CPU
reaches ``--saturation`` % of one core (its event loop is one thread).

**Calls per core at MOS >= 4.0** = the largest N at which every call held MOS >= 4.0,
divided by the node CPU cores used at that step (node CPU seconds per wall second).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cbcs.errors import ConfigError

MOS_FLOOR = 4.0
WARMUP_S = 2.0
IDLE_S = 3.0
#: a machine this busy over a step had no core to spare for anyone
BUSY_PCT = 95.0
#: what the node must run on each leg for "full processing" (cbcs.rtc.Peer.core)
PROCESSING = {"customer": ("receive:jitter-buffer+opus-fec", "send:libopus+fec",
                           "receive:denoise"),
              "agent": ("receive:jitter-buffer+opus-fec", "send:libopus+fec")}
DEFINITION = ("calls per core at MOS >= 4.0 = the largest N at which every call held MOS >= "
              "4.0, divided by the node CPU cores used at that step (node CPU seconds per "
              "wall second)")
MOS_METHOD = ("MOS per call: the worse direction; G.107 from the median mouth-to-ear delay "
              "of marker tones and the residual loss over both legs (node: loss after FEC/RED "
              "or concealment, whichever is larger; + client RTP loss), at least the share "
              "of markers not heard")


@dataclass
class Options:
    """What a run does (see the module docstring)."""

    profile: str = "lan"
    steps: Sequence[int] = (1, 2, 4, 8, 16, 32, 64)
    step_seconds: float = 20.0
    calls_per_process: int = 4
    saturation_pct: float = 90.0
    refine: bool = True
    seed: int = 1
    json_path: Path | None = None
    plot_path: Path | None = None


def ramp(max_calls: int) -> list[int]:
    """1, 2, 4, ... up to ``max_calls`` (which ends the list even when not a power of 2)."""
    out = [1]
    while out[-1] * 2 < max_calls:
        out.append(out[-1] * 2)
    if out[-1] != max_calls:
        out.append(max_calls)
    return out


# --- CPU figures ------------------------------------------------------------------------

def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores so far, from ``/proc/stat``."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = values[3] + (values[4] if len(values) > 4 else 0)   # idle + iowait
    total = sum(values[:8])                                   # guest time is in user already
    return total - idle, total


@dataclass
class _Sample:
    wall: float
    node_s: float
    clients_s: float
    machine: tuple[int, int]


def _sample(node_pid: int, client_pids: Sequence[int]) -> _Sample:
    return _Sample(time.monotonic(), process_cpu_s(node_pid),
                   sum(process_cpu_s(p) for p in client_pids), machine_ticks())


# --- MOS --------------------------------------------------------------------------------

def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100.0
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def direction(delays: Sequence[float | None], node_loss_pct: float | None,
              rx: dict[str, int]) -> dict[str, Any]:
    """One direction of a call: marker delays, residual loss and its MOS (module docstring)."""
    from cbcs.media import quality

    heard = [d for d in delays if d is not None]
    client_total = rx.get("received", 0) + rx.get("lost", 0)
    client_loss = 100.0 * rx.get("lost", 0) / client_total if client_total else 0.0
    packet_loss = (node_loss_pct or 0.0) + client_loss
    unheard = 100.0 * (1.0 - len(heard) / len(delays)) if delays else 100.0
    loss = min(100.0, max(packet_loss, unheard))
    p50 = _percentile(heard, 50)
    mos = quality.rate(max(0.0, p50), loss).mos if p50 is not None else 1.0
    return {"markers": len(delays), "heard": len(heard), "p50_ms": p50,
            "p95_ms": _percentile(heard, 95), "node_loss_pct": node_loss_pct,
            "client_loss_pct": client_loss, "loss_pct": loss, "mos": mos}


def node_loss(leg: dict[str, Any]) -> float | None:
    """The share (%) of a party's audio the node could not play from data: its loss after
    FEC/RED recovery, or its concealment (late packets too), whichever is larger."""
    figures = [v for v in (leg.get("loss_after_recovery_pct"), leg.get("concealed_pct"))
               if v is not None]
    return max(figures) if figures else None


def rate_call(call: dict[str, Any], legs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A call's two directions and MOS; ``legs``: the node's census of its legs by role."""
    customer, agent = legs.get("customer", {}), legs.get("agent", {})
    up = direction(call["to_agent_ms"], node_loss(customer), call["agent_rx"])
    down = direction(call["to_customer_ms"], node_loss(agent), call["customer_rx"])
    expected = float(call.get("expected_markers", 0.0))
    # a sender that kept real time put (about) every marker of the window into its audio
    late = any(d["markers"] < 0.95 * expected - 1 for d in (up, down))
    return {"index": call["index"], "to_agent": up, "to_customer": down,
            "mos": min(up["mos"], down["mos"]), "callers_late": late,
            "node_concealed_pct": {r: legs[r].get("concealed_pct") for r in legs}}


def processing(census: dict[str, Any]) -> dict[str, Any]:
    """Whether every leg the node had ran the full media path (:data:`PROCESSING`)."""
    seen: dict[str, list[str]] = {}
    missing: list[str] = []
    for leg in census.get("legs", []):
        role, core = leg["role"], leg["core"]
        seen.setdefault(role, sorted(set(core)))
        for piece in PROCESSING.get(role, ()):
            if piece not in core:
                missing.append(f"{leg['party']}: {piece}")
    full = not missing and all(role in seen for role in PROCESSING)
    return {"full": full, "core_by_role": seen, "missing": sorted(set(missing))[:10]}


# --- one step ---------------------------------------------------------------------------

@dataclass
class Step:
    """What one step measured."""

    calls: int
    ok: bool = True
    #: the node's CPU with no call, measured before the ramp (% of one core)
    idle_cpu_pct: float = 0.0
    error: str | None = None
    seconds: float = 0.0
    node_cpu_pct: float = 0.0
    clients_cpu_pct: float = 0.0
    machine_busy_pct: float = 0.0
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)
    per_call: list[dict[str, Any]] = field(default_factory=list)
    processing: dict[str, Any] = field(default_factory=dict)

    @property
    def mos(self) -> list[float]:
        return [c["mos"] for c in self.per_call]

    @property
    def mos_min(self) -> float | None:
        return min(self.mos) if self.mos and self.ok else None

    @property
    def mos_median(self) -> float | None:
        return statistics.median(self.mos) if self.mos and self.ok else None

    @property
    def holds(self) -> bool:
        """Every call set up, measured and at MOS >= 4.0."""
        return self.ok and len(self.per_call) == self.calls and \
            (self.mos_min or 0.0) >= MOS_FLOOR

    @property
    def callers_on_time(self) -> bool:
        """Every caller's audio kept real time (else the callers, not only the node, ran
        short of CPU)."""
        return not any(c.get("callers_late") for c in self.per_call)

    @property
    def node_cores(self) -> float:
        return self.node_cpu_pct / 100.0

    @property
    def cpu_per_call_pct(self) -> float:
        return self.node_cpu_pct / self.calls

    @property
    def added_cpu_per_call_pct(self) -> float:
        """What each call adds to the idle node's CPU, in % of one core."""
        return max(0.0, self.node_cpu_pct - self.idle_cpu_pct) / self.calls

    @property
    def calls_per_core(self) -> float | None:
        return self.calls / self.node_cores if self.node_cores > 0 else None

    def delays(self, key: str) -> list[float]:
        return [c[d][key] for c in self.per_call for d in ("to_agent", "to_customer")
                if c[d][key] is not None]

    def as_dict(self) -> dict[str, Any]:
        heard = sum(c[d]["heard"] for c in self.per_call for d in ("to_agent", "to_customer"))
        sent = sum(c[d]["markers"] for c in self.per_call for d in ("to_agent", "to_customer"))
        p50s, p95s = self.delays("p50_ms"), self.delays("p95_ms")
        return {"calls": self.calls, "ok": self.ok, "error": self.error,
                "holds_mos": self.holds, "seconds": round(self.seconds, 1),
                "mos_min": self.mos_min, "mos_median": self.mos_median,
                "mouth_to_ear_p50_ms": statistics.median(p50s) if p50s else None,
                "mouth_to_ear_p95_max_ms": max(p95s) if p95s else None,
                "markers_heard_pct": 100.0 * heard / sent if sent else None,
                "node_cpu_pct": self.node_cpu_pct, "node_cores": self.node_cores,
                "cpu_per_call_pct": self.cpu_per_call_pct,
                "added_cpu_per_call_pct": self.added_cpu_per_call_pct,
                "calls_per_core": self.calls_per_core,
                "clients_cpu_pct": self.clients_cpu_pct,
                "machine_busy_pct": self.machine_busy_pct,
                "callers_on_time": self.callers_on_time,
                "load_average": list(self.load_average),
                "processing": self.processing, "per_call": self.per_call}


class _Child:
    """A child process speaking JSON lines (the node, or a set of callers)."""

    def __init__(self, proc: asyncio.subprocess.Process, name: str, log: Path) -> None:
        self.proc, self.name, self.log = proc, name, log

    @classmethod
    async def start(cls, args: list[str], name: str, log: Path,
                    env: dict[str, str]) -> _Child:
        err = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, *args, stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, stderr=err, env=env, limit=1 << 26)
        finally:
            os.close(err)   # the child has its own copy
        return cls(proc, name, log)

    @property
    def pid(self) -> int:
        return int(self.proc.pid)

    async def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((line + "\n").encode())
        await self.proc.stdin.drain()

    async def read(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except TimeoutError:
            raise RuntimeError(f"{self.name}: no answer within {timeout:.0f} s") from None
        if not line:
            raise RuntimeError(f"{self.name} ended: {self._tail()}")
        answer: dict[str, Any] = json.loads(line)
        if answer.get("event") == "error":
            raise RuntimeError(f"{self.name}: {answer.get('message')}")
        return answer

    def _tail(self) -> str:
        try:
            return self.log.read_text(errors="replace").strip()[-600:] or "(nothing logged)"
        except OSError:
            return "(no log)"

    async def stop(self, timeout: float = 15.0) -> None:
        if self.proc.returncode is None:
            try:
                if self.proc.stdin is not None:
                    self.proc.stdin.close()
                await asyncio.wait_for(self.proc.wait(), timeout)
            except (TimeoutError, OSError):
                self.proc.kill()
                await self.proc.wait()


async def _step(n: int, node: _Child, env: dict[str, str], url: str, opts: Options,
                work: Path) -> Step:
    step = Step(n)
    procs = -(-n // opts.calls_per_process)
    shares = [list(range(k, n, procs)) for k in range(procs)]
    callers: list[_Child] = []
    started = time.monotonic()
    try:
        for k, indices in enumerate(shares):
            spec = {"url": url, "indices": indices, "profile": opts.profile,
                    "seed": opts.seed + 1000 * n, "tag": f"{n}-{k}"}
            callers.append(await _Child.start(
                ["-m", "cbcs.loadtest.calls_clients", json.dumps(spec)],
                f"callers {k + 1} of step {n}", work / f"callers-{n}-{k}.log", env))
        for c, indices in zip(callers, shares):   # one after the other: routing stays 1:1
            await c.send("setup")
            await c.read(60.0 + 5.0 * len(indices))
        from_s = time.time() + WARMUP_S
        to_s = from_s + opts.step_seconds
        for c in callers:
            await c.send(f"measure {from_s * 1000.0:.1f} {to_s * 1000.0:.1f}")
        await asyncio.sleep(max(0.0, from_s - time.time()))
        pids = [c.pid for c in callers]
        a = _sample(node.pid, pids)
        await asyncio.sleep(max(0.0, to_s - time.time()))
        b = _sample(node.pid, pids)
        await node.send("census")
        census = await node.read(60.0)
        wall = max(b.wall - a.wall, 1e-6)
        step.seconds = wall
        step.node_cpu_pct = 100.0 * (b.node_s - a.node_s) / wall
        step.clients_cpu_pct = 100.0 * (b.clients_s - a.clients_s) / wall
        busy, total = b.machine[0] - a.machine[0], b.machine[1] - a.machine[1]
        step.machine_busy_pct = 100.0 * busy / total if total else 0.0
        step.load_average = os.getloadavg()
        results: list[dict[str, Any]] = []
        for c in callers:
            results += (await c.read(120.0))["calls"]
        by_conversation: dict[str, dict[str, dict[str, Any]]] = {}
        for leg in census["legs"]:
            by_conversation.setdefault(leg["conversation"], {})[leg["role"]] = leg
        step.per_call = sorted((rate_call(r, by_conversation.get(r["conversation"], {}))
                                for r in results), key=lambda c: int(c["index"]))
        step.processing = processing(census)
    except (RuntimeError, OSError, ValueError, KeyError) as exc:
        step.ok, step.error = False, str(exc)
    finally:
        await asyncio.gather(*(c.stop(30.0) for c in callers))
        step.seconds = step.seconds or time.monotonic() - started
    return step


# --- the run ----------------------------------------------------------------------------

def _fmt(v: float | None, pattern: str = "{:.0f}") -> str:
    return "-" if v is None else pattern.format(v)


HEADER = (f"  {'calls':>5} {'MOS min':>7} {'MOS med':>7} {'m2e p50':>7} {'heard %':>7} "
          f"{'node CPU %':>10} {'CPU/call %':>10} {'calls/core':>10} {'callers CPU %':>13} "
          f"{'machine %':>9} {'load':>5}")


def row(step: Step) -> str:
    """One line of the progress table."""
    d = step.as_dict()
    line = (f"  {step.calls:>5} {_fmt(d['mos_min'], '{:.2f}'):>7} "
            f"{_fmt(d['mos_median'], '{:.2f}'):>7} {_fmt(d['mouth_to_ear_p50_ms']):>7} "
            f"{_fmt(d['markers_heard_pct'], '{:.1f}'):>7} {step.node_cpu_pct:>10.1f} "
            f"{step.cpu_per_call_pct:>10.2f} {_fmt(step.calls_per_core, '{:.1f}'):>10} "
            f"{step.clients_cpu_pct:>13.0f} {step.machine_busy_pct:>9.0f} "
            f"{step.load_average[0]:>5.2f}")
    if step.error:
        line += f"   failed: {step.error}"
    elif not step.holds:
        line += "   < MOS 4.0"
    if step.ok and not step.callers_on_time:
        line += " (callers behind real time: short of CPU themselves)"
    return line


def headline(steps: Sequence[Step]) -> dict[str, Any]:
    """The run's figure (:data:`DEFINITION`) and the step it comes from."""
    good = [s for s in steps if s.holds]
    if not good:
        return {"calls": 0, "node_cores": None, "calls_per_core": None}
    best = max(good, key=lambda s: s.calls)
    return {"calls": best.calls, "node_cores": best.node_cores,
            "node_cpu_pct": best.node_cpu_pct, "cpu_per_call_pct": best.cpu_per_call_pct,
            "added_cpu_per_call_pct": best.added_cpu_per_call_pct,
            "calls_per_core": best.calls_per_core}


async def _run(opts: Options, work: Path) -> tuple[list[Step], str]:
    env = dict(os.environ)
    env["CBCS_ADMIN_KEY"] = os.urandom(24).hex()
    node = await _Child.start(["-m", "cbcs.loadtest.calls_node", "--data-dir",
                               str(work / "data")], "the node", work / "node.log", env)
    steps: list[Step] = []
    stopped = "every step done"
    try:
        url = str((await node.read(60.0))["url"])
        a = _sample(node.pid, [])
        await asyncio.sleep(IDLE_S)
        b = _sample(node.pid, [])
        idle = 100.0 * (b.node_s - a.node_s) / max(b.wall - a.wall, 1e-6)
        print(f"cbcs loadtest calls: a node at {url} (pid {node.pid}); profile "
              f"{opts.profile}; {opts.step_seconds:.0f} s measured per step; at most "
              f"{opts.calls_per_process} calls per callers' process; machine: "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; the idle node "
              f"{idle:.1f} % of a core", flush=True)
        print(HEADER, flush=True)
        pending = list(opts.steps)
        good, bad = 0, None
        while pending:
            n = pending.pop(0)
            step = await _step(n, node, env, url, opts, work)
            step.idle_cpu_pct = idle
            steps.append(step)
            print(row(step), flush=True)
            if step.holds:
                good = max(good, n)
            else:
                bad = n if bad is None else min(bad, n)
            if step.holds and step.node_cpu_pct >= opts.saturation_pct:
                stopped = (f"the node's CPU reached {step.node_cpu_pct:.0f} % of a core at "
                           f"{n} calls")
                break
            if not step.holds:
                stopped = (f"{n} calls: " + (step.error or f"a call fell below MOS "
                                                            f"{MOS_FLOOR}"))
                pending = []
            if bad is not None and not pending and opts.refine and bad - good > 1 \
                    and bad - good > good // 4 and good > 0:
                pending = [(good + bad) // 2]
    finally:
        try:
            await node.send("stop")
        except (OSError, RuntimeError):
            pass
        await node.stop()
    return steps, stopped


def _plot(steps: Sequence[Step], path: Path, opts: Options, head: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = sorted((s for s in steps if s.ok and s.per_call), key=lambda s: s.calls)
    xs = [s.calls for s in done]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(xs, [s.mos_min or 1.0 for s in done], "o-", color="tab:red",
            label="MOS, worst call")
    ax.plot(xs, [s.mos_median or 1.0 for s in done], "s--", color="tab:orange",
            label="MOS, median call")
    ax.axhline(MOS_FLOOR, color="grey", linestyle=":", linewidth=1)
    ax.set_ylim(1.0, 4.6)
    ax.set_xlabel("bridged calls at once (customer leg + agent leg each)")
    ax.set_ylabel("MOS (G.107, from mouth-to-ear and loss)")
    ax.set_xscale("log", base=2)
    ax.set_xticks(xs, [str(x) for x in xs])
    cpu = ax.twinx()
    cpu.plot(xs, [s.node_cpu_pct for s in done], "^-", color="tab:blue", label="node CPU")
    cpu.set_ylabel("node CPU (% of one core)")
    cpu.set_ylim(0, max([100.0] + [s.node_cpu_pct * 1.1 for s in done]))
    lines = ax.get_lines()[:2] + cpu.get_lines()
    ax.legend(lines, [str(line.get_label()) for line in lines], loc="lower left", fontsize=9)
    per_core = head.get("calls_per_core")
    ax.set_title(f"cbcs loadtest calls, profile {opts.profile}: "
                 f"{_fmt(per_core, '{:.1f}')} calls per core at MOS >= 4.0 "
                 f"({head.get('calls', 0)} calls)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(opts: Options) -> int:
    """The whole scenario: ramp, table, headline, JSON and plot. 0 when at least one step
    held MOS >= 4.0, 1 otherwise."""
    from cbcs.media import netsim

    if opts.profile not in netsim.profiles():
        raise ConfigError(f"--profile: expected one of {', '.join(sorted(netsim.profiles()))}, "
                          f"got {opts.profile!r}")
    work = Path(tempfile.mkdtemp(prefix="cbcs-loadtest-calls-"))
    load_before = os.getloadavg()
    try:
        try:
            steps, stopped = asyncio.run(_run(opts, work))
        except RuntimeError as exc:
            raise ConfigError(f"loadtest calls: {exc}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    head = headline(steps)
    full = [s.processing for s in steps if s.processing]
    every = bool(full) and all(p["full"] for p in full)
    print(f"\n  stopped: {stopped}")
    if full:
        roles = full[-1]["core_by_role"]
        short = [m for p in full for m in p["missing"]]
        verdict = ("full processing (denoise, jitter buffer, FEC) on every leg of every step"
                   if every else "NOT full processing: " + ", ".join(short[:5] or
                                                                    ["a role had no leg"]))
        print(f"  node media path per leg ({verdict}):")
        for role in sorted(roles):
            print(f"    {role:<9} {', '.join(roles[role])}")
    busy = [s for s in steps if s.machine_busy_pct >= BUSY_PCT]
    if busy:
        print(f"  the machine was {BUSY_PCT:.0f} %+ busy during {len(busy)} of {len(steps)} "
              f"steps (load up to {max(s.load_average[0] for s in busy):.1f} on "
              f"{os.cpu_count()} cores; the callers took "
              f"{max(s.clients_cpu_pct for s in busy):.0f} % of a core at most): the node "
              "shared its cores, and its figures are the shared machine's")
    print(f"  {MOS_METHOD}")
    print(f"  {DEFINITION}")
    if head["calls"]:
        print(f"\n  calls per core at MOS >= 4.0 on {opts.profile}: "
              f"{head['calls_per_core']:.1f} ({head['calls']} calls, node "
              f"{head['node_cpu_pct']:.1f} % of a core, {head['cpu_per_call_pct']:.2f} % "
              f"per call of which {head['added_cpu_per_call_pct']:.2f} % above the idle "
              "node)")
    else:
        print(f"\n  calls per core at MOS >= 4.0 on {opts.profile}: none (no step held "
              "MOS >= 4.0)")
    report = {"scenario": "calls", "profile": opts.profile, "definition": DEFINITION,
              "mos_method": MOS_METHOD, "step_seconds": opts.step_seconds,
              "calls_per_process": opts.calls_per_process, "cores": os.cpu_count(),
              "load_average_before": list(load_before),
              "load_average_after": list(os.getloadavg()),
              "node_idle_cpu_pct": steps[0].idle_cpu_pct if steps else None,
              "stopped": stopped,
              "full_processing": every, "headline": head,
              "steps": [s.as_dict() for s in steps]}
    if opts.json_path is not None:
        opts.json_path.parent.mkdir(parents=True, exist_ok=True)
        opts.json_path.write_text(json.dumps(report, indent=1) + "\n")
        print(f"  wrote {opts.json_path}")
    if opts.plot_path is not None:
        _plot(steps, opts.plot_path, opts, head)
        print(f"  wrote {opts.plot_path}")
    return 0 if head["calls"] else 1
