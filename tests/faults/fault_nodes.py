"""What the fault tests start and break: Redis and PostgreSQL servers that stop and start
again on the same port, ``cbcs serve`` nodes that log to a file, a filesystem that fills,
a TCP proxy whose network can be cut, and waiting for a condition (never for a time)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

ADMIN_KEY = "test-admin-key-0123456789abcdef"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.getuid() == 0 else cmd


class RedisServer:
    """redis-server on loopback without persistence, as scripts/test-servers.sh starts it:
    a restart comes back empty (the worst case for presence and counters)."""

    def __init__(self, where: Path) -> None:
        self.dir = where
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir",
             str(self.dir), "--save", "", "--appendonly", "no", "--logfile",
             str(self.dir / "redis.log")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, 30)

    def stop(self) -> None:
        """SIGKILL: a crash, nothing saved."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


class PostgresServer:
    """A PostgreSQL cluster of its own on loopback; :meth:`stop` is an immediate shutdown
    (clients' connections cut, as in a crash), :meth:`start` brings it back on the port."""

    def __init__(self, where: Path) -> None:
        self.dir = where
        self.port = free_port()
        self.url = f"postgresql://cbcs@127.0.0.1:{self.port}/cbcs"
        self._made = False

    @staticmethod
    def bin_dir() -> Path | None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                       key=lambda p: int(p.parent.parent.name)
                       if p.parent.parent.name.isdigit() else 0)
        return found[-1].parent if found else None

    def _run(self, *cmd: str) -> None:
        done = subprocess.run(_as_owner(list(cmd)), capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(cmd[0]).name} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        pg = self.bin_dir()
        assert pg is not None
        if not self._made:
            self.dir.mkdir(parents=True, exist_ok=True)
            if os.getuid() == 0:
                subprocess.run(["chown", "postgres", str(self.dir)], check=True)
            self._run(str(pg / "initdb"), "-D", str(self.dir / "data"), "-U", "cbcs", "-A",
                      "trust", "-E", "UTF8", "--no-sync")
        self._run(str(pg / "pg_ctl"), "-D", str(self.dir / "data"), "-l",
                  str(self.dir / "server.log"), "-w", "-t", "60", "start", "-o",
                  f"-c listen_addresses=127.0.0.1 -p {self.port} "
                  # fsync off (the machine does not crash), but synchronous_commit on,
                  # unlike scripts/test-servers.sh: a commit must survive the restart
                  f"-c unix_socket_directories={self.dir} -c fsync=off "
                  "-c full_page_writes=off -c max_connections=200")
        if not self._made:
            self._run(str(pg / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                      "cbcs", "cbcs")
            self._made = True

    def stop(self) -> None:
        pg = self.bin_dir()
        if pg is not None and (self.dir / "data" / "postmaster.pid").exists():
            subprocess.run(_as_owner([str(pg / "pg_ctl"), "-D", str(self.dir / "data"), "-m",
                                      "immediate", "-w", "stop"]), capture_output=True, check=False)


class SmallDisk:
    """A small tmpfs of its own (root only): :meth:`fill` takes all its free space with one
    file, :meth:`free` deletes that file."""

    def __init__(self, where: Path, size_mb: int) -> None:
        self.dir = where
        self.size_mb = size_mb
        self.filler = where / "filler"
        self._mounted = False

    def mount(self) -> str:
        """Mount it; the reason it cannot be mounted, or ''."""
        self.dir.mkdir(parents=True, exist_ok=True)
        if os.getuid() != 0:
            return "mounting a tmpfs needs root"
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.size_mb}m", "tmpfs",
                               str(self.dir)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return done.stderr.strip() or "mount failed"
        self._mounted = True
        return ""

    def fill(self) -> None:
        """Write until the filesystem has no space left (ENOSPC)."""
        block = b"\0" * (1 << 16)
        with open(self.filler, "ab") as f, contextlib.suppress(OSError):
            while True:
                f.write(block)
                f.flush()
        assert self.free_bytes() < 1 << 16

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def free_bytes(self) -> int:
        st = os.statvfs(self.dir)
        return st.f_bavail * st.f_frsize

    def unmount(self) -> None:
        if self._mounted:
            subprocess.run(["umount", "-l", str(self.dir)], check=False)
            self._mounted = False


class NodeProcess:
    """A running ``cbcs serve`` (AI tier and translation off: these tests are about the
    service), its output in ``log_path``; ``url`` once it listens."""

    def __init__(self, data_dir: Path, log_path: Path, *, store: str | None = None,
                 bus: str | None = None, node_id: str | None = None) -> None:
        cmd = [sys.executable, "-m", "cbcs.cli", "serve", "--data-dir", str(data_dir),
               "--port", "0", "--quiet", "--ai", "off", "--translation", "off"]
        for flag, value in (("--store", store), ("--bus", bus), ("--node-id", node_id)):
            if value:
                cmd += [flag, value]
        self.log_path = log_path
        env = {**os.environ, "CBCS_ADMIN_KEY": ADMIN_KEY}
        self._log = open(log_path, "w")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     text=True)
        self.url = ""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            found = re.search(r"listening on (http://\S+)", self.log())
            if found:
                self.url = found.group(1)
                return
            if self.proc.poll() is not None:
                raise RuntimeError("cbcs serve exited: " + self.log())
            time.sleep(0.05)
        self.kill()
        raise RuntimeError("cbcs serve did not start within 90 s: " + self.log())

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown of any kind."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self._log.close()

    def terminate(self) -> str:
        """SIGTERM, then its whole log."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
        return self.log()


def wait_for_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout} s")


async def until(check: Callable[[], Awaitable[T | None] | T | None], what: str,
                timeout: float = 60.0, every: float = 0.1) -> T:
    """Poll ``check`` until it returns something truthy (its value); a generous timeout
    only turns a hang into a failure that says what was awaited."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            got = check()
            if asyncio.iscoroutine(got):
                got = await got
            if got:
                return got  # type: ignore[return-value]
            last = got
        except Exception as exc:   # noqa: BLE001 - the service may be down meanwhile
            last = exc
        await asyncio.sleep(every)
    raise AssertionError(f"waited {timeout:.0f} s for {what}; last: {last!r}")


def log_problems(text: str) -> list[str]:
    """Lines of a node's log that must never appear: tracebacks, anything that looks like
    a token or the admin key, and what customers wrote or who they are (the tests' texts
    and customer ids)."""
    bad = []
    for line in text.splitlines():
        if "Traceback" in line or ADMIN_KEY in line or re.search(r"eyJ[\w-]{10,}", line) \
                or re.search(r"message [0-9a-f]{8}-\d|customer \d|cust-", line):
            bad.append(line)
    return bad


class TcpProxy:
    """A loopback TCP proxy to ``target_port`` whose network can be cut: :meth:`cut`
    drops every connection through it at once (reset) and refuses new ones, as a phone
    that loses its network does; :meth:`stall` lets nothing through but keeps the
    connections (a network that goes silent); :meth:`restore` ends either."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.up = True
        self._server: asyncio.Server | None = None
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self.connections = 0
        self.flowing = asyncio.Event()
        self.flowing.set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            _reset(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            _reset(writer)
            return
        self.connections += 1
        pair = (writer, up_writer)
        self._pairs.add(pair)
        try:
            await asyncio.gather(_pipe(reader, up_writer, self.flowing),
                                 _pipe(up_reader, writer, self.flowing))
        finally:
            self._pairs.discard(pair)
            for w in pair:
                _reset(w)

    def cut(self) -> None:
        self.up = False
        for pair in list(self._pairs):
            for w in pair:
                _reset(w)

    def stall(self) -> None:
        self.flowing.clear()

    def restore(self) -> None:
        self.up = True
        self.flowing.set()

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                flowing: asyncio.Event) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while True:
            data = await reader.read(65536)
            if not data:
                break
            await flowing.wait()
            writer.write(data)
            await writer.drain()
    _reset(writer)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a reset (SO_LINGER 0), not a polite FIN: the peer sees the network go."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
    writer.transport.abort()


class Talker:
    """A customer who keeps writing into one conversation over the live channel, one
    message at a time: each is sent again with the same ``client_id`` until it is
    acknowledged (after a refusal, a timeout or a lost connection, which it reopens and
    resumes). ``acked``: (client_id, seq) of each acknowledged message; ``refused``: the
    error codes the service answered."""

    def __init__(self, client: Any, conversation: str, *, gap_s: float = 0.25,
                 fallbacks: tuple[Any, ...] = ()) -> None:
        self.client = client
        self._clients = [client, *fallbacks]   # a node died: the next one takes over
        self.conversation = conversation
        self.gap_s = gap_s
        self.acked: list[tuple[str, int]] = []
        self.refused: list[str] = []
        self.dropped = 0
        self.live: Any = None
        self.stop = asyncio.Event()

    def text(self, cid: str) -> str:
        return f"message {cid}"

    async def _open(self) -> None:
        while True:
            try:
                self.live = await self.client.live()
                await self.live.resume(self.conversation, 0)
                return
            except Exception:   # noqa: BLE001 - the node or the network is down
                self._clients.append(self._clients.pop(0))
                self.client = self._clients[0]
                await asyncio.sleep(0.3)

    async def run(self) -> None:
        from cbcs.client import ApiError

        await self._open()
        i = 0
        while not self.stop.is_set():
            cid = f"{self.conversation[:8]}-{i}"
            while True:
                try:
                    ack = await self.live.send_message(self.conversation, self.text(cid),
                                                       client_id=cid, timeout=15)
                    break
                except ApiError as exc:
                    self.refused.append(exc.code)
                    await asyncio.sleep(0.3)
                except (ConnectionError, TimeoutError, OSError, RuntimeError):
                    self.dropped += 1
                    with contextlib.suppress(Exception):
                        await self.live.close()
                    await self._open()
            self.acked.append((cid, int(ack["seq"])))
            i += 1
            await asyncio.sleep(self.gap_s)
        with contextlib.suppress(Exception):
            await self.live.close()


class RawChannel:
    """A live channel read frame by frame with nothing dropped (the client's
    :class:`~cbcs.client.LiveChannel` skips a message it had: here a duplicate counts)."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url.replace("http://", "ws://", 1) + "/ws"
        self.token = token
        self.frames: list[dict[str, Any]] = []
        self._session: Any = None
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None

    async def open(self) -> RawChannel:
        import aiohttp
        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(self.url, params={"token": self.token})
        self._reader = asyncio.get_running_loop().create_task(self._read())
        return self

    async def _read(self) -> None:
        import json
        with contextlib.suppress(Exception):   # the node died: the channel is closed
            async for msg in self._ws:
                if msg.type.name == "TEXT":
                    self.frames.append(json.loads(msg.data))

    @property
    def closed(self) -> bool:
        return self._reader is not None and self._reader.done()

    @property
    def close_code(self) -> int | None:
        return self._ws.close_code if self._ws is not None else None

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f.get("type") == kind]

    def seqs(self, conversation: str) -> list[int]:
        """The seq of every message frame of ``conversation`` received, in order."""
        return [int(f["seq"]) for f in self.of("message")
                if f.get("conversation") == conversation]

    async def send(self, frame: dict[str, Any]) -> None:
        await self._ws.send_json(frame)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await self._reader
        if self._session is not None:
            await self._session.close()


class AgentBot:
    """An agent whose console takes every offer it gets, ``think_s`` after it came (a
    person reads it first); when its node dies it connects to the next node (``urls``),
    sets itself available again, and takes there the offers it was still reading.
    ``accepted``: (conversation, reservation) of each offer the service let it take;
    ``refused``: the codes of those it did not (expired, gone to someone else)."""

    def __init__(self, agent_id: str, token: str, urls: list[str], *,
                 think_s: float = 0.0) -> None:
        self.agent_id = agent_id
        self.token = token
        self.urls = urls
        self.think_s = think_s
        self.accepted: list[tuple[str, str]] = []
        self.refused: list[str] = []
        self.reading: list[dict[str, Any]] = []   # offers received, not yet answered
        self.channels: list[RawChannel] = []
        self.stop = asyncio.Event()

    def frames(self, kind: str) -> list[dict[str, Any]]:
        return [f for ch in self.channels for f in ch.of(kind)]

    async def run(self) -> None:
        from cbcs.client import ApiError, Client

        turn = 0
        while not self.stop.is_set():
            url = self.urls[turn % len(self.urls)]
            turn += 1
            try:
                channel = await RawChannel(url, self.token).open()
            except Exception:   # noqa: BLE001 - that node is down: the next one
                await asyncio.sleep(0.3)
                continue
            self.channels.append(channel)
            async with Client(url, self.token) as me:
                try:
                    await me.set_status(self.agent_id, "available")
                except Exception:   # noqa: BLE001 - died meanwhile
                    continue
                done = 0
                while not self.stop.is_set() and not channel.closed:
                    offers = channel.of("reservation")
                    self.reading += offers[done:]
                    done = len(offers)
                    if self.reading:
                        await asyncio.sleep(self.think_s)
                    while self.reading:
                        offer = self.reading[0]
                        try:
                            await me.accept(offer["id"])
                            self.accepted.append((offer["conversation"], offer["id"]))
                        except ApiError as exc:   # expired, or went elsewhere
                            self.refused.append(exc.code)
                        except Exception:   # noqa: BLE001 - the node died: on the next
                            break
                        self.reading.pop(0)
                    await asyncio.sleep(0.05)
        for ch in self.channels:
            await ch.close()
