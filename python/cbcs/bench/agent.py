"""``cbcs bench agent``: the AI first tier on the project's evaluation sets, beside baselines.

Two sets, both written for cbcs and never used to train or tune at run time:
``agent_eval.jsonl`` (368 utterances) and ``agent_heldout.jsonl`` (360, written
independently). Per language and overall: language id, intent top-1, sentiment, and the
escalation decision's recall and precision, for cbcs (:class:`cbcs.ai.classifier.
TextClassifier` for intent, sentiment and escalation, with the escalation rules) beside two baselines run here: keyword rules, and
the nearest label centroid over e5 embeddings (:class:`cbcs.ai.nearest.NearestExamples`),
both from the same shipped examples. Cost per turn is the compute time of one turn
through the whole first-tier agent (offline: no per-token charge). Voice-to-voice latency
per stage runs when the voice models are installed.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any

from cbcs.bench.report import Report

DESCRIPTION = ("the AI first tier: language, intent, sentiment and escalation per language "
               "on the project's evaluation sets, beside keyword and embedding baselines; "
               "cost per turn; voice-to-voice latency per stage")
LANGS = ("en", "es", "pt-BR", "id", "th", "vi", "tl", "zh")
SETS = ("agent_eval.jsonl", "agent_heldout.jsonl")
BOUNDS = {"lang": 97.0, "intent": 90.0, "recall": 95.0, "precision": 80.0, "spread": 8.0}

# The keyword baseline: a few words per intent in the markets' languages, first match wins.
_KEYWORDS: list[tuple[str, str]] = [
    ("speak_to_human", r"human|person|agent|supervisor|humano|persona|atendente|pessoa|"
                       r"manusia|orang|cs|คน|เจ้าหน้าที่|nhân viên|nhan vien|người|tao|人工|客服"),
    ("refund_status", r"refund|reembolso|devolución de|dinheiro|uang|คืนเงิน|hoàn tiền|"
                      r"hoan tien|退款"),
    ("return_request", r"return|devolver|devolução|devolucao|retur|kembalikan|คืนสินค้า|"
                       r"trả hàng|tra hang|ibalik|退货"),
    ("cancel_order", r"cancel|cancelar|batal|ยกเลิก|hủy|huy|kanselahin|取消"),
    ("change_address", r"address|dirección|direccion|endereço|endereco|alamat|ที่อยู่|"
                       r"địa chỉ|dia chi|地址"),
    ("damaged_item", r"broken|damaged|roto|rota|quebrad|rasgad|rusak|pecah|เสียหาย|แตก|"
                     r"hỏng|hong|vỡ|sira|basag|坏|破"),
    ("wrong_item", r"wrong|equivocad|errad|salah|ผิด|nhầm|nham|mali|错"),
    ("payment_methods", r"pay|cod|cash|pagar|pago|pagamento|pix|boleto|oxxo|bayar|ชำระ|"
                        r"จ่าย|thanh toán|thanh toan|bayad|gcash|付款|支付"),
    ("coupon_discount", r"coupon|voucher|discount|cupón|cupon|cupom|desconto|descuento|"
                        r"diskon|ส่วนลด|giảm giá|giam gia|优惠"),
    ("account_login", r"login|log in|password|contraseña|senha|akun|kata sandi|รหัส|"
                      r"mật khẩu|mat khau|登录|密码"),
    ("shipping_time", r"how long|cuánto tarda|cuanto tarda|quanto tempo|prazo|berapa lama|"
                      r"กี่วัน|bao lâu|bao lau|gaano katagal|多久"),
    ("order_status", r"where|order|pedido|pesanan|paket|พัสดุ|คำสั่งซื้อ|đơn|don hang|"
                     r"nasaan|订单|快递"),
    ("complaint", r"terrible|awful|worst|pésimo|pesimo|péssimo|pessimo|kecewa|แย่|tệ|"
                  r"te qua|pangit|差"),
    ("thanks_goodbye", r"thank|gracias|obrigad|terima kasih|makasih|ขอบคุณ|cảm ơn|cam on|"
                       r"salamat|谢谢"),
]
_KEYWORD_RULES = [(intent, re.compile(words, re.IGNORECASE)) for intent, words in _KEYWORDS]


def keyword_intent(text: str) -> str:
    for intent, rule in _KEYWORD_RULES:
        if rule.search(text):
            return intent
    return "product_question"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-voice", action="store_true",
                        help="skip voice-to-voice latency (needs the voice models)")


def load_set(name: str) -> list[dict[str, Any]]:
    text = resources.files("cbcs.bench").joinpath(f"data/{name}").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _accuracy(rows: Sequence[dict[str, Any]], guesses: Sequence[str], key: str
              ) -> dict[str, float]:
    hits: dict[str, list[bool]] = defaultdict(list)
    for row, guess in zip(rows, guesses):
        hits[row["lang"]].append(guess == row[key])
        hits["all"].append(guess == row[key])
    return {lang: 100.0 * sum(v) / len(v) for lang, v in hits.items()}


def _recall_precision(rows: Sequence[dict[str, Any]], guesses: Sequence[bool]
                      ) -> tuple[float, float]:
    tp = sum(1 for r, g in zip(rows, guesses) if g and r["escalate"])
    fn = sum(1 for r, g in zip(rows, guesses) if not g and r["escalate"])
    fp = sum(1 for r, g in zip(rows, guesses) if g and not r["escalate"])
    return 100.0 * tp / max(1, tp + fn), 100.0 * tp / max(1, tp + fp)


def run(args: argparse.Namespace, report: Report) -> None:
    from cbcs.ai import classifier
    from cbcs.ai.embeddings import E5Embeddings
    from cbcs.ai.escalation import decide
    from cbcs.ai.langid import LinguaLanguageId
    from cbcs.ai.nearest import intent_classifier, sentiment_classifier

    started = time.perf_counter()
    e5, langid = E5Embeddings(), LinguaLanguageId()
    ours_intent, ours_sentiment = classifier.intents(e5), classifier.sentiments(e5)
    ours_escalation = classifier.escalations(e5)
    for c in (ours_intent, ours_sentiment, ours_escalation):
        c.classify("warm up")
    nearest_intent, nearest_sentiment = intent_classifier(e5), sentiment_classifier(e5)
    print(f"models loaded and fitted in {time.perf_counter() - started:.1f} s "
          f"({len(ours_intent.examples)} intent examples)", flush=True)
    figures: dict[str, Any] = {}
    for name in SETS:
        rows = load_set(name)
        texts = [r["text"] for r in rows]
        print(f"{name}: {len(rows)} utterances", flush=True)
        t0 = time.perf_counter()
        langs = [langid.detect(t).lang for t in texts]
        intents = [label.label for label in ours_intent.classify_many(texts)]
        sentiments = [label.label for label in ours_sentiment.classify_many(texts)]
        labels, matrix = ours_escalation.probabilities(texts)
        escalate = [decide(t, i, s, dict(zip(labels, p))).escalate
                    for t, i, s, p in zip(texts, intents, sentiments, matrix)]
        per_text_ms = 1000 * (time.perf_counter() - t0) / len(rows)
        near_i = [label.label for label in nearest_intent.classify_many(texts)]
        near_s = [label.label for label in nearest_sentiment.classify_many(texts)]
        near_e = [decide(t, i, s).escalate for t, i, s in zip(texts, near_i, near_s)]
        key_i = [keyword_intent(t) for t in texts]
        key_e = [decide(t, i, "neutral").escalate for t, i in zip(texts, key_i)]
        lang_acc = _accuracy(rows, langs, "lang")
        ours = _accuracy(rows, intents, "intent")
        near, keys = _accuracy(rows, near_i, "intent"), _accuracy(rows, key_i, "intent")
        sent = _accuracy(rows, sentiments, "sentiment")
        recall, precision = _recall_precision(rows, escalate)
        n_recall, n_precision = _recall_precision(rows, near_e)
        k_recall, k_precision = _recall_precision(rows, key_e)
        report.table(f"{name}: accuracy per language, % (intent: cbcs / embedding nearest "
                     f"centroid / keyword rules)",
                     ["lang", "n", "language", "intent", "nearest", "keywords", "sentiment"],
                     [[lang, sum(1 for r in rows if r["lang"] == lang) if lang != "all"
                       else len(rows), f"{lang_acc.get(lang, 0):.1f}",
                       f"{ours.get(lang, 0):.1f}", f"{near.get(lang, 0):.1f}",
                       f"{keys.get(lang, 0):.1f}", f"{sent.get(lang, 0):.1f}"]
                      for lang in (*LANGS, "all")])
        report.table(f"{name}: escalation, %", ["", "recall", "precision"], [
            ["cbcs", f"{recall:.1f}", f"{precision:.1f}"],
            ["nearest centroid + rules", f"{n_recall:.1f}", f"{n_precision:.1f}"],
            ["keywords + rules", f"{k_recall:.1f}", f"{k_precision:.1f}"]])
        spread = max(ours[lang] for lang in LANGS) - min(ours[lang] for lang in LANGS)
        figures[name] = {"lang": lang_acc, "intent": ours, "intent_nearest": near,
                         "intent_keywords": keys, "sentiment": sent,
                         "escalation": {"recall": recall, "precision": precision},
                         "escalation_nearest": {"recall": n_recall, "precision": n_precision},
                         "escalation_keywords": {"recall": k_recall, "precision": k_precision},
                         "intent_spread": spread, "classify_ms_per_text": per_text_ms}
        report.check(f"{name}: language id >= {BOUNDS['lang']:.0f} %",
                     lang_acc["all"] >= BOUNDS["lang"], f"{lang_acc['all']:.1f} %")
        report.check(f"{name}: intent top-1 >= {BOUNDS['intent']:.0f} %",
                     ours["all"] >= BOUNDS["intent"], f"{ours['all']:.1f} %")
        report.check(f"{name}: no language more than {BOUNDS['spread']:.0f} points below "
                     f"the best", spread <= BOUNDS["spread"], f"spread {spread:.1f} points")
        report.check(f"{name}: escalation recall >= {BOUNDS['recall']:.0f} % with precision "
                     f">= {BOUNDS['precision']:.0f} %",
                     recall >= BOUNDS["recall"] and precision >= BOUNDS["precision"],
                     f"recall {recall:.1f} %, precision {precision:.1f} %")
    figures["turn"] = _cost_per_turn(e5, langid, ours_intent, ours_sentiment, ours_escalation)
    report.table("cost per turn (whole first-tier agent, chat, offline)", ["", "value"], [
        ["compute per turn, ms (median)", f"{figures['turn']['ms_p50']:.1f}"],
        ["compute per turn, ms (p95)", f"{figures['turn']['ms_p95']:.1f}"],
        ["model calls per turn", figures["turn"]["model_calls"]],
        ["charge per turn (offline models)", "0"]])
    if not args.no_voice:
        from cbcs.ai.agent import Agent
        from cbcs.ai.knowledge import KnowledgeIndex
        agent = Agent(langid, ours_intent, ours_sentiment, KnowledgeIndex(e5),
                      escalations=ours_escalation)
        figures["voice"] = _voice(report, agent, short=args.short)
    report.figures.update(figures)


def _context(shop: Any, customer: Any, now: float, channel: str) -> Any:
    """The agent's view of one demo-shop customer: their orders, their market's articles."""
    import uuid

    from cbcs.ai.agent import Context

    return Context(customer, [o for o in shop.orders if o.customer_id == customer.id],
                   [a for a in shop.articles if a.market == customer.market], now,
                   uuid.uuid4().hex[:8], channel=channel)


def _cost_per_turn(e5: Any, langid: Any, intents: Any, sentiments: Any,
                   escalations: Any) -> dict[str, Any]:
    from cbcs.ai.agent import Agent, Memory
    from cbcs.ai.knowledge import KnowledgeIndex
    from cbcs.demo.shop import build

    now = time.time()
    shop = build(now)
    agent = Agent(langid, intents, sentiments, KnowledgeIndex(e5), escalations=escalations)
    rows = load_set(SETS[1])
    by_market = {c.market: c for c in shop.customers}
    market_of = {"en": "PH", "tl": "PH", "id": "ID", "th": "TH", "vi": "VN", "pt-BR": "BR",
                 "es": "MX", "zh": "PH"}
    timings = []
    for row in rows[::3]:
        customer = by_market[market_of[row["lang"]]]
        ctx = _context(shop, customer, now, "chat")
        t0 = time.perf_counter()
        agent.respond(row["text"], Memory(), ctx)
        timings.append(1000 * (time.perf_counter() - t0))
    timings.sort()
    return {"ms_p50": statistics.median(timings),
            "ms_p95": timings[int(0.95 * (len(timings) - 1))], "turns": len(timings),
            "model_calls": "language id, 4 embeddings (intent, sentiment, escalation, KB)"}


def _voice(report: Report, agent: Any, short: bool) -> dict[str, Any] | None:
    """Voice to voice in English and Spanish through the voice loop, the first-tier agent
    answering (cbcs.ai.voicebench), with barge-in; skipped without the voice models."""
    try:
        from cbcs.ai import voicebench
        from cbcs.ai.asr import WHISPER_TINY_EN, WhisperTranscriber
        from cbcs.ai.tts import VoiceRouter
    except ImportError as missing:
        print(f"voice-to-voice: skipped ({missing})", flush=True)
        return None
    from cbcs.ai.agent import Memory
    from cbcs.demo.shop import build

    shop = build(time.time())
    customers = {"en": "cust-ph-1", "es": "cust-mx-1"}

    def reply_as(lang: str) -> Callable[[str, str], str]:
        customer = next(c for c in shop.customers if c.id == customers[lang])
        ctx = _context(shop, customer, time.time(), "voice")
        return lambda text, language: str(agent.respond(text, Memory(), ctx).reply)

    print("voice-to-voice: loading Whisper, piper and espeak-ng", flush=True)
    base, tts = WhisperTranscriber(), VoiceRouter.default()
    english = WhisperTranscriber(WHISPER_TINY_EN)
    out: dict[str, Any] = {}
    rows = []
    for lang, bound_p50, bound_p95 in (("en", 800.0, 1200.0), ("es", None, 1500.0)):
        asr = english if lang == "en" else base
        clips = voicebench.recorded_clips(lang) + voicebench.synthesised_clips(
            voicebench.CUSTOMER_LINES.get(lang, []), lang, tts)
        figures = voicebench.measure_voice(lang, clips, transcriber=asr, synthesizer=tts,
                                           reply=reply_as(lang), repeats=1 if short else 3)
        barge = voicebench.measure_barge_in(
            lang, clips[:2] + voicebench.synthesised_clips(
                voicebench.INTERJECTION_LINES.get(lang, []), lang, tts, "interjection"),
            voicebench.synthesised_clips(voicebench.BACKCHANNEL_LINES.get(lang, []), lang,
                                         tts, "backchannel"), transcriber=asr, synthesizer=tts)
        out[lang] = {"voice": figures, "barge_in": barge}
        stages = figures["stages_ms"]
        for stage, values in stages.items():
            rows.append([lang, stage, values.get("p50"), values.get("p95"), values.get("n")])
        v2v = stages["voice_to_voice"]
        p50, p95 = v2v.get("p50"), v2v.get("p95")
        if bound_p50 is not None:
            report.check(f"voice to voice ({lang}) p50 <= {bound_p50:.0f} ms",
                         p50 is not None and p50 <= bound_p50, f"p50 {p50} ms")
        report.check(f"voice to voice ({lang}) p95 <= {bound_p95:.0f} ms",
                     p95 is not None and p95 <= bound_p95, f"p95 {p95} ms")
        stop = barge["onset_to_ai_stop_ms"]["audio"]["max"]
        report.check(f"barge-in ({lang}): the AI's audio stops within 150 ms of the "
                     f"customer's onset", stop is not None and stop <= 150,
                     f"max {stop} ms, p50 {barge['onset_to_ai_stop_ms']['audio']['p50']} ms")
        resumed, heard = barge["backchannels_resumed"], len(barge["backchannels"])
        report.check(f"barge-in ({lang}): backchannels do not end the AI's turn",
                     heard > 0 and resumed == heard,
                     f"{resumed} of {heard} resumed, gap p50 "
                     f"{barge['backchannel_gap_ms']['p50']} ms")
    report.table("voice to voice per stage, ms after the end of customer speech",
                 ["lang", "stage", "p50", "p95", "n"], rows)
    return out
