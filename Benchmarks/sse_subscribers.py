#!/usr/bin/env python3
"""Many subscribers to `sync.subscribe`, for the API figures of bench.py.

Opens N event streams to the server (plain HTTP/1.1 over asyncio, standard
library only), prints "ready N" on stdout once every stream has its
`connected` event, then notes the arrival time (time.monotonic(), the
system's CLOCK_MONOTONIC, which the bench reads too) of every tracked event
on every stream. When stdin closes it prints one JSON line:

    {"streams": N, "arrivals": [[[event id, seconds], ...], ...], "closed": K}

one list per stream; `closed` counts streams the server ended early.

    python3 Benchmarks/sse_subscribers.py --port 4377 --count 1000
"""
import argparse
import asyncio
import json
import resource
import sys
import time

OPEN_AT_ONCE = 64     # connections being opened at the same time (the listen backlog is finite)
CONNECT_TIMEOUT = 60  # seconds for every stream to be connected


class Stream(asyncio.Protocol):
    """One event stream: records (event id, arrival) of each tracked event."""

    def __init__(self, connected):
        self.connected = connected
        self.arrivals = []
        self.buffer = b""
        self.closed = asyncio.get_running_loop().create_future()

    def data_received(self, data):
        now = time.monotonic()  # first: what the figure measures is the arrival
        self.buffer += data
        while b"\n\n" in self.buffer:
            block, self.buffer = self.buffer.split(b"\n\n", 1)
            if b"event: connected" in block and not self.connected.done():
                self.connected.set_result(True)
            for line in block.split(b"\n"):
                if line.startswith(b"id: "):
                    self.arrivals.append([int(line[4:]), now])

    def connection_lost(self, exc):
        if not self.closed.done():
            self.closed.set_result(exc)


async def open_stream(port, path, gate):
    loop = asyncio.get_running_loop()
    connected = loop.create_future()
    async with gate:
        transport, stream = await loop.create_connection(lambda: Stream(connected), "127.0.0.1", port)
        transport.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                        "Accept: text/event-stream\r\n\r\n".encode())
        # The response head arrives in the first block; `connected` follows it.
        await asyncio.wait_for(connected, CONNECT_TIMEOUT)
    return stream


async def main_async(args):
    gate = asyncio.Semaphore(OPEN_AT_ONCE)
    path = "/trpc/sync.subscribe"
    streams = await asyncio.wait_for(
        asyncio.gather(*(open_stream(args.port, path, gate) for _ in range(args.count))),
        CONNECT_TIMEOUT)
    print(f"ready {len(streams)}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # the bench closes stdin when done
    closed = sum(1 for s in streams if s.closed.done())
    print(json.dumps({"streams": len(streams), "arrivals": [s.arrivals for s in streams],
                      "closed": closed}), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=1000)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.count + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.count + 256)), hard))
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
