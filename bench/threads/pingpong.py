# asyncio counterpart of pingpong.con: two tasks pass a value back and
# forth over two asyncio.Queue(maxsize=1), N round trips (2N hand-offs),
# while K other tasks sit blocked on an asyncio.Event.
# Usage: python3 pingpong.py N K
import asyncio
import sys
from time import perf_counter


async def ponger(a, b, n):
    for _ in range(n):
        await b.put(await a.get())


async def parked(ev, acc):
    acc[0] += 1
    await ev.wait()
    acc[1] += 1


async def run(n, k, acc, out):
    ev = asyncio.Event()
    async with asyncio.TaskGroup() as tg:
        for _ in range(k):
            tg.create_task(parked(ev, acc))
        await asyncio.sleep(0)
        a = asyncio.Queue(maxsize=1)
        b = asyncio.Queue(maxsize=1)
        tg.create_task(ponger(a, b, n))
        s = 0
        t0 = perf_counter()
        for i in range(n):
            await a.put(i)
            s += await b.get()
        t1 = perf_counter()
        out.append(s)
        out.append(acc[0])
        out.append(t1 - t0)
        ev.set()


async def main(n, k):
    acc = [0, 0]
    out = []
    await run(n, k, acc, out)
    print("check: rounds=%d sum=%d parked=%d released=%d" % (n, out[0], out[1], acc[1]))
    print("seconds: %.6f" % out[2])


asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200000,
                 int(sys.argv[2]) if len(sys.argv) > 2 else 0))
