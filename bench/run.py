#!/usr/bin/env python3
"""Benchmark runner: times con against CPython on bench/programs/*.con.

Usage (from anywhere; paths are resolved relative to the repository root):

    python3 bench/run.py                 # all programs, best of 3
    python3 bench/run.py nbody richards  # a subset
    python3 bench/run.py --runs 5 --json results.json
    python3 bench/run.py --no-build      # do not run `cargo build --release`

For every program the runner executes `/usr/bin/python3 prog.con` and
`target/release/con prog.con`, keeps the best wall-clock time of N runs of
each, and checks that both printed exactly the same stdout.  A failing or
disagreeing con run is reported (FAILED / MISMATCH) and the run moves on.
The summary gives the geometric mean of con/python3 time ratios over the
programs that ran correctly and flags every ratio above 1.5.

Exit status: 0 if every program ran correctly, 1 if any program failed or
mismatched, 2 for usage or build errors.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
PROGRAMS_DIR = os.path.join(BENCH_DIR, "programs")
DEFAULT_PYTHON = "/usr/bin/python3"
DEFAULT_CON = os.path.join(REPO_ROOT, "target", "release", "con")
TIMEOUT = 120.0
FLAG_RATIO = 1.5
TARGET_GEOMEAN = 1.0
# Anything under these paths (relative to the repo root) can change the binary.
BUILD_INPUTS = ["src", "stdlib", "grammar", "build.rs", "Cargo.toml", "Cargo.lock"]


def available_programs():
    names = [f[:-4] for f in os.listdir(PROGRAMS_DIR) if f.endswith(".con")]
    return sorted(names)


def newest_mtime(paths):
    newest = 0.0
    for rel in paths:
        path = os.path.join(REPO_ROOT, rel)
        if os.path.isfile(path):
            newest = max(newest, os.path.getmtime(path))
        elif os.path.isdir(path):
            for root, _dirs, files in os.walk(path):
                for f in files:
                    try:
                        newest = max(newest, os.path.getmtime(os.path.join(root, f)))
                    except OSError:
                        pass
    return newest


def ensure_built(con_path):
    """Run `cargo build --release` if the binary is missing or stale."""
    if os.path.exists(con_path) and os.path.getmtime(con_path) >= newest_mtime(BUILD_INPUTS):
        return True
    reason = "missing" if not os.path.exists(con_path) else "older than the sources"
    print("con binary %s; running `cargo build --release` ..." % reason, flush=True)
    proc = subprocess.run(["cargo", "build", "--release"], cwd=REPO_ROOT)
    if proc.returncode != 0:
        print("error: cargo build --release failed (exit %d)" % proc.returncode, file=sys.stderr)
        return False
    if not os.path.exists(con_path):
        print("error: build succeeded but %s does not exist" % con_path, file=sys.stderr)
        return False
    return True


class RunResult:
    def __init__(self, seconds, stdout, stderr, returncode, timed_out=False):
        self.seconds = seconds
        self.stdout = stdout
        self.stderr = stderr
        self.returncode = returncode
        self.timed_out = timed_out

    @property
    def ok(self):
        return not self.timed_out and self.returncode == 0

    def error_line(self):
        if self.timed_out:
            return "timed out after %.0f s" % TIMEOUT
        lines = [l for l in self.stderr.decode("utf-8", "replace").splitlines() if l.strip()]
        last = lines[-1].strip() if lines else "(no stderr)"
        if self.returncode < 0:
            return "killed by signal %d: %s" % (-self.returncode, last)
        return "exit %d: %s" % (self.returncode, last)


def run_once(interpreter, program):
    start = time.perf_counter()
    try:
        proc = subprocess.run([interpreter, program], cwd=REPO_ROOT, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        return RunResult(time.perf_counter() - start, exc.stdout or b"", exc.stderr or b"", -1, True)
    except OSError as exc:
        return RunResult(time.perf_counter() - start, b"", str(exc).encode(), 127)
    return RunResult(time.perf_counter() - start, proc.stdout, proc.stderr, proc.returncode)


def first_difference(expected, actual):
    exp = expected.decode("utf-8", "replace").splitlines()
    act = actual.decode("utf-8", "replace").splitlines()
    for i in range(max(len(exp), len(act))):
        e = exp[i] if i < len(exp) else "<missing>"
        a = act[i] if i < len(act) else "<missing>"
        if e != a:
            return "line %d: python3 %r, con %r" % (i + 1, e[:60], a[:60])
    return "outputs differ (line endings or trailing bytes)"


def bench_program(name, python, con, runs):
    """Best-of-N timing for both interpreters, interleaved to share machine drift."""
    program = os.path.join(PROGRAMS_DIR, name + ".con")
    entry = {"name": name, "status": None, "python_s": None, "con_s": None,
             "ratio": None, "error": None}
    py_best = con_best = None
    reference = None
    con_alive = True
    for _ in range(runs):
        py = run_once(python, program)
        if not py.ok:
            entry["status"] = "PYFAILED"
            entry["error"] = py.error_line()
            return entry
        if reference is None:
            reference = py.stdout
        py_best = py.seconds if py_best is None else min(py_best, py.seconds)
        if not con_alive:
            continue
        c = run_once(con, program)
        if not c.ok:
            entry["status"] = "FAILED"
            entry["error"] = c.error_line()
            con_alive = False
            continue
        if c.stdout != reference:
            entry["status"] = "MISMATCH"
            entry["error"] = first_difference(reference, c.stdout)
            con_alive = False
            continue
        con_best = c.seconds if con_best is None else min(con_best, c.seconds)
    entry["python_s"] = py_best
    if con_alive:
        entry["status"] = "ok"
        entry["con_s"] = con_best
        entry["ratio"] = con_best / py_best if py_best > 0 else float("inf")
    return entry


def format_row(entry):
    py = "%10.3f" % entry["python_s"] if entry["python_s"] is not None else "%10s" % "-"
    if entry["status"] == "ok":
        flag = "  <-- above %.1f" % FLAG_RATIO if entry["ratio"] > FLAG_RATIO else ""
        return "%-18s %s %10.3f %8.2f%s" % (entry["name"], py, entry["con_s"], entry["ratio"], flag)
    return "%-18s %s %10s %8s  %s: %s" % (entry["name"], py, "-", "-", entry["status"], entry["error"])


def main(argv=None):
    parser = argparse.ArgumentParser(description="Time con against CPython on bench/programs.")
    parser.add_argument("names", nargs="*", help="programs to run (default: all in bench/programs)")
    parser.add_argument("--runs", type=int, default=3, help="runs per interpreter; best is kept (default 3)")
    parser.add_argument("--no-build", action="store_true", help="do not run cargo build --release")
    parser.add_argument("--json", metavar="FILE", help="write the results as JSON to FILE")
    parser.add_argument("--python", default=DEFAULT_PYTHON, help="CPython to compare with (default /usr/bin/python3)")
    parser.add_argument("--con", default=DEFAULT_CON, help="con binary (default target/release/con)")
    parser.add_argument("--list", action="store_true", help="list the programs and exit")
    args = parser.parse_args(argv)

    programs = available_programs()
    if args.list:
        print("\n".join(programs))
        return 0
    names = []
    for n in args.names:
        n = os.path.basename(n)
        n = n[:-4] if n.endswith(".con") else n
        if n not in programs:
            parser.error("unknown program %r (available: %s)" % (n, ", ".join(programs)))
        names.append(n)
    names = names or programs
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    con = os.path.abspath(os.path.join(REPO_ROOT, args.con)) if not os.path.isabs(args.con) else args.con
    if not args.no_build and con == DEFAULT_CON:
        if not ensure_built(con):
            return 2
    if not os.path.exists(con):
        print("error: %s does not exist (build with cargo build --release)" % con, file=sys.stderr)
        return 2

    shown = os.path.relpath(con, REPO_ROOT) if con.startswith(REPO_ROOT + os.sep) else con
    print("python3: %s   con: %s   best of %d run(s), timeout %.0f s"
          % (args.python, shown, args.runs, TIMEOUT))
    print("%-18s %10s %10s %8s" % ("program", "python3 s", "con s", "con/py"))
    print("-" * 50)
    results = []
    for name in names:
        entry = bench_program(name, args.python, con, args.runs)
        results.append(entry)
        print(format_row(entry), flush=True)
    print("-" * 50)

    good = [e for e in results if e["status"] == "ok"]
    bad = [e for e in results if e["status"] != "ok"]
    geomean = None
    if good:
        geomean = math.exp(sum(math.log(max(e["ratio"], 1e-9)) for e in good) / len(good))
        print("geometric mean con/python3 over %d program(s): %.2f" % (len(good), geomean))
    else:
        print("geometric mean: n/a (no program ran correctly)")
    slow = [e["name"] for e in good if e["ratio"] > FLAG_RATIO]
    if slow:
        print("above %.1f: %s" % (FLAG_RATIO, ", ".join(slow)))
    if bad:
        print("not counted: %s" % ", ".join("%s (%s)" % (e["name"], e["status"]) for e in bad))
    if geomean is not None:
        met = geomean <= TARGET_GEOMEAN and not slow and not bad
        print("targets (geomean <= %.1f, none above %.1f, all correct): %s"
              % (TARGET_GEOMEAN, FLAG_RATIO, "MET" if met else "NOT MET"))

    if args.json:
        with open(args.json, "w") as f:
            json.dump({
                "python": args.python,
                "con": con,
                "runs": args.runs,
                "timeout_s": TIMEOUT,
                "results": results,
                "geomean": geomean,
                "above_flag": slow,
                "flag_ratio": FLAG_RATIO,
            }, f, indent=2)
            f.write("\n")
        print("wrote", args.json)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
