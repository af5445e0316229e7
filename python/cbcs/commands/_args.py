"""Argument types shared by the subcommands: bad values are refused while parsing, with the
option's name and what was expected, before any work starts."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path


def _number(kind: type[int] | type[float], low: float | None, high: float | None,
            what: str) -> Callable[[str], int | float]:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if value != value or (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text}")
        return value
    parse.__name__ = what  # argparse names the type in its messages
    return parse


def int_range(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    """An integer in [low, high] (either bound may be open)."""
    what = _describe("an integer", low, high)
    return _number(int, low, high, what)  # type: ignore[return-value]


def float_range(low: float | None = None, high: float | None = None) -> Callable[[str], float]:
    """A finite number in [low, high] (either bound may be open)."""
    what = _describe("a number", low, high)
    return _number(float, low, high, what)


def _describe(noun: str, low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{noun} from {low:g} to {high:g}"
    if low is not None:
        return f"{noun} of at least {low:g}"
    if high is not None:
        return f"{noun} of at most {high:g}"
    return noun


positive_int = int_range(1)
non_negative_int = int_range(0)
positive_float = float_range(1e-9)


def input_file(text: str) -> Path:
    """An existing, readable file."""
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text}: not a file")
    if not os.access(path, os.R_OK):
        raise argparse.ArgumentTypeError(f"{text}: not readable")
    return path


def output_file(text: str) -> Path:
    """A file that can be written: its folder exists and is writable, it is not a folder."""
    path = Path(text)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: is a folder, expected a file name")
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise argparse.ArgumentTypeError(f"{text}: not writable")
    return path


def output_dir(text: str) -> Path:
    """A folder to write into: created if missing, refused if it cannot be."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"{text}: cannot create ({exc.strerror})") from None
    if not os.access(path, os.W_OK):
        raise argparse.ArgumentTypeError(f"{text}: not writable")
    return path


def audio_dir(text: str) -> Path:
    """A folder of recorded audio (speech/ and noise/), see :mod:`cbcs.media.samples`."""
    from cbcs.errors import DataNotFoundError
    from cbcs.media import samples

    try:
        return samples.audio_dir(text)
    except DataNotFoundError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def output_wav(text: str) -> Path:
    """A WAV file to write (:func:`output_file`, named ``*.wav``)."""
    path = output_file(text)
    if path.suffix.lower() != ".wav":
        raise argparse.ArgumentTypeError(f"{text}: expected a .wav file name")
    return path


def output_png(text: str) -> Path:
    """A PNG file to write (:func:`output_file`, named ``*.png``)."""
    path = output_file(text)
    if path.suffix.lower() != ".png":
        raise argparse.ArgumentTypeError(f"{text}: expected a .png file name")
    return path
