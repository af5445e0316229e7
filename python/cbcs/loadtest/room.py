"""Scenario ``room``: one live-commerce room, many viewers, a few commenters.

Viewers join and read; every ``probe_every``-th viewer times each comment from the moment
the service published it (its ``at``) to its arrival (one machine, one clock), and every
viewer checks the order of sequence numbers: a number that goes back is a failure, a gap
means the viewer was skipped ahead (counted). Commenters each post one comment a second.

All viewers share one load-generator process, where real viewers each have a device of
their own. Waking 3,000 viewers for every comment would make the generator, not the
service, the thing measured (the last viewer woken waits for the 2,999 before it), so
viewers that do not time comments read in batches, every ``batch_s`` seconds: the service
still writes every comment to every socket at once, and their order is still checked;
the probes read each comment the moment it arrives.
"""

from __future__ import annotations

import itertools
import json
import socket
import time

import gevent

from locust import User, constant, events, task

from cbcs.loadtest.common import counts, fire, param, token, write_summary, ws_url
from cbcs.loadtest.wire import WireError, WireSocket

ROOM = "live-sale"
VIEWERS = int(param("viewers", 3000))
COMMENTERS = int(param("commenters", 20))
PROBE_EVERY = int(param("probe_every", 10))
BATCH_S = param("batch_s", 0.5)
_numbers = itertools.count()
for _key in ("order_violations", "skipped_comments", "skipped_notices", "delivered",
             "comments_sent"):
    counts[_key] = 0


class RoomViewer(User):
    fixed_count = VIEWERS
    wait_time = constant(0)

    def on_start(self) -> None:
        self.n = next(_numbers)
        self.probe = self.n % PROBE_EVERY == 0
        started = time.perf_counter()
        self.ws = WireSocket(ws_url(), token("customer", f"viewer-{self.n}"))
        self.ws.send_json({"type": "room.join", "room": ROOM})
        self.frames = self.ws.frames()
        self.last = 0
        for payload in self.frames:
            if b'"room.joined"' in payload:
                self.last = json.loads(payload)["last_seq"]
                break
        fire(self.environment, "WS", "room.join", (time.perf_counter() - started) * 1000)
        self.ws.sock.settimeout(1.0 if self.probe else 0.0)

    @task
    def watch(self) -> None:
        if not self.probe:
            gevent.sleep(BATCH_S)
        try:
            for payload in self.frames:
                if b'"room.comment"' not in payload:
                    if b'"room.skipped"' in payload:
                        counts["skipped_notices"] += 1
                    continue
                i = payload.index(b'"seq":') + 6
                seq = int(payload[i:payload.index(b",", i)])
                if seq <= self.last:
                    counts["order_violations"] += 1
                    fire(self.environment, "WS", "room.order", 0, ValueError("out of order"))
                elif seq > self.last + 1 and self.last:
                    counts["skipped_comments"] += seq - self.last - 1
                self.last = seq
                counts["delivered"] += 1
                if self.probe:
                    at = json.loads(payload)["at"]
                    fire(self.environment, "WS", "room.delivery", (time.time() - at) * 1000,
                         length=len(payload))
        except (socket.timeout, TimeoutError, BlockingIOError):
            self.frames = self.ws.frames()  # nothing more for now: keep waiting
        except WireError as exc:
            fire(self.environment, "WS", "room.connection", 0, exc)
            self.stop()

    def on_stop(self) -> None:
        self.ws.close()


class RoomCommenter(User):
    fixed_count = COMMENTERS
    wait_time = constant(1.0)

    def on_start(self) -> None:
        self.n = next(_numbers)
        self.ws = WireSocket(ws_url(), token("customer", f"commenter-{self.n}"))
        self.ws.send_json({"type": "room.join", "room": ROOM})
        self.k = 0

    @task
    def comment(self) -> None:
        self.k += 1
        self.ws.send_json({"type": "room.comment", "room": ROOM,
                           "text": f"is the {self.n}-{self.k} sofa still on sale?"})
        counts["comments_sent"] += 1

    def on_stop(self) -> None:
        self.ws.close()


def _summary(environment: object, **_: object) -> None:
    write_summary({"scenario": "room", "viewers": VIEWERS, "commenters": COMMENTERS,
                   "probe_every": PROBE_EVERY})


events.test_stop.add_listener(_summary)  # type: ignore[no-untyped-call]
