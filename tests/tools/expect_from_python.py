#!/usr/bin/env python3
"""Rewrite the expectation annotations of .con test scripts from CPython.

Usage:
    tests/tools/expect_from_python.py [--check] FILE_OR_DIR...

Every script is run with /usr/bin/python3 exactly like tests/scripts.rs runs
con: the argument is the bare file name, the cwd is the script's directory
(a temporary copy of it, where every NAME.con also appears as NAME.py so that
CPython can import sibling modules), `# stdin:` lines are fed to stdin and
`# args:` are appended to the command line.  Each script is run twice with
different PYTHONHASHSEED values; differing output is reported as an error.

Then:
  * `# expect:` annotations are set to python's stdout lines.  If the file
    already has exactly as many `# expect:` annotations as output lines they
    are rewritten in place, otherwise all are removed and a block of
    `# expect:` lines is appended at the end of the file.
  * an uncaught exception sets `# expect runtime error: MSG` (MSG = python's
    last stderr line), updating an existing annotation or appending one to
    the line of the innermost traceback frame in the script.
  * a non-zero exit without a traceback sets `# expect exit: N`.
  * `# expect stderr:` texts are checked, never written.

Files are left alone when they contain `# nontest`, `# skip:`,
`# expect error:` (syntax errors: con's own messages), `# handwritten`
(con's own choices), `# expect unordered:`, are not valid UTF-8, or live
under lang/con/ (con-only syntax).

With --check nothing is written; the exit status is 1 if any file would
change or any error occurred.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
TIMEOUT = 20

KEYWORDS = [
    "expect runtime error:",
    "expect error:",
    "expect exit:",
    "expect stderr:",
    "expect unordered:",
    "expect:",
    "stdin:",
    "args:",
    "skip:",
]


def find_annotation(line):
    """Mirror of find_annotation in scripts.rs: (pos, keyword, value) or None."""
    start = 0
    while True:
        pos = line.find("# ", start)
        if pos < 0:
            return None
        rest = line[pos + 2:]
        for kw in KEYWORDS:
            if rest.startswith(kw):
                value = rest[len(kw):]
                if value.startswith(" "):
                    value = value[1:]
                return pos, kw, value
        start = pos + 1


def collect(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for dirpath, _dirs, files in os.walk(p):
                for f in files:
                    if f.endswith(".con"):
                        out.append(os.path.join(dirpath, f))
        else:
            out.append(p)
    return sorted(out)


def run_python(path, stdin_lines, args, seed):
    src_dir = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(path)
    with tempfile.TemporaryDirectory() as tmp:
        work = os.path.join(tmp, "d")
        shutil.copytree(src_dir, work, symlinks=True)
        for dirpath, _dirs, files in os.walk(work):
            for f in files:
                if f.endswith(".con"):
                    py = os.path.join(dirpath, f[:-4] + ".py")
                    if not os.path.exists(py):
                        os.symlink(f, py)
        env = dict(os.environ)
        env["PYTHONHASHSEED"] = str(seed)
        env["CON_TEST"] = "1"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        stdin = "".join(l + "\n" for l in stdin_lines) if stdin_lines else ""
        try:
            p = subprocess.run(
                [PYTHON, name] + args,
                cwd=work,
                input=stdin.encode(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                timeout=TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            return None
        return (
            p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"),
            p.returncode,
        )


def output_lines(text):
    if text == "":
        return []
    if text.endswith("\n"):
        text = text[:-1]
    return text.split("\n")


def fmt_expect(keyword, value):
    return "# " + keyword + (" " + value if value != "" else "")


def process(path, check):
    """Returns (changed, errors)."""
    raw = open(path, "rb").read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False, []
    if "/lang/con/" in os.path.abspath(path).replace(os.sep, "/"):
        return False, []
    lines = text.split("\n")
    annots = {}
    for i, line in enumerate(lines):
        a = find_annotation(line.rstrip("\r"))
        if a:
            annots[i] = a
        if line.strip() == "# nontest" or line.lstrip("\ufeff").startswith("# handwritten"):
            return False, []
    kinds = [a[1] for a in annots.values()]
    if any(k in ("skip:", "expect error:", "expect unordered:") for k in kinds):
        return False, []
    stdin_lines = [a[2] for a in annots.values() if a[1] == "stdin:"]
    args = []
    for a in annots.values():
        if a[1] == "args:":
            args.extend(a[2].split())

    r1 = run_python(path, stdin_lines, args, 1)
    r2 = run_python(path, stdin_lines, args, 12345)
    if r1 is None or r2 is None:
        return False, ["python timed out"]
    errors = []
    if r1[0] != r2[0] or r1[2] != r2[2]:
        errors.append("NONDETERMINISTIC: output depends on PYTHONHASHSEED")
    stdout, stderr, code = r1
    out = output_lines(stdout)
    name = os.path.basename(path)

    new = list(lines)
    # --- runtime error / exit status
    err_lines = [l for l in stderr.split("\n") if l.strip()]
    traceback = "Traceback (most recent call last):" in stderr
    rt = [i for i, a in annots.items() if a[1] == "expect runtime error:"]
    ex = [i for i, a in annots.items() if a[1] == "expect exit:"]
    append = []
    if traceback and code == 1:
        msg = err_lines[-1]
        frames = [
            int(m.group(2))
            for m in re.finditer(r'File "([^"]*)", line (\d+)', stderr)
            if os.path.basename(m.group(1)) == name
        ]
        if rt:
            i = rt[0]
            pos = annots[i][0]
            new[i] = lines[i][:pos] + fmt_expect("expect runtime error:", msg)
            if i + 1 not in frames:
                errors.append(
                    f"runtime error annotation on line {i + 1} but traceback lines are {frames}"
                )
        elif frames:
            i = frames[-1] - 1
            new[i] = new[i].rstrip() + "  " + fmt_expect("expect runtime error:", msg)
        else:
            errors.append("traceback mentions no line of the script")
    else:
        for i in rt:
            errors.append("python raised no uncaught exception; removing runtime error annotation")
            pos = annots[i][0]
            new[i] = lines[i][:pos].rstrip()
        if code != 0 and not ex:
            append.append(fmt_expect("expect exit:", str(code)))
    for i in ex:
        want = 1 if (traceback and code == 1) else code
        pos = annots[i][0]
        new[i] = lines[i][:pos] + fmt_expect("expect exit:", str(want))
    for a in annots.values():
        if a[1] == "expect stderr:" and a[2] not in stderr:
            errors.append(f"python's stderr does not contain {a[2]!r}")

    # --- stdout
    ex_lines = [i for i, a in annots.items() if a[1] == "expect:"]
    if len(ex_lines) == len(out):
        for i, value in zip(ex_lines, out):
            pos = annots[i][0]
            new[i] = new[i][:pos] + fmt_expect("expect:", value)
    else:
        remove = set()
        for i in ex_lines:
            pos = annots[i][0]
            before = new[i][:pos]
            if before.strip() == "":
                remove.add(i)
            else:
                new[i] = before.rstrip()
        new = [l for i, l in enumerate(new) if i not in remove]
        append = [fmt_expect("expect:", v) for v in out] + append
    if append:
        while new and new[-1].strip() == "":
            new.pop()
        new += append + [""]
    result = "\n".join(new)
    changed = result != text
    if changed and not check:
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(result)
    return changed, errors


def main():
    argv = sys.argv[1:]
    check = "--check" in argv
    argv = [a for a in argv if a != "--check"]
    if not argv:
        print(__doc__)
        return 2
    bad = False
    for path in collect(argv):
        changed, errors = process(path, check)
        if changed:
            print(("WOULD CHANGE " if check else "updated ") + path)
            bad = bad or check
        for e in errors:
            print(f"ERROR {path}: {e}")
            bad = True
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
