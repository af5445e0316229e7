"""The browser product: customer widget, agent console and supervisor dashboard (plain
HTML, CSS and JavaScript modules in ``static/``, served by ``cbcs serve``; no build step)."""

from pathlib import Path

#: Folder of the pages' files.
STATIC = Path(__file__).parent / "static"
