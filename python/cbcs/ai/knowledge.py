"""Finding the knowledge-base article that answers a customer's question.

Articles are kept per market and language (return windows and payment methods differ by
market), so a question is only matched against its own market's articles in the
customer's language: across languages the small embedding model is unreliable (see
:mod:`cbcs.ai.embeddings`). The intent picks the topic: an article whose slug or title is
about it (``returns`` for a return request) answers when it is not far off; otherwise any
article must be very close and clearly ahead of the next. Cosines of e5 sit high for any
pair of texts (0.77-0.85 for a question and an article that does not answer it, measured
on the demo shop), so a plain threshold would answer "can I pay with OVO?" with the
returns policy. With no answer the agent says so and hands over, instead of guessing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cbcs.ai.embeddings import Embeddings
from cbcs.contact.knowledge import Article

#: words in an article's slug or title that suit an intent (a small nudge, not a rule)
_HINTS = {
    "return_request": ("return", "devol", "troca", "kembali", "คืน", "trả", "balik", "退"),
    "refund_status": ("refund", "reembols", "return", "devol", "คืน", "hoàn", "退"),
    "payment_methods": ("pay", "cash", "cod", "boleto", "pix", "oxxo", "bayar", "pago",
                        "ชำระ", "thanh toán", "付"),
    "shipping_time": ("ship", "deliver", "envío", "envio", "entrega", "kirim", "จัดส่ง",
                      "giao", "配送", "发货"),
    "coupon_discount": ("coupon", "voucher", "discount", "cupón", "cupom", "diskon", "ส่วนลด",
                        "giảm", "优惠"),
    "account_login": ("account", "login", "password", "cuenta", "conta", "akun", "บัญชี",
                      "tài khoản", "账"),
    "product_question": ("product", "size", "assembly", "material", "producto", "produto",
                         "ukuran", "สินค้า", "sản phẩm", "产品"),
}


@dataclass(frozen=True)
class Hit:
    article: Article
    score: float


class KnowledgeIndex:
    """Article vectors, computed once per article version, and a thresholded search."""

    def __init__(self, embeddings: Embeddings, *, on_topic: float = 0.75,
                 threshold: float = 0.87, margin: float = 0.03) -> None:
        self.embeddings, self.on_topic = embeddings, on_topic
        self.threshold, self.margin = threshold, margin
        self._vectors: dict[tuple[str, str, str, float], np.ndarray] = {}

    def warm(self, articles: Sequence[Article]) -> None:
        """Embed ``articles`` now (they are embedded once, on first use, otherwise: the
        first turn of each market would wait for its whole knowledge base)."""
        if articles:
            self._vector(articles)

    def _vector(self, articles: Sequence[Article]) -> np.ndarray:
        keys = [(a.market, a.language, a.slug, a.updated_at) for a in articles]
        missing = [a for a, k in zip(articles, keys) if k not in self._vectors]
        if missing:
            vectors = self.embeddings.embed([f"{a.title}. {a.body}" for a in missing],
                                            "passage")
            for a, v in zip(missing, vectors):
                self._vectors[(a.market, a.language, a.slug, a.updated_at)] = v
        return np.stack([self._vectors[k] for k in keys])

    def search(self, text: str, articles: Sequence[Article], market: str, language: str,
               intent: str | None = None) -> Hit | None:
        """The best article of ``market`` in ``language`` for ``text``, if close enough."""
        pool = [a for a in articles if a.market == market and a.language == language]
        if not pool:
            return None
        query = self.embeddings.embed([text], "query")[0]
        scores = self._vector(pool) @ query
        hints = _HINTS.get(intent or "", ())
        topical = [i for i, a in enumerate(pool)
                   if any(h in f"{a.slug} {a.title}".lower() for h in hints)]
        if topical:
            best = max(topical, key=lambda i: float(scores[i]))
            if float(scores[best]) >= self.on_topic:
                return Hit(pool[best], float(scores[best]))
            return None
        order = np.argsort(-scores)
        best = int(order[0])
        ahead = float(scores[best] - scores[order[1]]) if len(order) > 1 else 1.0
        if float(scores[best]) < self.threshold or ahead < self.margin:
            return None
        return Hit(pool[best], float(scores[best]))
