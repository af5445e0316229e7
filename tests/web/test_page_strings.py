"""The customer widget's and the shared layer's text exists in every language the pages
offer: the same keys as English, the same {placeholders}, and every key the markup and the
scripts use is defined."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

STATIC = Path(__file__).parents[2] / "python" / "cbcs" / "web" / "static"
LANGUAGES = ["en", "es", "pt-BR", "zh"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def strings(folder: str, lang: str) -> dict[str, str]:
    data = json.loads((STATIC / folder / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return {str(k): str(v) for k, v in data.items()}


@pytest.mark.parametrize("folder", ["common", "widget"])
@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_every_string_is_translated_with_the_same_placeholders(folder: str, lang: str) -> None:
    en, other = strings(folder, "en"), strings(folder, lang)
    assert sorted(other) == sorted(en), set(en) ^ set(other)
    for key, text in en.items():
        assert set(PLACEHOLDER.findall(other[key])) == set(PLACEHOLDER.findall(text)), key
        assert other[key].strip(), key


def test_every_key_the_widget_uses_is_defined() -> None:
    defined = {**strings("common", "en"), **strings("widget", "en")}
    html = (STATIC / "widget" / "index.html").read_text(encoding="utf-8")
    script = (STATIC / "widget" / "widget.js").read_text(encoding="utf-8")
    used = set(re.findall(r'data-i18n(?:-\w+)?="([\w.]+)"', html))
    used |= set(re.findall(r'\bt\("([\w.]+)"', script))
    assert used, "no keys found: the pattern is stale"
    assert not used - set(defined), sorted(used - set(defined))
