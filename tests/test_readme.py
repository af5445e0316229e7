"""The README's API tour runs as written (a user's first copy-paste must work)."""

from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_api_tour_runs() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("```python", text.index("## A short tour of the API")) + len("```python")
    code = text[start:text.index("```", start)]
    namespace: dict[str, object] = {}
    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 - our own README
    assert "jb" in namespace and "rs" in namespace


def test_routing_example_runs(tmp_path: Path, monkeypatch: object, capsys: object) -> None:
    import pytest
    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    text = README.read_text(encoding="utf-8")
    start = text.index("```python", text.index("## The contact-centre core")) + len("```python")
    code = text[start:text.index("```", start)]
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(README), "exec"), {"__name__": "__main__"})  # noqa: S102
    assert capsys.readouterr().out.strip() == "assigned ana"  # type: ignore[attr-defined]
    assert (tmp_path / "data" / "cbcs.db").is_file()



def test_builder_example_runs(tmp_path: Path, monkeypatch: object, capsys: object) -> None:
    import asyncio

    import pytest

    from cbcs.server.app import running
    from cbcs.server.config import ServerConfig
    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.delenv("CBCS_ADMIN_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    text = README.read_text(encoding="utf-8")
    start = text.index("```python", text.index("## The service")) + len("```python")
    code = text[start:text.index("```", start)]
    code, run_line = code.rsplit("asyncio.run(", 1)
    assert "cbcs-data/admin.key" in run_line
    namespace: dict[str, object] = {"__name__": "readme"}
    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 - our own README

    async def go() -> None:
        config = ServerConfig(data_dir=tmp_path / "cbcs-data")
        async with running(config) as (url, _node):
            key = (tmp_path / "cbcs-data" / "admin.key").read_text().strip()
            await namespace["main"](url, key)  # type: ignore[operator]
    asyncio.run(go())
    assert capsys.readouterr().out.strip() == "stored as message 1"  # type: ignore[attr-defined]
