"""Every subcommand with every kind of bad input: one line on stderr, exit code 2, no
traceback. New subcommands add their rows here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from cbcs.cli import main
from cbcs.media import samples


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("bad")
    tone = (0.1 * np.sin(np.arange(16000) / 5)).astype(np.float32)
    paths = {
        "good": str(samples.speech_path("es_leopard")),
        "missing": str(d / "nope.wav"),
        "folder": str(d),
        "text": str(d / "notaudio.wav"),
        "stereo": str(d / "stereo.wav"),
        "rate44k": str(d / "rate44k.wav"),
        "pcm24": str(d / "pcm24.wav"),
        "empty": str(d / "empty.wav"),
        "no_dir": str(d / "no" / "such" / "dir" / "o.wav"),
        "out": str(d / "o.wav"),
        "out_txt": str(d / "o.txt"),
    }
    Path(paths["text"]).write_text("this is not audio\n")
    sf.write(paths["stereo"], np.stack([tone, tone], axis=1), 16000, subtype="PCM_16")
    sf.write(paths["rate44k"], tone, 44100, subtype="PCM_16")
    sf.write(paths["pcm24"], tone, 16000, subtype="PCM_24")
    sf.write(paths["empty"], np.zeros(0, np.float32), 16000, subtype="PCM_16")
    return paths


# (argv with {file} placeholders, a fragment the one line must contain)
CASES = [
    # cbcs netsim
    ("netsim --input {missing} --output {out}", "no such file"),
    ("netsim --input {folder} --output {out}", "not a file"),
    ("netsim --input {text} --output {out}", "not a readable audio file"),
    ("netsim --input {stereo} --output {out}", "2 channels"),
    ("netsim --input {rate44k} --output {out}", "44100 Hz"),
    ("netsim --input {pcm24} --output {out}", "PCM_24"),
    ("netsim --input {empty} --output {out}", "no audio"),
    ("netsim --input {good} --output {no_dir}", "does not exist"),
    ("netsim --input {good} --output {folder}", "is a folder"),
    ("netsim --input {good} --output {out_txt}", ".wav"),
    ("netsim --input {good} --output {out} --plot {out_txt}", ".png"),
    ("netsim --input {good} --output {out} --seed -1", "at least 0"),
    ("netsim --input {good} --output {out} --seed x", "expected an integer"),
    ("netsim --input {good} --output {out} --packet-ms 25", "invalid choice"),
    ("netsim --input {good} --output {out} --profile mars", "mars"),
    ("netsim --output {out}", "required"),
    # cbcs denoise
    ("denoise {missing} {out}", "no such file"),
    ("denoise {folder} {out}", "not a file"),
    ("denoise {text} {out}", "not a readable audio file"),
    ("denoise {stereo} {out}", "2 channels"),
    ("denoise {rate44k} {out}", "44100 Hz"),
    ("denoise {empty} {out}", "no audio"),
    ("denoise {good} {no_dir}", "does not exist"),
    ("denoise {good} {out_txt}", ".wav"),
    ("denoise {good} {out} --suppression-db 99", "0 to 60"),
    ("denoise {good} {out} --suppression-db nan", "0 to 60"),
    ("denoise {good} {out} --method magic", "invalid choice"),
    # cbcs bench (argument errors: nothing runs)
    ("bench", "required"),
    ("bench nosuch", "invalid choice"),
    ("bench jitter --seconds 0", "unrecognized arguments: --seconds 0"),
    ("bench jitter --duration 0", "2 to 3600"),
    ("bench jitter --seeds 0", "at least 1"),
    ("bench jitter --clips -2", "at least 1"),
    ("bench jitter --json {no_dir}", "does not exist"),
    ("bench jitter --audio-dir {folder}", "speech/ and noise/"),
    ("bench fec --short --seeds -1", "at least 1"),
    ("bench fec --seconds -5", "2 to 3600"),
    ("bench fec --part most", "invalid choice"),
    ("bench cc --case nope", "unknown case"),
    ("bench cc --seeds 0", "at least 1"),
    ("bench cc --plot {text}", "not a folder"),
    ("bench denoise --workers 0", "1 to 64"),
    ("bench denoise --audio-dir {missing}", "speech/ and noise/"),
    ("bench e2e --profiles mars", "comma-separated list"),
    ("bench e2e --seconds 1e9", "2 to 600"),
    ("bench e2e --seed -3", "at least 0"),
    ("bench agent --json {no_dir}", "does not exist"),
    ("bench routing --decisions 0", "at least 1"),
    ("bench routing --customers -5", "at least 1"),
    ("bench routing --seed x", "invalid int value"),
    # cbcs serve
    ("serve --port 99999", "0 to 65535"),
    ("serve --port http", "expected an integer"),
    ("serve --ai cloud", "invalid choice"),
    # cbcs ai classify
    ("ai", "required"),
    ("ai classify --input {missing} --output {folder}/o.jsonl", "no file"),
    ("ai classify --input {text} --output {folder}/o.jsonl", "line 1 is not JSON"),
    ("ai classify --input {good} --output {folder}/o.jsonl", "not UTF-8"),
    ("ai classify --input {text} --output {no_dir}", "no folder"),
    # cbcs demo-shop
    ("demo-shop --data-dir {text}", "not a folder"),
    ("demo-shop --data-dir {folder}/d --store nope://x", "expected a sqlite:///FILE"),
    ("demo-shop --data-dir {folder}/d --store postgresql://u@127.0.0.1:1/db", "cannot open"),
    ("demo-shop --data-dir {folder}/d --simulate-week --per-day 0", "1 to 2000"),
    # cbcs report agents
    ("report", "required"),
    ("report agents --since yesterday", "expected a span"),
    ("report agents --data-dir {text}", "not a folder"),
    ("report agents --data-dir {folder}", "no store (cbcs.db)"),
    ("report agents --store nope://x", "expected a sqlite:///FILE"),
    ("report agents --json {folder}", "is a folder"),
    # cbcs loadtest (argument errors: nothing runs)
    ("loadtest", "required"),
    ("loadtest party", "invalid choice"),
    ("loadtest room --viewers 0", "1 to 5000"),
    ("loadtest room --viewers 99999", "1 to 5000"),
    ("loadtest room --time 1", "5 to 900"),
    ("loadtest room --comments-per-s -1", "1 to 200"),
    ("loadtest room --out {text}", "not a folder"),
    ("loadtest room --url http://10.1.2.3:80 --admin-key kkkkkkkkkkkkkkkkkkkk", "loopback"),
    ("loadtest room --url http://127.0.0.1:9", "--admin-key"),
    ("loadtest chat --customers 0", "1 to 5000"),
    ("loadtest chat --agents many", "expected an integer"),
    ("loadtest chat --message-interval 0", "0.5 to 600"),
    ("loadtest chat --customers 5000 --agents 50", "at most 5000 simulated users"),
    ("loadtest routing --churn-interval -3", "0.2 to 600"),
    # cbcs translate
    ("translate --source xx --target en", "expected one of en, es, pt-BR"),
    ("translate --source es", "required"),
    ("translate --source es --target en --threads 0", "1 to 64"),
    ("bench translate --json {no_dir}", "does not exist"),
    # the top level
    ("nosuch", "invalid choice"),
    ("", "required"),
]


@pytest.mark.parametrize(("argv", "fragment"), CASES, ids=[c[0] or "(none)" for c in CASES])
def test_bad_input_is_one_line_and_exit_code_2(argv: str, fragment: str, files: dict[str, str],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    args = [word.format(**files) for word in argv.split()]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert fragment in err, err
    assert err.startswith("cbcs"), err


def test_the_installed_command_shows_no_traceback(files: dict[str, str]) -> None:
    # The console script itself, as a user runs it (not main() in this process).
    cbcs = Path(sys.executable).with_name("cbcs")
    result = subprocess.run([str(cbcs), "denoise", files["text"], files["out"]],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"cbcs denoise: error: {files['text']}: not a readable "
                                     "audio file (Format not recognised.)")


def test_a_missing_optional_package_names_the_extra(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str],
                                                    files: dict[str, str]) -> None:
    import cbcs.commands.denoise as denoise

    def needs_pesq(_args: object) -> int:
        raise ModuleNotFoundError("No module named 'pesq'", name="pesq")

    monkeypatch.setattr(denoise, "run", needs_pesq)
    assert main(["denoise", files["good"], files["out"]]) == 2
    assert "pip install 'cbcs[bench]'" in capsys.readouterr().err
