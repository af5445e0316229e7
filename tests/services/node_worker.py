"""One routing node in its own process, for the multi-node tests: a dispatcher on the given
store and bus, holding the presence of some agents who answer their offers (at random,
or never). Prints "ready" once its agents are available; stops on SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import random
import signal

from cbcs.bus import open_bus
from cbcs.contact import Presence
from cbcs.services.dispatch import Dispatcher
from cbcs.store import Conflict, open_store


async def main(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    store = await open_store(args.store)
    bus = await open_bus(args.bus)
    disp = Dispatcher(store, bus, node=args.node, sweep_s=0.1, presence_ttl_s=args.ttl,
                      resync_s=2.0)
    offers = bus.subscribe("agent.*")
    await disp.start()
    agents = [a for a in args.agents.split(",") if a]
    for agent_id in agents:
        await disp.connect(agent_id)
        await disp.set_presence(agent_id, Presence.AVAILABLE)
    print("ready", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    work: set[asyncio.Task[None]] = set()

    async def answer(event: dict[str, object]) -> None:
        agent = str(event["agent"])
        await asyncio.sleep(rng.uniform(0.0, 0.05))
        try:
            if rng.random() < args.accept:
                task = await disp.accept(str(event["id"]), agent)
                await asyncio.sleep(rng.uniform(args.handle_min, args.handle_max))
                await disp.complete(task.id, agent)
            else:
                await disp.reject(str(event["id"]), agent)
        except Conflict:
            pass   # the offer expired or was withdrawn meanwhile: that is allowed

    async def listen() -> None:
        async for _topic, event in offers:
            if event.get("type") == "reservation" and event.get("agent") in agents \
                    and args.mode == "random":
                job = asyncio.create_task(answer(event))
                work.add(job)
                job.add_done_callback(work.discard)

    listener = asyncio.create_task(listen())
    await stop.wait()
    listener.cancel()
    for job in list(work):
        job.cancel()
    await disp.stop()
    await bus.close()
    await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", required=True)
    parser.add_argument("--bus", required=True)
    parser.add_argument("--node", required=True)
    parser.add_argument("--agents", required=True)
    parser.add_argument("--mode", choices=["random", "silent"], default="random")
    parser.add_argument("--accept", type=float, default=0.7)
    parser.add_argument("--handle-min", type=float, default=0.01)
    parser.add_argument("--handle-max", type=float, default=0.2)
    parser.add_argument("--ttl", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=1)
    asyncio.run(main(parser.parse_args()))
