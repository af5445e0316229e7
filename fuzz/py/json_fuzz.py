"""Fuzz targets for the JSON the service parses from its clients: one per client frame type
of the live channel (through :func:`cbcs.server.ws.parse_frame`, what ``Session.on_text``
runs on every text frame) and one per REST body model (through
:func:`cbcs.server.api.parse_body`, what every route with a ``body=`` runs on the request's
bytes).

Each input is either arbitrary bytes taken as the JSON text, or a structured mutation of a
valid frame or body (fields replaced by values of the wrong type, huge and unusual
strings, lone surrogates, deep nesting, NaN and Infinity, numbers beyond a double, unknown
and missing fields, another frame's type, duplicate keys, other encodings, truncation).
The property: every input either parses into its model, and then survives a round trip
through its JSON unchanged, or is refused with the project's typed error that becomes a
4xx answer (``ApiError`` 400/422, ``FrameError`` ``bad_json``/``invalid``) whose answer can
be sent (valid UTF-8 JSON). Any other exception, or a broken property, is a crash.

Engines: atheris (coverage-guided libFuzzer, ``pip install cbcs[fuzz]``), or ``--engine
random``, a seeded random driver over the same targets where atheris is not installed.

    python fuzz/py/json_fuzz.py --list
    python fuzz/py/json_fuzz.py --target MessageFrame --runs 1000000
    python fuzz/py/json_fuzz.py --target all --seconds 20      # every target in turn
    python fuzz/py/json_fuzz.py --engine random --target all --runs 200000 --seed 1

Arguments it does not know go to libFuzzer (``-artifact_prefix=DIR/``, corpus dirs).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

try:
    import atheris
except ImportError:   # the random engine needs nothing else
    atheris = None

from pydantic import BaseModel

from cbcs.server import api, console_api, rest, schemas, ws

# --- valid examples of every frame and body -----------------------------------------------

FRAME_EXAMPLES: dict[type[BaseModel], dict[str, Any]] = {
    schemas.MessageFrame: {"type": "message", "conversation": "c-1", "client_id": "m-1",
                           "text": "Hola, quiero devolver una silla", "suggestion": "s-1"},
    schemas.TypingFrame: {"type": "typing", "conversation": "c-1"},
    schemas.ReadFrame: {"type": "read", "conversation": "c-1", "seq": 3},
    schemas.ResumeFrame: {"type": "resume", "conversation": "c-1", "after_seq": 0},
    schemas.CallOfferFrame: {"type": "call.offer", "conversation": "c-1",
                             "sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n",
                             "mode": "join"},
    schemas.CallModeFrame: {"type": "call.mode", "conversation": "c-1", "mode": "whisper"},
    schemas.CallHangupFrame: {"type": "call.hangup", "conversation": "c-1"},
    schemas.CallSpeakFrame: {"type": "call.speak", "conversation": "c-1", "on": True},
    schemas.RoomJoinFrame: {"type": "room.join", "room": "live-1"},
    schemas.RoomCommentFrame: {"type": "room.comment", "room": "live-1", "text": "¡qué bonito!"},
}

BODY_EXAMPLES: dict[type[BaseModel], dict[str, Any]] = {
    schemas.TokenRequest: {"role": "customer", "subject": "cust-1", "ttl_s": 3600},
    schemas.AgentPut: {"name": "Ana", "kind": "human", "languages": {"es": 5, "en": 3},
                       "skills": {"returns": 4}, "markets": ["MX", "BR"],
                       "time_zone": "America/Mexico_City", "shift": {"mon-fri": "09:00-18:00",
                                                                      "sat": ["10:00-14:00"]},
                       "capacity": {"chat": 3, "voice": 1}, "calls_block_chat": True},
    schemas.AgentStatus: {"status": "available"},
    schemas.QueuePut: {"target": "agent.languages[task.language] >= 3", "priority": 1,
                       "steps": [{"target": "'returns' in agent.skills", "timeout_s": 30.0,
                                  "translate": False}, {"target": "", "translate": True}],
                       "max_wait_s": 300.0, "service_level_s": 60.0, "wrap_up_s": 30.0,
                       "offer_timeout_s": 20.0},
    schemas.ConversationCreate: {"channel": "chat", "language": "pt-BR", "market": "BR",
                                 "order_id": "BR-55012"},
    schemas.MessagePost: {"client_id": "m-1", "text": "Meu pedido não chegou",
                          "suggestion": None},
    schemas.Escalate: {"reason": "wants a refund"},
    schemas.IntentCorrection: {"intent": "refund"},
    schemas.Close: {"resolution": "refund started"},
    schemas.TicketCreate: {"customer_id": "cust-1", "category": "refund",
                           "summary": "Sofa arrived damaged", "priority": "high",
                           "conversation_id": "c-1", "order_ref": "PH-1001",
                           "due_at": 1796000000.5},
    schemas.ArticlePut: {"title": "Devoluciones", "body": "Tienes 30 días para devolver."},
    schemas.RolloutPut: {"markets": {"MX": {"languages": ["es"], "channels": ["chat"]},
                                     "BR": {"languages": ["pt-BR", "en"],
                                            "channels": ["chat", "voice"]}}},
    console_api.TicketUpdate: {"priority": "urgent", "category": "refund",
                               "summary": "Sofa arrived damaged; refund agreed",
                               "event": "wait"},
    console_api.TicketClose: {"resolution": "refunded BRL 3999.90"},
}


def body_models() -> list[type[BaseModel]]:
    """Every model a REST route takes as its body, in the route table's order."""
    seen: list[type[BaseModel]] = []
    for route in rest.table().routes:
        if route.body is not None and route.body not in seen:
            seen.append(route.body)
    return seen


# --- the targets --------------------------------------------------------------------------

@dataclass
class Target:
    """One frame type or body model: its valid example and how an input is checked."""

    name: str
    kind: str                       # "frame" or "body"
    model: type[BaseModel]
    example: dict[str, Any]
    runs: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)


def targets() -> list[Target]:
    """A target per client frame type and per REST body model; every one of them must have
    an example here (a new frame or body without one is an error, not a gap)."""
    out = []
    for model in schemas.CLIENT_FRAMES:
        if model not in FRAME_EXAMPLES:
            raise SystemExit(f"json_fuzz: no example of the frame {model.__name__}")
        out.append(Target(model.__name__, "frame", model, FRAME_EXAMPLES[model]))
    for body in body_models():
        if body not in BODY_EXAMPLES:
            raise SystemExit(f"json_fuzz: no example of the body {body.__name__}")
        out.append(Target(body.__name__, "body", body, BODY_EXAMPLES[body]))
    return out


class Broken(AssertionError):
    """An input broke the property (the fuzzer reports it as a crash)."""


def _sendable(value: Any) -> None:
    # what Connection.send and ws.send_str do with an answer: JSON, then UTF-8
    json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def check_frame(target: Target, text: str) -> str:
    """Feed one text frame to the live channel's parser; the outcome's name."""
    try:
        frame, ref = ws.parse_frame(text)
    except ws.FrameError as exc:
        if exc.code not in ("bad_json", "invalid"):
            raise Broken(f"unexpected error code {exc.code!r}") from None
        _sendable({"type": "error", "code": exc.code, "message": str(exc), "ref": exc.ref})
        return exc.code
    if type(frame) not in schemas.CLIENT_FRAMES:
        raise Broken(f"parsed into {type(frame).__name__}")
    _sendable(ref)
    again = ws.FRAME.validate_json(frame.model_dump_json())
    if again != frame:
        raise Broken(f"round trip changed the frame: {frame!r} -> {again!r}")
    return "ok" if type(frame) is target.model else "ok-other-type"


def check_body(target: Target, raw: bytes) -> str:
    """Feed one request body to the REST parser; the outcome's name."""
    try:
        body = api.parse_body(raw, target.model)
    except api.ApiError as exc:
        if not 400 <= exc.status < 500:
            raise Broken(f"status {exc.status} for a body") from None
        response = exc.response()
        if response.body is None:
            raise Broken("no answer body")
        _sendable({"code": exc.code, "message": exc.message})
        return f"{exc.status} {exc.code}"
    if type(body) is not target.model:
        raise Broken(f"parsed into {type(body).__name__}")
    again = target.model.model_validate_json(body.model_dump_json())
    if again != body:
        raise Broken(f"round trip changed the body: {body!r} -> {again!r}")
    return "ok"


# --- structured mutations -----------------------------------------------------------------

class Choices:
    """Decisions drawn from the input's bytes (so the fuzzer's mutations steer them);
    zeros once the bytes run out."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def byte(self) -> int:
        if self.at >= len(self.data):
            return 0
        self.at += 1
        return self.data[self.at - 1]

    def below(self, n: int) -> int:
        if n <= 1:
            return 0
        v = self.byte()
        if n > 256:
            v = v << 8 | self.byte()
        return v % n

    def pick(self, seq: list[Any] | tuple[Any, ...]) -> Any:
        return seq[self.below(len(seq))]

    def rest(self) -> bytes:
        out = self.data[self.at:]
        self.at = len(self.data)
        return out


@dataclass(frozen=True)
class Deep:
    """Nesting too deep to build as Python objects: written out as text."""

    depth: int
    opener: str


_LENGTHS = (0, 1, 2, 16, 63, 64, 65, 127, 128, 129, 200, 201, 499, 500, 501, 1999, 2000, 2001,
            3999, 4000, 4001, 20000, 20001, 64000, 70000)
_UNICODE = ("\x00", "\u202e", "\u200b", "\ufeff", "\ud800", "\udfff", "\udc00\ud800",
            "\ud83d\ude00", "😀", "e\u0301", "İ", "ß", "ﷺ", "１２３", "๐๘๑", "\u3000", "\r\n",
            "\\", "\"", "</script>", "\U0010ffff", "\uffff", "%s%n", "${jndi:x}", "a\x7f")
_DEPTHS = (2, 10, 100, 500, 998, 999, 1000, 1001, 1500, 3000, 10000, 30000)
_NUMBERS = ("1e999", "-1e999", "1E400", "NaN", "Infinity", "-Infinity", "-0", "0.0",
            "1" * 400, "1" * 4300, "1" * 4301, "-" + "9" * 5000, "0." + "0" * 400 + "1",
            "5e-324", "1.7976931348623157e308", "9007199254740993", "18446744073709551616",
            "1.0e+", "01", "0x10", "+1", ".5", "1.", "--1", "1e-400")


def _weird(c: Choices, siblings: list[Any]) -> Any:
    kind = c.below(14)
    if kind == 0:
        return c.pick([None, True, False])
    if kind == 1:
        return c.pick([0, -1, 1, 2, 2**31, 2**53 + 1, 2**63, 2**64, -(2**63) - 1, 10**300,
                       86400, 86401, 604800, 604801, 100, 101, -100, -101, 5, 6])
    if kind == 2:
        return c.pick([0.5, -0.0, 1e308, 5e-324, 86400.0, 86400.0001, 0.0, 1.0,
                       float("nan"), float("inf"), float("-inf")])
    if kind == 3:
        return c.pick(tuple("aé中😀\ud800 .:@-_/")) * c.pick(_LENGTHS)
    if kind == 4:
        return "".join(c.pick(_UNICODE) for _ in range(1 + c.below(6)))
    if kind == 5:
        return copy.deepcopy(c.pick([[], {}, [None], {"": None}, [[]], {"type": "message"},
                                     ["chat"] * 60, {f"k{i}": i for i in range(60)}]))
    if kind == 6:
        return Deep(c.pick(_DEPTHS), c.pick(["[", "{"]))
    if kind == 7:
        return c.pick(_NUMBERS)          # as a string; _text may write it bare
    if kind == 8:   # another field's value (a copy: never a cycle)
        return copy.deepcopy(c.pick(siblings)) if siblings else None
    if kind == 9:
        return copy.deepcopy(c.pick(list(FRAME_EXAMPLES.values())
                                    + list(BODY_EXAMPLES.values())))
    if kind == 10:
        return c.pick(["chat", "voice", "video", "join", "listen", "whisper", "customer",
                       "admin", "available", "urgent", "MX", "mx", "pt-BR", "x", "zz-ZZZZZZZZZ",
                       "message", "call.offer", "room.comment", "Message", " message"])
    if kind == 11:
        return str(c.below(100000))
    if kind == 12:
        return bytes(c.byte() for _ in range(c.below(24))).decode("latin-1")
    return [_weird(c, siblings) for _ in range(c.below(4))]


_BARE = "\x01BARE:"   # a string written into the text without quotes


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict) and len(prefix) < 6:
        for k, v in value.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(value, list) and len(prefix) < 6:
        for i, v in enumerate(value[:8]):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        value = value[p]
    return value


def _set(root: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    _get(root, path[:-1])[path[-1]] = new
    return root


def mutate(value: Any, c: Choices) -> Any:
    """One structural change to a frame or body (or something inside it)."""
    paths = _paths(value)
    path = c.pick(paths)
    here = _get(value, path)
    leaves = [_get(value, p) for p in paths]
    op = c.below(9)
    if op == 0 and isinstance(here, dict) and here:
        del here[c.pick(list(here))]                        # a field goes missing
    elif op == 1 and isinstance(here, dict):
        key = c.pick(["extra", "", "type", "Type", "text ", "\ud800", "__proto__",
                      "x" * c.pick(_LENGTHS), "constructor", "seq"])
        here[key] = _weird(c, leaves)                       # an unknown (or odd) field
    elif op == 2 and isinstance(value, dict):
        value["type"] = c.pick([m["type"] for m in FRAME_EXAMPLES.values()]
                               + [None, 1, "", "error", "ack", "MESSAGE"])
    elif op == 3:
        value = _set(value, path, _BARE + c.pick(_NUMBERS))  # a number JSON cannot hold
    elif op == 4 and isinstance(here, list):
        here.extend(_weird(c, leaves) for _ in range(1 + c.below(3)))
    else:
        value = _set(value, path, _weird(c, leaves))        # the wrong type or value
    return value


def _text(value: Any, c: Choices) -> str:
    """JSON text of a mutated value: deep nesting, bare numbers, duplicate keys."""
    deep: dict[str, Deep] = {}
    bare: dict[str, str] = {}

    def default(o: Any) -> Any:
        if isinstance(o, Deep):
            key = f"\x02deep{len(deep)}\x02"
            deep[key] = o
            return key
        raise TypeError(type(o).__name__)

    def walk(v: Any) -> Any:
        if isinstance(v, str) and v.startswith(_BARE):
            key = f"\x02bare{len(bare)}\x02"
            bare[key] = v[len(_BARE):]
            return key
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    text = json.dumps(walk(value), default=default, allow_nan=True,
                      ensure_ascii=c.below(2) == 0,
                      separators=c.pick([(",", ":"), (", ", ": "), (",\n ", " :\t")]))
    for key, d in deep.items():
        inner = "[" * d.depth + "]" * d.depth if d.opener == "[" else \
            '{"a":' * d.depth + "1" + "}" * d.depth
        text = text.replace(json.dumps(key), inner)
    for key, number in bare.items():
        text = text.replace(json.dumps(key), number)
    if text.startswith("{") and c.below(8) == 0:            # a duplicate key
        k = c.pick(["type", "text", "conversation", "client_id", "role", "summary"])
        text = "{" + json.dumps(k) + ":" + json.dumps(_weird(c, []), default=str) + "," + \
            text[1:]
    return text


def _bytes(text: str, c: Choices) -> bytes:
    """The text's bytes as a client might send them, sometimes damaged."""
    encoding = c.pick(["utf-8"] * 6 + ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be",
                                       "utf-32", "latin-1"])
    try:
        raw = text.encode(encoding, "surrogatepass")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")
    damage = c.below(16)
    if damage == 0 and raw:
        raw = raw[:c.below(len(raw))]                       # cut short
    elif damage == 1 and raw:
        i = c.below(len(raw))
        raw = raw[:i] + bytes([c.byte()]) + raw[i + 1:]     # one byte changed
    elif damage == 2:
        raw = raw + c.pick([b"}", b"]", b"x", b"\x00", b" ", b"\xff", b",{}"])
    return raw


def one_input(target: Target, data: bytes) -> str:
    """Turn the fuzzer's bytes into the target's input, check it; the outcome."""
    c = Choices(data)
    c.byte()   # unused (it chose the target once; kept so that saved inputs still replay)
    mode = c.byte()
    if mode < 64:                       # the bytes as they are
        raw = c.rest()
    else:                               # a valid example, changed
        value = copy.deepcopy(target.example)
        for _ in range(c.below(5)):
            value = mutate(value, c)
        raw = _bytes(_text(value, c), c)
    raw = raw[:70_000]                  # the node refuses frames and bodies over 64 KiB
    if target.kind == "frame":
        # aiohttp hands the live channel only valid UTF-8 text frames
        return check_frame(target, raw.decode("utf-8", "replace"))
    return check_body(target, raw)


# --- engines ------------------------------------------------------------------------------

@dataclass
class Run:
    chosen: list[Target]
    runs: int
    seconds: float
    engine: str = "atheris"
    started: float = field(default_factory=time.monotonic)
    total: int = 0

    def step(self, data: bytes) -> None:
        if self.total >= self.runs or time.monotonic() - self.started >= self.seconds:
            self.finish()
        # every target in turn (the same share of the run for each)
        target = self.chosen[self.total % len(self.chosen)]
        self.total += 1
        target.runs += 1
        target.outcomes[one_input(target, data)] += 1

    def finish(self) -> None:
        elapsed = time.monotonic() - self.started
        report(self.chosen, elapsed, self.engine)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)   # libFuzzer never returns; our own limits end the run


def report(chosen: list[Target], elapsed: float, engine: str) -> None:
    """Executions in all and per target, with the outcomes most seen."""
    total = sum(t.runs for t in chosen)
    print(f"json_fuzz ({engine}): {total} executions in {elapsed:.1f} s "
          f"({total / max(elapsed, 1e-9):.0f} exec/s), 0 crashes")
    for t in chosen:
        top = ", ".join(f"{k} {v}" for k, v in t.outcomes.most_common(4))
        print(f"  {t.name:<20} {t.kind:<5} {t.runs:>9} executions  ({top})")


def seeds(chosen: list[Target]) -> list[bytes]:
    """A valid example of each target, raw and structured, as the corpus to start from."""
    out = []
    all_targets = targets()
    for t in chosen:
        index = next(i for i, x in enumerate(all_targets) if x.name == t.name)
        text = json.dumps(t.example, ensure_ascii=False).encode()
        out.append(bytes([index, 0]) + text)
        out.append(bytes([index, 200]) + bytes(range(1, 32)))
    return out


def random_engine(run: Run, seed: int) -> None:
    """Seeded random bytes and seeds with random bytes changed: no coverage feedback."""
    rng = random.Random(seed)
    corpus = seeds(run.chosen)
    while True:
        if rng.random() < 0.5:
            data = bytes([rng.randrange(256), 64 + rng.randrange(192)]) + \
                rng.randbytes(rng.randrange(64))
        else:
            buf = bytearray(rng.choice(corpus))
            for _ in range(1 + rng.randrange(8)):
                buf[rng.randrange(len(buf))] = rng.randrange(256)
            data = bytes(buf)
        try:
            run.step(data)
        except Exception:
            print(f"json_fuzz: crash on input {data!r}", file=sys.stderr)
            raise


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", default="all", help="a frame or body name, or all")
    parser.add_argument("--runs", type=int, default=1 << 62)
    parser.add_argument("--seconds", type=float, default=float("inf"))
    parser.add_argument("--engine", choices=["atheris", "random"],
                        default="atheris" if atheris is not None else "random")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--list", action="store_true")
    args, rest_args = parser.parse_known_args(argv)
    every = targets()
    if args.list:
        for t in every:
            print(t.kind, t.name)
        return
    chosen = every if args.target == "all" else [t for t in every if t.name == args.target]
    if not chosen:
        raise SystemExit(f"json_fuzz: no target {args.target!r} (see --list)")
    run = Run(chosen, args.runs, args.seconds, args.engine)
    if args.engine == "random":
        random_engine(run, args.seed)
        return
    if atheris is None:
        raise SystemExit("json_fuzz: atheris is not installed (pip install 'cbcs[fuzz]'), "
                         "or use --engine random")
    corpus = [a for a in rest_args if not a.startswith("-")]
    if not corpus:
        where = tempfile.mkdtemp(prefix="json-fuzz-")
        for i, s in enumerate(seeds(chosen)):
            with open(os.path.join(where, f"seed-{i}"), "wb") as f:
                f.write(s)
        rest_args.append(where)
    # coverage of the parsers and of this harness's choices (pydantic-core and the json
    # scanner are native code: their branches are not seen)
    # (JSON_FUZZ_SELF=1: this harness's choices too, a third of the speed)
    modules = [api, ws] + ([sys.modules[__name__]] if os.environ.get("JSON_FUZZ_SELF") else [])
    for module in modules:
        for value in list(vars(module).values()):
            if callable(value) and getattr(value, "__module__", None) == module.__name__ \
                    and hasattr(value, "__code__"):
                atheris.instrument_func(value)
    step: Callable[[bytes], None] = run.step
    atheris.Setup([sys.argv[0], "-max_len=4096", "-timeout=20", *rest_args], step)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
