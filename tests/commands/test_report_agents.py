"""``cbcs demo-shop --simulate-week`` then ``cbcs report agents``: the table a supervisor
reads, the four plots and the JSON; bad input is one line and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cbcs.cli import main
from cbcs.commands._agent_plots import FILES


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("week") / "data"
    assert main(["demo-shop", "--data-dir", str(data), "--simulate-week",
                 "--per-day", "40"]) == 0
    return data


def test_report_prints_the_table_and_writes_plots_and_json(
        week: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    out, figures = tmp_path / "plots", tmp_path / "agents.json"
    assert main(["report", "agents", "--data-dir", str(week), "--since", "7d",
                 "--plot", str(out), "--json", str(figures)]) == 0
    printed = capsys.readouterr()
    stats = json.loads(figures.read_text())
    assert stats["total"]["conversations"] > 50
    table = printed.out
    for row in stats["agents"]:
        assert row["name"] in table
    for heading in ("by language", "by market", "1st reply p50", "handling p50"):
        assert heading in table
    for row in stats["markets"]:
        assert any(line.startswith(row["market"]) for line in table.splitlines())
    assert "reading" in printed.err and "wrote" in printed.err   # progress on stderr
    for name in FILES:
        png = out / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 15_000   # axes, boxes and labels, not an empty canvas


def test_a_window_with_nothing_in_it_says_so(
        week: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["report", "agents", "--data-dir", str(week), "--since", "1m"]) == 0
    assert "no conversation was handled" in capsys.readouterr().out


@pytest.mark.parametrize("args, fragment", [
    (["--since", "yesterday"], "expected a span such as 7d"),
    (["--since", "2999-01-01"], "in the future"),
    (["--data-dir", "{tmp}/nowhere"], "is not a folder"),
    (["--data-dir", "{tmp}"], "no store (cbcs.db)"),
    (["--plot", "{tmp}/file.txt"], "exists and is not a folder"),
])
def test_bad_input_is_one_line_and_exit_code_2(
        args: list[str], fragment: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file.txt").write_text("x")
    argv = ["report", "agents", *[a.format(tmp=tmp_path) for a in args]]
    if "--data-dir" not in args:
        argv += ["--data-dir", str(tmp_path)]
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
