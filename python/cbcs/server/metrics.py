"""Prometheus metrics of one node (text format at ``/metrics``), in a registry of its own so
that several apps in one process (tests) do not share counters."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    """The node's counters, gauges and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("cbcs_http_requests", "HTTP requests by route and status",
                                ["route", "status"], registry=r)
        self.request_seconds = Histogram("cbcs_http_request_seconds", "HTTP request time",
                                         ["route"], registry=r,
                                         buckets=(.001, .005, .01, .025, .05, .1, .25, 1, 5))
        self.ws_connections = Gauge("cbcs_ws_connections", "open WebSocket connections",
                                    registry=r)
        self.ws_frames = Counter("cbcs_ws_frames_in", "WebSocket frames received by type",
                                 ["type"], registry=r)
        self.ws_errors = Counter("cbcs_ws_errors", "error frames sent by code", ["code"],
                                 registry=r)
        self.ws_slow_disconnects = Counter("cbcs_ws_slow_disconnects",
                                           "clients disconnected for a full send queue",
                                           registry=r)
        self.ephemeral_dropped = Counter("cbcs_ws_ephemeral_dropped",
                                         "typing/read/room frames dropped under back-pressure",
                                         registry=r)
        self.messages = Counter("cbcs_messages", "chat messages posted: stored, or a retry "
                                "answered with the message stored before", ["outcome"],
                                registry=r)
        self.room_comments = Counter("cbcs_room_comments", "room comments published",
                                     registry=r)
        self.rate_limited = Counter("cbcs_rate_limited", "requests refused by rate limits",
                                    ["scope"], registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)
