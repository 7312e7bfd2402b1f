# asyncio counterpart of spawn.con: N tasks in a TaskGroup each await one
# shared asyncio.Event, are woken by set() and end; the group joins them.
# Usage: python3 spawn.py N
import asyncio
import sys
from time import perf_counter


async def waiter(ev, acc, i):
    await ev.wait()
    acc[0] += i


async def run(n, acc):
    ev = asyncio.Event()
    async with asyncio.TaskGroup() as tg:
        for i in range(n):
            tg.create_task(waiter(ev, acc, i))
        await asyncio.sleep(0)
        ev.set()


async def main(n):
    acc = [0]
    t0 = perf_counter()
    await run(n, acc)
    t1 = perf_counter()
    print("check: n=%d sum=%d" % (n, acc[0]))
    print("seconds: %.6f" % (t1 - t0))


asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100000))
