"""Discrete-event simulation of congestion-controlled media flows over shared bottlenecks
(RFC 8867 test cases) around the C++ estimator, with RFC 8868 metrics."""

from cbcs.cc_sim.harness import (
    CASES,
    CaseResult,
    FlowResult,
    run_case,
)

__all__ = ["CASES", "CaseResult", "FlowResult", "run_case"]
