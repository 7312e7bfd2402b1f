# asyncio counterpart of blocked.con: N tasks blocked at once, each awaiting
# one shared asyncio.Event, in a TaskGroup (the analogue of `sibling`).
# Usage: python3 blocked.py N
import asyncio
import sys
from time import perf_counter


def rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


async def waiter(ev, acc):
    acc[0] += 1
    await ev.wait()
    acc[1] += 1


async def run(n, acc, out):
    ev = asyncio.Event()
    async with asyncio.TaskGroup() as tg:
        for _ in range(n):
            tg.create_task(waiter(ev, acc))
        # Every task runs once and blocks in ev.wait().
        await asyncio.sleep(0)
        out.append(acc[0])
        out.append(rss_kb())
        ev.set()
    # Leaving the TaskGroup joins the n tasks.


async def main(n):
    acc = [0, 0]
    out = []
    t0 = perf_counter()
    await run(n, acc, out)
    t1 = perf_counter()
    print("check: blocked=%d woken=%d" % (out[0], acc[1]))
    print("rss_blocked_kb: %d" % out[1])
    print("seconds: %.6f" % (t1 - t0))


asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100000))
