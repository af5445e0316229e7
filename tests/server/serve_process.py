"""``cbcs serve`` in a child process, for the tests that kill a node or run two."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ADMIN_KEY = "test-admin-key-0123456789abcdef"


class ServeProcess:
    """A running ``cbcs serve``; ``url`` once it listens. The AI tier is off unless ``ai``
    (these tests are about the service; tests/server/test_first_tier.py is about the AI)."""

    def __init__(self, data_dir: Path, *, store: str | None = None, bus: str | None = None,
                 node_id: str | None = None, ai: str = "off") -> None:
        cmd = [sys.executable, "-m", "cbcs.cli", "serve", "--data-dir", str(data_dir),
               "--port", "0", "--quiet", "--ai", ai]
        if store:
            cmd += ["--store", store]
        if bus:
            cmd += ["--bus", bus]
        if node_id:
            cmd += ["--node-id", node_id]
        env = {**os.environ, "CBCS_ADMIN_KEY": ADMIN_KEY}
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.output: list[str] = []
        self.url = ""
        deadline = time.monotonic() + 60
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("cbcs serve exited: " + "".join(self.output))
            self.output.append(line)
            found = re.search(r"listening on (http://\S+)", line)
            if found:
                self.url = found.group(1)
                return
        self.kill()
        raise RuntimeError("cbcs serve did not start within 60 s")

    def kill(self) -> None:
        """SIGKILL: no shutdown of any kind."""
        self.proc.kill()
        self.proc.wait(10)

    def terminate(self) -> str:
        """SIGTERM, then what it printed until it exited."""
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=30)
        return "".join(self.output) + (out or "")
