"""Collects a benchmark's figures and gate checks; prints tables and writes JSON."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Gate:
    """One done-when bound: its name, whether it held and the figures behind it."""

    name: str
    ok: bool
    detail: str


@dataclass
class Report:
    """What a benchmark run produced: nested figures for ``--json`` and gate results."""

    area: str
    figures: dict[str, Any] = field(default_factory=dict)
    gates: list[Gate] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: str) -> None:
        """Record a gate; printed at the end, and fatal with ``--gate`` when not ok."""
        self.gates.append(Gate(name, bool(ok), detail))

    def table(self, title: str, header: list[str], rows: list[list[Any]]) -> None:
        """Print an aligned table (numbers already formatted by the caller)."""
        cells = [header] + [[str(c) for c in row] for row in rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
        print(f"\n{title}")
        for i, row in enumerate(cells):
            print("  " + "  ".join(c.rjust(w) if j else c.ljust(w)
                                   for j, (c, w) in enumerate(zip(row, widths))))
            if i == 0:
                print("  " + "  ".join("-" * w for w in widths))
        sys.stdout.flush()

    def finish(self, *, json_path: str | None, gate: bool) -> int:
        """Print the gate summary, write JSON; return the exit code for the CLI."""
        if self.gates:
            print(f"\ngates ({self.area}):")
            for g in self.gates:
                print(f"  [{'PASS' if g.ok else 'FAIL'}] {g.name}: {g.detail}")
        failed = [g for g in self.gates if not g.ok]
        if json_path:
            doc = {"area": self.area, **self.figures,
                   "gates": [g.__dict__ for g in self.gates]}
            with open(json_path, "w", encoding="utf-8") as f:
                json.dump(doc, f, indent=2, sort_keys=True)
            print(f"wrote {json_path}")
        if gate and failed:
            print(f"{len(failed)} gate(s) failed", file=sys.stderr)
            return 1
        return 0
