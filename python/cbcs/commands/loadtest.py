"""``cbcs loadtest SCENARIO``: locust, headless, against a node of its own or a URL.

With no ``--url`` a node is started for the run (``cbcs serve`` in a child process on a
free loopback port, embedded defaults, a temporary data dir, rate limits per IP lifted
since every simulated client shares 127.0.0.1); the scenario's users run in another child
process (locust on gevent needs a process of its own). Only loopback targets are accepted.
At the end it prints the percentiles and writes locust's CSV files and HTML report.

Scenario ``calls`` is not locust's: aiortc callers ramp bridged voice calls through a node
of the command's own until a call falls below MOS 4.0 (:mod:`cbcs.loadtest.calls`).
"""

from __future__ import annotations

import argparse
import csv
import ipaddress
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cbcs.commands._args import float_range, int_range, output_dir
from cbcs.errors import ConfigError

SCENARIOS = {
    "calls": "bridged voice calls (customer and agent legs, aiortc through the link "
             "emulator) ramped until a call falls below MOS 4.0: calls per core",
    "chat": "customers open conversations and talk, agents accept and answer "
            "(ack and reply round trips, order)",
    "room": "one live-commerce room: viewers read, commenters post (delivery latency, order)",
    "routing": "agents churning presence while customers ask for people (time to an agent)",
}
MAX_USERS = 5000
MAX_SECONDS = 900


def register(sub: Any) -> None:
    p = sub.add_parser("loadtest", help="load-test the service with locust (loopback only)",
                       description=__doc__.split("\n\n")[0])
    p.add_argument("scenario", choices=sorted(SCENARIOS),
                   help="; ".join(f"{k}: {v}" for k, v in SCENARIOS.items()))
    p.add_argument("--url", default=None,
                   help="a running node on loopback (default: start one for the run)")
    p.add_argument("--admin-key", default=None,
                   help="the node's admin key, to mint the users' tokens (with --url; "
                        "default $CBCS_ADMIN_KEY)")
    p.add_argument("--viewers", type=int_range(1, MAX_USERS), default=3000,
                   help="room: viewers (default 3000)")
    p.add_argument("--comments-per-s", type=int_range(1, 200), default=20,
                   help="room: comments a second, one commenter per comment a second "
                        "(default 20)")
    p.add_argument("--customers", type=int_range(1, MAX_USERS), default=None,
                   help="chat, routing: customers (default 500 for chat, 100 for routing)")
    p.add_argument("--agents", type=int_range(1, 1000), default=50,
                   help="chat, routing: agents (default 50)")
    p.add_argument("--message-interval", type=float_range(0.5, 600), default=10.0,
                   help="chat: seconds between a customer's messages, on average (default 10)")
    p.add_argument("--churn-interval", type=float_range(0.2, 600), default=3.0,
                   help="routing: seconds between an agent's presence changes, on average "
                        "(default 3)")
    p.add_argument("--time", type=float_range(5, MAX_SECONDS), default=60.0,
                   help="seconds measured after every user has started (default 60)")
    p.add_argument("--spawn-rate", type=float_range(1, 1000), default=200.0,
                   help="users started per second (default 200)")
    p.add_argument("--out", type=output_dir, default=Path("out/loadtest"),
                   help="folder for locust's CSV files and HTML report (default out/loadtest)")
    calls = p.add_argument_group("calls")
    calls.add_argument("--profile", default="lan",
                       help="calls: the emulated network of every leg (default lan)")
    calls.add_argument("--calls", type=_call_counts, default=None,
                       help="calls: the steps, e.g. 1,2,4 (default 1, 2, 4, ... up to "
                            "--max-calls)")
    calls.add_argument("--max-calls", type=int_range(1, 256), default=64,
                       help="calls: the last step of the ramp (default 64)")
    calls.add_argument("--step-seconds", type=float_range(3, 600), default=20.0,
                       help="calls: seconds measured per step (default 20)")
    calls.add_argument("--calls-per-process", type=int_range(1, 64), default=4,
                       help="calls: most calls in one callers' process (default 4: a "
                            "process is one core at most, and a call's two aiortc clients "
                            "take about a tenth of one)")
    calls.add_argument("--saturation", type=float_range(10, 1000), default=90.0,
                       help="calls: stop once the node's CPU reaches this %% of one core "
                            "(default 90)")
    calls.add_argument("--no-refine", action="store_true",
                       help="calls: no steps between the last good and the first bad N")
    calls.add_argument("--seed", type=int_range(0), default=1,
                       help="calls: link emulator seed (default 1)")
    calls.add_argument("--json", type=Path, default=None, dest="json_path",
                       help="calls: write the figures as JSON here")
    calls.add_argument("--plot", type=Path, default=None, dest="plot_path",
                       help="calls: write a PNG of MOS and node CPU against calls here")
    p.set_defaults(handler=run)


def _call_counts(text: str) -> list[int]:
    try:
        counts = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers of calls such as 1,2,4, got "
                                         f"{text!r}") from None
    if not counts or any(not 1 <= c <= 256 for c in counts):
        raise argparse.ArgumentTypeError(f"expected numbers of calls from 1 to 256, got {text}")
    return sorted(set(counts))


def _loopback(url: str) -> str:
    host = urlsplit(url).hostname or ""
    try:
        if host == "localhost" or ipaddress.ip_address(host).is_loopback:
            return url.rstrip("/")
    except ValueError:
        pass
    raise ConfigError(f"--url: expected a loopback address (127.0.0.1, ::1, localhost), "
                      f"got {host or url!r}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_node(data_dir: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cbcs.loadtest.node", "--data-dir", str(data_dir),
         "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ConfigError(f"the node did not start: {proc.stdout.read() if proc.stdout else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise ConfigError("the node did not start within 30 s")


def _run_calls(args: argparse.Namespace) -> int:
    from cbcs.loadtest import calls

    if args.url:
        raise ConfigError("loadtest calls: starts a node of its own (its CPU is measured "
                          "apart from the callers'); --url is not for this scenario")
    return calls.run(calls.Options(
        profile=args.profile, steps=args.calls or calls.ramp(args.max_calls),
        step_seconds=args.step_seconds, calls_per_process=args.calls_per_process,
        saturation_pct=args.saturation, refine=not args.no_refine,
        seed=args.seed, json_path=args.json_path, plot_path=args.plot_path))


def run(args: argparse.Namespace) -> int:
    if args.scenario == "calls":
        return _run_calls(args)
    if shutil.which("locust") is None and not _has_locust():
        raise ConfigError("locust is not installed (pip install locust)")
    users = _users(args)
    work = Path(tempfile.mkdtemp(prefix="cbcs-loadtest-"))
    env = dict(os.environ)
    node: subprocess.Popen[str] | None = None
    try:
        if args.url:
            url = _loopback(args.url)
            key = args.admin_key or os.environ.get("CBCS_ADMIN_KEY")
            if not key:
                raise ConfigError("--admin-key: needed with --url (or set CBCS_ADMIN_KEY)")
        else:
            key = os.urandom(24).hex()
            env["CBCS_ADMIN_KEY"] = key
            node, url = _start_node(work / "data", env)
            print(f"cbcs loadtest: started a node at {url} (data in {work / 'data'})",
                  flush=True)
        env.update({"CBCS_ADMIN_KEY": key, "CBCS_LOADTEST_URL": url,
                    "CBCS_LOADTEST_SUMMARY": str(work / "summary.json"),
                    "CBCS_LOADTEST_VIEWERS": str(args.viewers),
                    "CBCS_LOADTEST_COMMENTERS": str(args.comments_per_s),
                    "CBCS_LOADTEST_CUSTOMERS": str(_customers(args)),
                    "CBCS_LOADTEST_AGENTS": str(args.agents),
                    "CBCS_LOADTEST_MESSAGE_INTERVAL": str(args.message_interval),
                    "CBCS_LOADTEST_CHURN_INTERVAL": str(args.churn_interval)})
        ramp = users / args.spawn_rate
        locustfile = Path(__file__).resolve().parent.parent / "loadtest" / f"{args.scenario}.py"
        prefix = args.out / args.scenario
        cmd = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless",
               "--host", url, "-u", str(users), "-r", str(args.spawn_rate),
               "-t", f"{int(ramp + args.time + 1)}s", "--reset-stats", "--only-summary",
               "--csv", str(prefix), "--html", f"{prefix}.html", "--stop-timeout", "5",
               "--loglevel", "WARNING"]
        print(f"cbcs loadtest {args.scenario}: {users} users, ramp {ramp:.0f} s, then "
              f"{args.time:.0f} s measured", flush=True)
        cpu0 = _cpu_seconds(node)
        users0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        locust = subprocess.run(cmd, env=env, capture_output=True, text=True)
        wall = time.monotonic() - started
        cpu = _cpu_seconds(node) - cpu0
        users1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        users_cpu = (users1.ru_utime + users1.ru_stime) - (users0.ru_utime + users0.ru_stime)
        if not (prefix.parent / f"{prefix.name}_stats.csv").exists():
            raise ConfigError(f"locust failed: {locust.stderr.strip()[-800:]}")
        summary = json.loads((work / "summary.json").read_text()) \
            if (work / "summary.json").exists() else {}
        _report(prefix, summary, node_cpu_pct=100.0 * cpu / wall if node else None,
                users_cpu_pct=100.0 * users_cpu / wall)
        print(f"\n  wrote {prefix}_stats.csv, {prefix}_failures.csv, {prefix}.html")
        return 0
    finally:
        if node is not None:
            node.send_signal(signal.SIGTERM)
            try:
                node.wait(15)
            except subprocess.TimeoutExpired:
                node.kill()
        shutil.rmtree(work, ignore_errors=True)


def _has_locust() -> bool:
    try:
        import importlib.util
        return importlib.util.find_spec("locust") is not None
    except ImportError:
        return False


def _customers(args: argparse.Namespace) -> int:
    if args.customers is not None:
        return int(args.customers)
    return 500 if args.scenario == "chat" else 100


def _users(args: argparse.Namespace) -> int:
    if args.scenario == "room":
        users = int(args.viewers + args.comments_per_s)
    else:
        users = _customers(args) + int(args.agents)
    if users > MAX_USERS:
        raise ConfigError(f"at most {MAX_USERS} simulated users in one run, asked for {users}")
    return users


def _cpu_seconds(proc: subprocess.Popen[str] | None) -> float:
    if proc is None:
        return 0.0
    try:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _report(prefix: Path, summary: dict[str, Any], *, node_cpu_pct: float | None,
            users_cpu_pct: float) -> None:
    with open(f"{prefix}_stats.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["Name"] != "Aggregated"]
    print(f"\n  {'request':<44} {'count':>9} {'fail':>6} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'max ms':>8}")
    for r in rows:
        print(f"  {r['Type'] + ' ' + r['Name']:<44} {r['Request Count']:>9} "
              f"{r['Failure Count']:>6} {r['50%']:>8} {r['95%']:>8} {r['99%']:>8} "
              f"{float(r['Max Response Time']):>8.0f}")
    for k, v in sorted(summary.get("counts", {}).items()):
        print(f"  {k:<44} {v:>9}")
    if node_cpu_pct is not None:
        print(f"  node CPU {node_cpu_pct:.0f} % of one core over the run "
              f"(machine: {os.cpu_count()} cores)")
    print(f"  simulated users' CPU {users_cpu_pct:.0f} % of one core")
