"""``cbcs ai classify`` end to end, and the escalation rules it applies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cbcs.ai.escalation import decide
from cbcs.ai.langid import LANGUAGES
from cbcs.ai.nearest import INTENTS, SENTIMENTS


def test_every_line_gets_a_language_an_intent_a_sentiment_and_a_decision(
        tmp_path: Path) -> None:
    lines = [{"id": "a", "text": "quero falar com um atendente agora", "channel": "chat"},
             {"id": 7, "text": "ขอคืนเงินค่ะ", "channel": "voice"},
             {"id": "c", "text": "I will file a chargeback if you don't answer", "channel": "chat"},
             {"id": "d", "text": "thanks, bye!", "channel": "chat"}]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n")
    result = subprocess.run([sys.executable, "-m", "cbcs.cli", "ai", "classify", "--input",
                             str(source), "--output", str(tmp_path / "out.jsonl")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [o["id"] for o in out] == ["a", 7, "c", "d"]
    for o in out:
        assert set(o) == {"id", "lang", "intent", "sentiment", "escalate", "reason"}
        assert o["lang"] in LANGUAGES and o["intent"] in INTENTS
        assert o["sentiment"] in SENTIMENTS
        assert bool(o["reason"]) == o["escalate"]
    assert out[0]["lang"] == "pt-BR" and out[0]["escalate"]
    assert out[1]["lang"] == "th"
    assert out[2]["escalate"] and "chargeback" in out[2]["reason"]
    assert out[3]["intent"] == "thanks_goodbye" and not out[3]["escalate"]


@pytest.mark.parametrize("text, intent, sentiment, reason", [
    ("vou reclamar no procon", "complaint", "neutral", "threatens: procon"),
    ("voy a ir a la PROFECO", "refund_status", "negative", "threatens: profeco"),
    ("mag-file ako sa DTI", "complaint", "neutral", "threatens: dti"),
    ("จะไปแจ้ง สคบ.", "refund_status", "negative", "threatens: สคบ"),
    ("我要给差评", "complaint", "negative", "threatens: 差评"),
    ("ja pedi o reembolso tres vezes", "refund_status", "negative", "refused or ignored"),
    ("van chua hoan tien, lan thu ba roi", "refund_status", "negative", "refused or ignored"),
    ("el sillón llegó roto", "damaged_item", "negative", "high-value damage"),
    ("this is the worst shop ever", "complaint", "negative", "angry"),
    ("can I talk to someone", "speak_to_human", "neutral", "asks for a human"),
])
def test_escalation_names_its_reason(text: str, intent: str, sentiment: str,
                                     reason: str) -> None:
    decision = decide(text, intent, sentiment)
    assert decision.escalate and reason in decision.reason


@pytest.mark.parametrize("text, intent, sentiment", [
    ("the lamp shade has a small scratch", "damaged_item", "negative"),
    ("where is my order?", "order_status", "neutral"),
    ("can I pay by boleto?", "payment_methods", "neutral"),
    ("the courier came again today", "order_status", "neutral"),
])
def test_plain_questions_stay_with_the_ai(text: str, intent: str, sentiment: str) -> None:
    assert not decide(text, intent, sentiment).escalate
