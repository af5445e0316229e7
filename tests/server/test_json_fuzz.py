"""The JSON fuzz targets (fuzz/py/json_fuzz.py) cover every client frame type and every
REST body; a short seeded slice of them holds; and the inputs they found before the fixes
(nesting deeper than the parser's stack, NaN and 1e999, lone surrogates) are refused with
a 4xx answer by a real node, whose live channel stays open and answers afterwards."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import random
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import pytest

from cbcs.client import Client
from cbcs.server import api, schemas, ws
from cbcs.server.config import ServerConfig
from cbcs.server.rest import table

HARNESS = Path(__file__).resolve().parents[2] / "fuzz" / "py" / "json_fuzz.py"


def harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("json_fuzz", HARNESS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["json_fuzz"] = module
    spec.loader.exec_module(module)
    return module


def test_every_frame_type_and_rest_body_has_a_target() -> None:
    names = {t.name for t in harness().targets()}
    bodies = {r.body.__name__ for r in table().routes if r.body is not None}
    assert {m.__name__ for m in schemas.CLIENT_FRAMES} <= names
    assert bodies <= names and len(bodies) >= 10


def test_a_seeded_slice_of_every_target_holds() -> None:
    jf = harness()
    rng = random.Random(7)
    seen: dict[str, set[str]] = {}
    for target in jf.targets():
        for _ in range(300):
            data = bytes([0, 64 + rng.randrange(192)]) + rng.randbytes(rng.randrange(48))
            seen.setdefault(target.name, set()).add(jf.one_input(target, data))
    # each target's inputs were parsed and refused, both (the examples are valid)
    for name, outcomes in seen.items():
        assert any(o.startswith("ok") for o in outcomes), name
        assert any(not o.startswith("ok") for o in outcomes), name


DEEP = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize(("text", "code"), [
    (DEEP, "bad_json"),
    ('{"type": "typing", "conversation": ' + '{"a":' * 3000 + "1" + "}" * 3000 + "}",
     "bad_json"),
    ('{"type": "read", "conversation": "c-1", "seq": NaN}', "bad_json"),
    ('{"type": "typing", "conversation": "c-1", "\\ud800": 1}', "bad_json"),
    ('{"type": "\\udfff", "conversation": "c-1"}', "bad_json"),
    ('{"type": "typing", "conversation": "c-1", "' + "x" * 60000 + '": 1}', "invalid"),
])
def test_frames_found_by_the_fuzzer_are_refused(text: str, code: str) -> None:
    with pytest.raises(ws.FrameError) as caught:
        ws.parse_frame(text)
    assert caught.value.code == code
    answer = json.dumps({"message": str(caught.value), "ref": caught.value.ref},
                        ensure_ascii=False).encode("utf-8")
    assert len(answer) < 2000   # a 60 KB field name is not echoed back


@pytest.mark.parametrize(("raw", "model", "status"), [
    (DEEP.encode(), schemas.MessagePost, 400),
    (b'{"customer_id": "c", "category": "x", "summary": "s", "due_at": NaN}',
     schemas.TicketCreate, 400),
    (b'{"customer_id": "c", "category": "x", "summary": "s", "due_at": 1e999}',
     schemas.TicketCreate, 400),
    (b'{"shift": {"mon-fri": "09:00-18:00\\ud800"}}', schemas.AgentPut, 400),
    ('{"reason": "x\ud800"}'.encode("utf-8", "surrogatepass"), schemas.Escalate, 400),
])
def test_bodies_found_by_the_fuzzer_are_refused(raw: bytes, model: Any, status: int) -> None:
    with pytest.raises(api.ApiError) as caught:
        api.parse_body(raw, model)
    assert caught.value.status == status and caught.value.code == "bad_json"


def test_a_node_answers_them_4xx_and_its_live_channel_stays_open(
        config: ServerConfig, serve: Any) -> None:
    async def go() -> dict[str, Any]:
        async with serve(config) as (url, node):
            admin = Client(url, node.auth._admin_key.decode())
            token = await admin.mint_token("customer", "cust-1")
            out: dict[str, Any] = {}
            async with aiohttp.ClientSession() as http:
                headers = {"Authorization": f"Bearer {token}",
                           "Content-Type": "application/json"}
                for name, body in (("deep", DEEP), ("nan", '{"channel": "chat", "x": NaN}')):
                    async with http.post(f"{url}/api/v1/conversations", data=body,
                                         headers=headers) as r:
                        out[name] = (r.status, (await r.json())["error"]["code"])
                async with http.ws_connect(f"{url.replace('http', 'ws')}/ws?token={token}"
                                           ) as sock:
                    frames = []
                    for text in (DEEP, '{"type": "typing", "conversation": "c", "\\ud800": 1}',
                                 '{"type": "room.join", "room": "live-1"}'):
                        await sock.send_str(text)
                        frames.append(json.loads((await sock.receive(timeout=10)).data))
                    out["frames"] = frames
            await admin.close()
            return out
    r = asyncio.run(go())
    assert r["deep"] == (400, "bad_json") and r["nan"] == (400, "bad_json")
    assert [f.get("code") for f in r["frames"][:2]] == ["bad_json", "bad_json"]
    assert r["frames"][2]["type"] == "room.joined"
