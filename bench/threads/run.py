#!/usr/bin/env python3
"""Micro-thread benchmarks: con threads against asyncio under CPython.

Usage (from anywhere; paths are resolved relative to the repository root):

    python3 bench/threads/run.py             # everything, best of 3
    python3 bench/threads/run.py --runs 1    # quicker, noisier
    python3 bench/threads/run.py --no-build  # do not run cargo build --release

Each benchmark is a pair of programs in this directory: NAME.con run by
target/release/con and NAME.py run by /usr/bin/python3 with asyncio.  Every
program prints a `check:` line (counts and sums the runner verifies) and
its own measurements (`seconds:`, `rss_blocked_kb:`); peak RSS comes from
`/usr/bin/time -f %M`.  The table gives each figure for con and asyncio,
their ratio con/asyncio, the target (for con) and PASS / MISS.  A program
that fails or prints a wrong check line is reported as FAILED / WRONG.

Exit status: 0 if every program ran correctly, 1 if any failed or printed
a wrong check line, 2 for usage or build errors.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH_DIR = os.path.dirname(HERE)
REPO_ROOT = os.path.dirname(BENCH_DIR)

# bench/run.py's rebuild-when-stale logic, loaded by path (this file is
# also called run.py).
sys.dont_write_bytecode = True  # no __pycache__ in bench/
_spec = importlib.util.spec_from_file_location("bench_run", os.path.join(BENCH_DIR, "run.py"))
_bench_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_bench_run)
ensure_built = _bench_run.ensure_built

DEFAULT_PYTHON = "/usr/bin/python3"
DEFAULT_CON = os.path.join(REPO_ROOT, "target", "release", "con")
GNU_TIME = "/usr/bin/time"
TIMEOUT = 120.0

N_BLOCKED = 100_000  # 1. memory per blocked thread, 2. spawn/block/join
N_MILLION = 1_000_000  # 4. con only
PING_CON = 1_000_000  # round trips; asyncio is ~15x slower, so it does fewer
PING_ASYNCIO = 200_000
K_PARKED = 100_000  # 5. threads blocked during the ping-pong

TARGET_BYTES = 500  # con bytes per blocked thread, at most
TARGET_SPAWN_S = 0.2  # con seconds for N_BLOCKED spawn/block/wake/join, below
TARGET_RATE = 3.0e6  # con hand-offs per second, at least
TARGET_FLAT = 0.8  # con ping-pong rate with K_PARKED blocked / rate with none


class Failure(Exception):
    """A program failed or printed a wrong check line."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def run_program(argv, expected_check):
    """Runs argv under GNU time; returns (fields, peak_kb, wall_s).

    fields maps each `key: value` line of stdout to its value."""
    with tempfile.NamedTemporaryFile(prefix="con-threads-", suffix=".time") as tf:
        cmd = [GNU_TIME, "-f", "%M", "-o", tf.name] + argv
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Failure("FAILED", "timed out after %.0f s" % TIMEOUT)
        wall = time.perf_counter() - start
        tf.seek(0)
        time_out = tf.read().decode("utf-8", "replace").split()
    if proc.returncode != 0:
        lines = [l for l in proc.stderr.decode("utf-8", "replace").splitlines() if l.strip()]
        # GNU time adds "Command exited with non-zero status N" to -o only.
        last = lines[-1].strip() if lines else "(no stderr)"
        raise Failure("FAILED", "exit %d: %s" % (proc.returncode, last))
    fields = {}
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition(": ")
        if sep:
            fields[key.strip()] = value.strip()
    if fields.get("check") != expected_check:
        raise Failure("WRONG", "check %r, expected %r" % (fields.get("check"), expected_check))
    try:
        peak_kb = int(time_out[-1])
    except (IndexError, ValueError):
        raise Failure("FAILED", "no peak RSS from %s" % GNU_TIME)
    return fields, peak_kb, wall


def blocked_check(n):
    return "blocked=%d woken=%d" % (n, n)


def spawn_check(n):
    return "n=%d sum=%d" % (n, n * (n - 1) // 2)


def pingpong_check(n, k):
    return "rounds=%d sum=%d parked=%d released=%d" % (n, n * (n - 1) // 2, k, k)


class Side:
    """One interpreter's measurements. A failure stops the measuring of its
    topic (a benchmark) only."""

    def __init__(self, name, interp, ext):
        self.name = name
        self.interp = interp
        self.ext = ext
        self.failures = {}  # topic -> Failure
        self.best = {}  # key -> best value so far

    def run(self, topic, prog, args, check):
        if topic in self.failures:
            return None
        argv = [self.interp, os.path.join(HERE, prog + self.ext)] + [str(a) for a in args]
        try:
            return run_program(argv, check)
        except Failure as f:
            self.failures[topic] = f
            return None

    def keep(self, key, value, better):
        old = self.best.get(key)
        if old is None or better(value, old):
            self.best[key] = value


def lower(a, b):
    return a < b


def higher(a, b):
    return a > b


def measure_round(side, ping_n):
    """One run of every program of [side]; keeps the best figures."""
    for n in (0, N_BLOCKED):
        r = side.run("blocked", "blocked", [n], blocked_check(n))
        if r:
            fields, peak_kb, _ = r
            side.keep("peak_kb_%d" % n, peak_kb, lower)
            side.keep("rss_kb_%d" % n, int(fields["rss_blocked_kb"]), lower)
    r = side.run("spawn", "spawn", [N_BLOCKED], spawn_check(N_BLOCKED))
    if r:
        side.keep("spawn_s", float(r[0]["seconds"]), lower)
    for k in (0, K_PARKED):
        r = side.run("pingpong", "pingpong", [ping_n, k], pingpong_check(ping_n, k))
        if r:
            side.keep("rate_%d" % k, 2 * ping_n / max(float(r[0]["seconds"]), 1e-9), higher)


def per_thread(best, prefix, n):
    a, b = best.get("%s_%d" % (prefix, n)), best.get("%s_0" % prefix)
    if a is None or b is None:
        return None
    return (a - b) * 1024.0 / n


def main(argv=None):
    parser = argparse.ArgumentParser(description="con micro-threads against asyncio.")
    parser.add_argument("--runs", type=int, default=3, help="runs of each program; best is kept (default 3)")
    parser.add_argument("--no-build", action="store_true", help="do not run cargo build --release")
    parser.add_argument("--python", default=DEFAULT_PYTHON, help="CPython for asyncio (default /usr/bin/python3)")
    parser.add_argument("--con", default=DEFAULT_CON, help="con binary (default target/release/con)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not os.access(GNU_TIME, os.X_OK):
        print("error: %s (GNU time) is needed for peak RSS" % GNU_TIME, file=sys.stderr)
        return 2

    con = args.con if os.path.isabs(args.con) else os.path.abspath(os.path.join(REPO_ROOT, args.con))
    if not args.no_build and con == DEFAULT_CON and not ensure_built(con):
        return 2
    if not os.path.exists(con):
        print("error: %s does not exist (build with cargo build --release)" % con, file=sys.stderr)
        return 2

    shown = os.path.relpath(con, REPO_ROOT) if con.startswith(REPO_ROOT + os.sep) else con
    print("con: %s   asyncio: %s   best of %d run(s)" % (shown, args.python, args.runs), flush=True)
    c = Side("con", con, ".con")
    a = Side("asyncio", args.python, ".py")
    # Alternate the two so that machine drift hits both alike.
    for _ in range(args.runs):
        measure_round(c, PING_CON)
        measure_round(a, PING_ASYNCIO)
    million = c.run("million", "blocked", [N_MILLION], blocked_check(N_MILLION))

    rows = []

    def row(name, con_fig, py_fig, ratio, target, ok):
        rows.append({"benchmark": name, "con": con_fig, "asyncio": py_fig,
                     "ratio": ratio, "target": target, "result": ok})

    def fig(side, topic, value, fmt):
        f = side.failures.get(topic)
        if f:
            return f.status + " (below)"
        return "-" if value is None else fmt(value)

    def verdict(side, topic, value, passes):
        f = side.failures.get(topic)
        if f:
            return f.status
        if value is None:
            return "-"
        return "PASS" if passes(value) else "MISS"

    def ratio(x, y):
        return None if x is None or y is None or y == 0 else x / y

    # 1. memory per blocked thread (peak RSS), and at the blocked point.
    cb, ab = per_thread(c.best, "peak_kb", N_BLOCKED), per_thread(a.best, "peak_kb", N_BLOCKED)
    row("1 memory/blocked thread (peak RSS)",
        fig(c, "blocked", cb, lambda v: "%.0f B" % v), fig(a, "blocked", ab, lambda v: "%.0f B" % v),
        ratio(cb, ab), "<= %d B" % TARGET_BYTES, verdict(c, "blocked", cb, lambda v: v <= TARGET_BYTES))
    cr, ar = per_thread(c.best, "rss_kb", N_BLOCKED), per_thread(a.best, "rss_kb", N_BLOCKED)
    row("  same, RSS while all blocked",
        fig(c, "blocked", cr, lambda v: "%.0f B" % v), fig(a, "blocked", ar, lambda v: "%.0f B" % v),
        ratio(cr, ar), "(info)", "")

    # 2. spawn, block, wake, join.
    cs, as_ = c.best.get("spawn_s"), a.best.get("spawn_s")
    us = lambda v: "%.3f s %.2f us/thr" % (v, v / N_BLOCKED * 1e6)  # noqa: E731
    row("2 spawn/block/wake/join 100k", fig(c, "spawn", cs, us), fig(a, "spawn", as_, us),
        ratio(cs, as_), "< %.1f s" % TARGET_SPAWN_S, verdict(c, "spawn", cs, lambda v: v < TARGET_SPAWN_S))

    # 3. ping-pong.
    mps = lambda v: "%.2f M/s" % (v / 1e6)  # noqa: E731
    c0, a0 = c.best.get("rate_0"), a.best.get("rate_0")
    row("3 pipe ping-pong hand-offs", fig(c, "pingpong", c0, mps), fig(a, "pingpong", a0, mps),
        ratio(c0, a0), ">= %.0f M/s" % (TARGET_RATE / 1e6),
        verdict(c, "pingpong", c0, lambda v: v >= TARGET_RATE))

    # 4. a million blocked siblings (con only).
    m = None
    if million:
        fields, peak_kb, _wall = million
        base = c.best.get("peak_kb_0", peak_kb)
        m = (float(fields["seconds"]), peak_kb / 1024.0, (peak_kb - base) * 1024.0 / N_MILLION)
        c.best["million_s"], c.best["million_peak_kb"] = m[0], peak_kb
    row("4 1,000,000 blocked siblings",
        fig(c, "million", m, lambda v: "%.2f s %.0f MB %.0f B/thr" % v), "(not run)", None,
        "works", verdict(c, "million", m, lambda v: True))

    # 5. switch cost independent of the number of threads.
    ck, ak = c.best.get("rate_%d" % K_PARKED), a.best.get("rate_%d" % K_PARKED)
    cf, af = ratio(ck, c0), ratio(ak, a0)
    flat = lambda pair: "%.2f M/s = %.2fx" % (pair[0] / 1e6, pair[1])  # noqa: E731
    row("5 ping-pong, 100k others blocked",
        fig(c, "pingpong", None if cf is None else (ck, cf), flat),
        fig(a, "pingpong", None if af is None else (ak, af), flat),
        ratio(ck, ak), ">= %.1fx of 3" % TARGET_FLAT, verdict(c, "pingpong", cf, lambda v: v >= TARGET_FLAT))

    widths = [34, 26, 26, 11, 13, 6]
    heads = ["benchmark", "con", "asyncio", "con/asyncio", "target (con)", "result"]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(heads, widths)).rstrip())
    print("-" * (sum(widths) + 2 * (len(widths) - 1)))
    for r in rows:
        cells = [r["benchmark"], r["con"], r["asyncio"],
                 "-" if r["ratio"] is None else "%.3g" % r["ratio"], r["target"], r["result"]]
        print("  ".join(str(x).ljust(w) for x, w in zip(cells, widths)).rstrip())
    print()
    print("1: (peak RSS with %d waiters - with 0) / %d; 2: in-program time; "
          "3: con %d, asyncio %d round trips; 5: rate with %d others blocked, as a "
          "fraction of row 3" % (N_BLOCKED, N_BLOCKED, PING_CON, PING_ASYNCIO, K_PARKED))
    for side in (c, a):
        for topic, f in side.failures.items():
            print("%s %s: %s %s" % (side.name, topic, f.status, f.message))
    judged = [r for r in rows if r["result"] in ("PASS", "MISS")]
    print("targets met: %d/%d" % (sum(r["result"] == "PASS" for r in judged), len(judged)))

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"con": con, "python": args.python, "runs": args.runs,
                       "con_best": c.best, "asyncio_best": a.best, "rows": rows}, f, indent=2)
            f.write("\n")
        print("wrote", args.json)
    return 1 if c.failures or a.failures else 0


if __name__ == "__main__":
    sys.exit(main())
