#!/usr/bin/env python3
"""Latency receiver for the webhook benchmark: answers 204 at once and records
now - x-stomp-header-sent-at (ns) per request. SIGTERM or SIGINT prints
`count p50_us p90_us p99_us max_us` and exits.

  receiver.py PORT
"""
import asyncio, signal, sys, time

latencies = []


async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            now = time.time_ns()
            length = 0
            sent = None
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"x-stomp-header-sent-at":
                    sent = int(value)
            if length:
                await reader.readexactly(length)
            if sent:
                latencies.append((now - sent) / 1000)
            writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def report():
    values = sorted(latencies)
    if not values:
        print("0 0 0 0 0", flush=True)
        return
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    print(f"{len(values)} {pick(0.5):.0f} {pick(0.9):.0f} {pick(0.99):.0f} {values[-1]:.0f}", flush=True)


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    report()


asyncio.run(main())
