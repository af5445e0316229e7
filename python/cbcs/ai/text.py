"""Text as the AI tier compares it: lower case without diacritics (customers often drop
them: "don hang" for "đơn hàng", "devolucion" for "devolución")."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """``text`` in lower case with its diacritics removed (and Vietnamese đ as d)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("đ", "d")
