"""When the AI tier hands a customer to a person, and why.

Plain rules over what the classifiers found and what the text says: an explicit request
for a person; a threat (a chargeback, a lawyer, a bad review, a consumer-protection
agency of one of the markets); anger; a refund or return the customer says was already
refused or ignored; damage to an expensive item. Lexicons cover the eight market
languages; they are deliberately short. What the rules miss (a dispute told in the
customer's own words, anger without a keyword) a classifier learnt from labelled examples
catches (:func:`cbcs.ai.classifier.escalations`): its verdict comes in as ``learned``, the
probability of each reason and of ``none``, and hands over when ``none`` is below one half.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from cbcs.ai.text import fold


def _terms(*words: str) -> re.Pattern[str]:
    # Latin-script words match whole; Thai and Chinese have no spaces, so as substrings.
    parts = [re.escape(fold(w)) if not w.isascii() and not any(c.isalpha() and c.isascii()
                                                                 for c in w)
             else rf"\b{re.escape(fold(w))}\b" for w in words]
    return re.compile("|".join(parts))


THREATS = _terms(
    "chargeback", "contracargo", "charge back", "dispute the charge", "lawyer", "attorney",
    "sue", "court", "abogado", "demanda", "demandar", "advogado", "processar", "processo",
    "pengacara", "menuntut", "gugat", "luat su", "kien", "abugado", "idedemanda", "kaso",
    "ทนาย", "ฟ้อง", "律师", "起诉", "bad review", "1 star", "one star", "una estrella",
    "avaliacao negativa", "reclame aqui", "ulasan buruk", "bintang 1", "รีวิวแย่",
    "danh gia 1 sao", "差评", "procon", "profeco", "dti", "ylki", "bpkn", "สคบ", "消协",
    "消费者协会", "12315", "bao ve nguoi tieu dung", "consumer protection")
REPEATED = _terms(
    "again", "third time", "second time", "three times", "twice", "still no", "still not",
    "nobody answered", "no one replied", "ignored", "de nuevo", "otra vez", "tres veces",
    "todavia no", "nadie", "de novo", "outra vez", "tres vezes", "ainda nao", "ninguem",
    "lagi", "berkali-kali", "masih belum", "tidak ada yang", "อีกแล้ว", "ยังไม่", "หลายครั้ง",
    "lan thu", "van chua", "nhieu lan", "khong ai", "ulit", "hanggang ngayon", "wala pa rin",
    "ilang beses", "第三次", "又", "还没", "多次", "没人")
EXPENSIVE = _terms(
    "sofa", "couch", "bed", "bed frame", "mattress", "wardrobe", "dining table", "sillon",
    "cama", "colchon", "ropero", "comedor", "sofa-cama", "guarda-roupa", "kasur", "ranjang",
    "lemari", "โซฟา", "เตียง", "ตู้", "giuong", "tu quan ao", "kama", "aparador", "沙发",
    "床", "衣柜", "餐桌")
DISPUTE_INTENTS = ("refund_status", "return_request", "cancel_order", "wrong_item",
                   "damaged_item")


@dataclass(frozen=True)
class Decision:
    escalate: bool
    reason: str = ""


def decide(text: str, intent: str, sentiment: str,
           learned: Mapping[str, float] | None = None) -> Decision:
    """Whether to hand this turn to a person, and the reason an agent reads."""
    folded = fold(text)
    if intent == "speak_to_human":
        return Decision(True, "asks for a human")
    threat = THREATS.search(folded)
    if threat:
        return Decision(True, f"threatens: {threat.group(0).strip()}")
    if intent in DISPUTE_INTENTS and REPEATED.search(folded):
        return Decision(True, f"{intent.replace('_', ' ')} refused or ignored before")
    if intent == "damaged_item" and EXPENSIVE.search(folded):
        return Decision(True, "high-value damage")
    if sentiment == "negative" and intent == "complaint":
        return Decision(True, "angry")
    if learned and learned.get("none", 1.0) < 0.5:
        reason = max((r for r in learned if r != "none"), key=lambda r: learned[r])
        if _consistent(reason, intent, sentiment):
            return Decision(True, reason)
    return Decision(False)


def _consistent(reason: str, intent: str, sentiment: str) -> bool:
    """Whether the learnt reason agrees with what the intent and sentiment classifiers
    found (damage is about a damaged or wrong item; anger is negative; a thank-you is not
    a dispute): one classifier alone does not hand a customer over."""
    if intent == "thanks_goodbye" and sentiment != "negative":
        return False
    if reason == "high-value damage":
        return intent in ("damaged_item", "wrong_item")
    if reason == "angry":
        return sentiment == "negative"
    if reason == "asks for a human":
        return intent in ("speak_to_human", "complaint") or sentiment == "negative"
    return sentiment != "positive"
