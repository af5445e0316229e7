"""A lean WebSocket client for load-test users on gevent sockets (RFC 6455).

Thousands of simulated viewers on one core cannot afford a full client's per-frame cost:
this one reads the socket in large chunks and splits them into frames with a few slices,
and leaves JSON decoding to the caller. Client frames are masked, as the RFC requires.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
from typing import Any
from urllib.parse import urlencode, urlsplit


class WireError(Exception):
    """The handshake was refused or the connection broke."""


class WireSocket:
    """One client connection; ``frames()`` yields each text frame's payload (bytes)."""

    def __init__(self, url: str, token: str, *, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        path = (parts.path or "/ws") + "?" + urlencode({"token": token})
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                           ).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise WireError("connection closed during the handshake")
            head += chunk
        status_line, _, rest = head.partition(b"\r\n")
        if b" 101 " not in status_line:
            raise WireError(f"handshake refused: {status_line.decode(errors='replace')}")
        self.buf = bytearray(rest.partition(b"\r\n\r\n")[2])
        self.closed = False
        self._frames: Any = None

    def receive(self, timeout: float) -> Any:
        """The next text frame, decoded, or None when none came within ``timeout`` s."""
        if timeout <= 0:
            return None
        self.sock.settimeout(timeout)
        if self._frames is None:
            self._frames = self.frames()
        try:
            return json.loads(next(self._frames))
        except (socket.timeout, TimeoutError):
            self._frames = None   # a partial frame stays in the buffer for the next call
            return None

    def send_json(self, obj: Any) -> None:
        payload = json.dumps(obj).encode()
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            header = bytes((0x81, 0x80 | n))
        elif n < 65536:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def frames(self) -> Any:
        """Text frame payloads as they arrive, until the server closes (then WireError)."""
        buf = self.buf
        while True:
            pos, end = 0, len(buf)
            try:
                while end - pos >= 2:
                    n = buf[pos + 1] & 0x7F
                    off = 2
                    if n == 126:
                        if end - pos < 4:
                            break
                        n = (buf[pos + 2] << 8) | buf[pos + 3]
                        off = 4
                    elif n == 127:
                        if end - pos < 10:
                            break
                        n = struct.unpack_from("!Q", buf, pos + 2)[0]
                        off = 10
                    if end - pos < off + n:
                        break
                    opcode = buf[pos] & 0x0F
                    payload = bytes(buf[pos + off:pos + off + n])
                    pos += off + n
                    if opcode == 0x1:
                        yield payload
                    elif opcode == 0x8:
                        self.closed = True
                        code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                        raise WireError(f"closed by the server ({code} {payload[2:].decode()})")
                    elif opcode == 0x9:  # ping: answer with a pong
                        self._control(0xA, payload)
            finally:
                del buf[:pos]  # once per chunk, not once per frame
            chunk = self.sock.recv(262144)
            if not chunk:
                self.closed = True
                raise WireError("connection closed")
            buf += chunk

    def _control(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        self.sock.sendall(bytes((0x80 | opcode, 0x80 | len(payload))) + mask + masked)

    def close(self) -> None:
        if not self.closed:
            try:
                self._control(0x8, struct.pack("!H", 1000))
            except OSError:
                pass
        self.closed = True
        self.sock.close()
