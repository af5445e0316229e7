"""Every route of the OpenAPI document, called with no token and with each role's token:
no token is 401, a role the route does not name is 403, a stranger to the conversation,
ticket, offer or agent in the path gets 403 or 404 (never the thing), the owner gets
through; every refusal says why. The WebSocket frames get the same ownership checks."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace
from typing import Any

import aiohttp

from cbcs.client import Client
from cbcs.server.config import ServerConfig
from cbcs.server.ratelimit import Rate

ANA = {"name": "Ana", "languages": {"es": 5}, "markets": ["MX"],
       "time_zone": "America/Mexico_City", "capacity": {"chat": 100}}
_ids = itertools.count()


def body_of(operation: str, conv: str) -> dict[str, Any] | None:
    bodies: dict[str, dict[str, Any]] = {
        "mint_token": {"role": "customer", "subject": "walker", "ttl_s": 60},
        "put_agent": ANA,
        "agent_status": {"status": "available"},
        "put_queue": {"offer_timeout_s": 60},
        "start_conversation": {"language": "es", "market": "MX"},
        "post_message": {"client_id": f"walk-{next(_ids)}", "text": "hola"},
        "escalate": {"reason": "please, a person"},
        "close": {"resolution": "done"},
        "correct_intent": {"intent": "refund_status"},
        "put_rollout": {"markets": {"MX": {"languages": ["es"], "channels": ["chat"]}}},
        "open_ticket": {"customer_id": "cust-1", "category": "refund", "summary": "chair",
                        "conversation_id": conv},
        "put_article": {"title": "Devoluciones", "body": "30 días"},
        "update_ticket": {"priority": "high"},
        "close_ticket": {"resolution": "refunded"},
    }
    return bodies.get(operation)


def test_every_route_with_every_role(config: ServerConfig, serve: Any) -> None:
    # the walk makes many calls a second; the rate limits have their own tests
    fast = Rate(1000, 1000)
    config = replace(config, limits=replace(config.limits, per_token=fast, per_ip=fast,
                                            login_per_ip=fast,
                                            messages_per_conversation=fast))

    async def go() -> tuple[list[str], int]:
        async with serve(config) as (url, node):
            admin = Client(url, node.auth._admin_key.decode())
            await admin.put_agent("ana", **ANA)
            await admin.put_agent("bob", **ANA)
            await admin.put_queue("default", offer_timeout_s=60)
            tokens = {"none": None, "admin": node.auth._admin_key.decode()}
            for name, role, subject in (("cust-1", "customer", "cust-1"),
                                        ("cust-2", "customer", "cust-2"),
                                        ("ana", "agent", "ana"), ("bob", "agent", "bob"),
                                        ("supervisor", "supervisor", "sue")):
                tokens[name] = await admin.mint_token(role, subject)
            cust1, ana = Client(url, tokens["cust-1"]), Client(url, tokens["ana"])
            console = await ana.live()

            async def offered() -> tuple[str, str]:
                await ana.set_status("ana", "available")
                conv = (await cust1.start_conversation(language="es", market="MX"))["id"]
                await cust1.escalate(conv, "refund")
                offer = await console.next("reservation")
                while offer["conversation"] != conv:   # an earlier route's conversation,
                    offer = await console.next("reservation")   # queued again
                return conv, offer["id"]

            async def fresh() -> tuple[str, str, str]:
                """A conversation assigned to ana, its ticket, and an offer pending for her."""
                conv, offer = await offered()
                await ana.accept(offer)
                _, pending = await offered()
                ticket = (await ana.open_ticket("cust-1", "refund", "chair",
                                                conversation_id=conv))["id"]
                return conv, ticket, pending

            await admin.put_article("MX", "es", "devoluciones", "Devoluciones", "30 días")
            values = {"id": None, "name": "default", "market": "MX", "language": "es",
                      "slug": "devoluciones"}
            doc = await (await admin.session.get(f"{url}/api/v1/openapi.json")).json()

            problems: list[str] = []
            calls = 0
            async with aiohttp.ClientSession() as http:
                for path, operations in doc["paths"].items():
                    for method, op in operations.items():
                        conv, ticket, offer = await fresh()
                        operation = op["operationId"]
                        roles = set(op.get("x-roles", []))
                        kind = path.split("/")[3]
                        own = {"conversations": conv, "tickets": ticket,
                               "reservations": offer, "agents": "ana"}.get(kind)
                        strangers = {"conversations": {"cust-2", "bob"},
                                     "tickets": {"cust-2", "bob"},
                                     "reservations": {"bob"},
                                     "agents": {"bob"}}.get(kind, set())
                        if "{id}" not in path:
                            strangers = set()
                        target = path.format(**{**values, "id": own})
                        # strangers first, then the owners, then staff: what one of them
                        # changes (an escalation unassigns ana) comes after the others
                        owners = ["ana", "cust-1"]
                        order = ["none", *sorted(strangers), *owners,
                                 *sorted(set(tokens) - strangers - {"none", *owners})]
                        for who in order:
                            role = {"cust-1": "customer", "cust-2": "customer",
                                    "ana": "agent", "bob": "agent"}.get(who, who)
                            headers = ({} if tokens[who] is None
                                       else {"Authorization": f"Bearer {tokens[who]}"})
                            body = body_of(operation, conv)
                            if "requestBody" in op and body is None:
                                problems.append(f"{operation}: no body in the walk's table")
                                continue
                            async with http.request(method.upper(), url + target, json=body,
                                                    headers=headers) as resp:
                                status = resp.status
                                answer = await resp.json(content_type=None)
                            calls += 1
                            where = f"{method.upper()} {path} as {who}: {status}"
                            if status >= 400:
                                error = (answer or {}).get("error", {})
                                if not error.get("code") or not error.get("message"):
                                    problems.append(f"{where} without a reason")
                            if who == "none":
                                if roles and status != 401:
                                    problems.append(f"{where}, expected 401")
                            elif role not in roles:
                                if status != 403:
                                    problems.append(f"{where}, expected 403 (role)")
                            elif who in strangers:
                                if status not in (403, 404):
                                    problems.append(f"{where}, expected 403 or 404")
                            elif status == 503 and (answer or {}).get("error", {}).get(
                                    "code") == "unavailable":
                                pass   # the owner got through to a feature this node runs
                                # without (agent assist needs the AI tier: ai="off" here)
                            elif status in (401, 403) or status >= 500:
                                problems.append(f"{where}, expected the owner through "
                                                f"({(answer or {}).get('error')})")
            await console.close()
            for c in (admin, cust1, ana):
                await c.close()
            return problems, calls
    problems, calls = asyncio.run(go())
    assert not problems, "\n".join(problems)
    assert calls > 100


def test_frames_about_another_customers_conversation_are_refused(
        config: ServerConfig, serve: Any) -> None:
    async def go() -> tuple[list[str], dict[str, Any]]:
        async with serve(config) as (url, node):
            admin = Client(url, node.auth._admin_key.decode())
            owner = Client(url, await admin.mint_token("customer", "cust-1"))
            conv = (await owner.start_conversation(language="es", market="MX"))["id"]
            stranger = Client(url, await admin.mint_token("customer", "cust-2"))
            live = await stranger.live()
            codes = []
            for frame in ({"type": "message", "conversation": conv, "client_id": "x",
                           "text": "hi"},
                          {"type": "resume", "conversation": conv, "after_seq": 0},
                          {"type": "typing", "conversation": conv},
                          {"type": "read", "conversation": conv, "seq": 1}):
                await live.send(frame)
                codes.append((await live.next("error"))["code"])
            # the socket is still usable, and nothing was stored
            await live.send({"type": "room.join", "room": "sale"})
            joined = await live.next("room.joined")
            stored = await owner.messages(conv)
            await live.close()
            for c in (admin, owner, stranger):
                await c.close()
            return codes, {"joined": joined["room"], "stored": stored}
    codes, rest = asyncio.run(go())
    assert codes == ["not_found"] * 4
    assert rest == {"joined": "sale", "stored": []}
