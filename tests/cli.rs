//! End-to-end tests of the `con` command line: argument forms, exit
//! statuses and the behaviour at a closed stdout.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn con() -> Command {
    Command::new(env!("CARGO_BIN_EXE_con"))
}

fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = con()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn con");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().expect("wait for con");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Waits for [child] to exit; kills it and fails with [why] after 10 s.
fn wait_at_most_10s(child: &mut std::process::Child, why: &str) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if start.elapsed() > Duration::from_secs(10) {
            child.kill().ok();
            panic!("{why}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn dash_c_runs_code_and_passes_arguments() {
    let (code, out, _) = run(
        &["-c", "import sys; print(sys.argv[1:], 6 * 7)", "a", "b"],
        "",
    );
    assert_eq!(code, 0);
    assert_eq!(out, "['a', 'b'] 42\n");
}

#[test]
fn program_from_stdin() {
    let (code, out, _) = run(&["-"], "print('from stdin')\n");
    assert_eq!((code, out.as_str()), (0, "from stdin\n"));
}

#[test]
fn missing_script_is_exit_2_with_python_wording() {
    let (code, _, err) = run(&["/nonexistent/x.con"], "");
    assert_eq!(code, 2);
    assert!(
        err.contains("can't open file '/nonexistent/x.con': [Errno 2] No such file or directory"),
        "{err}"
    );
}

#[test]
fn directory_as_script_is_exit_2() {
    let (code, _, err) = run(&["/"], "");
    assert_eq!(code, 2);
    assert!(err.contains("Is a directory"), "{err}");
}

#[test]
fn unknown_option_is_exit_2() {
    let (code, _, err) = run(&["--bogus"], "");
    assert_eq!(code, 2);
    assert!(err.contains("unknown option --bogus"), "{err}");
}

#[test]
fn syntax_error_is_exit_1_with_position() {
    let (code, out, err) = run(&["-c", "x = (1,\nprint(x"], "");
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert!(err.contains("<string>:2:6"), "{err}");
    assert!(err.contains("was never closed"), "{err}");
}

#[test]
fn uncaught_exception_prints_traceback_and_exits_1() {
    let (code, _, err) = run(&["-c", "def f():\n    return 1 / 0\nf()"], "");
    assert_eq!(code, 1);
    assert!(
        err.starts_with("Traceback (most recent call last):"),
        "{err}"
    );
    assert!(err.contains("line 2, in f"), "{err}");
    assert!(
        err.trim_end()
            .ends_with("ZeroDivisionError: division by zero"),
        "{err}"
    );
}

#[test]
fn system_exit_status() {
    assert_eq!(run(&["-c", "import sys; sys.exit(3)"], "").0, 3);
    let (code, _, err) = run(&["-c", "raise SystemExit('bye')"], "");
    assert_eq!((code, err.as_str()), (1, "bye\n"));
}

#[test]
fn check_compiles_without_running() {
    let (code, out, _) = run(&["--check", "-c"], "");
    assert_eq!(code, 2, "{out}");
    let dir = std::env::temp_dir().join(format!("con-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("ok.con");
    std::fs::write(&f, "print('ran')\n").unwrap();
    let (code, out, _) = run(&["--check", f.to_str().unwrap()], "");
    assert_eq!((code, out.as_str()), (0, ""));
    let (code, out, _) = run(&["--dis", f.to_str().unwrap()], "");
    assert_eq!(code, 0);
    assert!(out.contains("LoadGlobal(0) (print)"), "{out}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn input_at_eof_raises_eoferror() {
    let (code, _, err) = run(&["-c", "input()"], "");
    assert_eq!(code, 1);
    assert!(
        err.trim_end()
            .ends_with("EOFError: EOF when reading a line"),
        "{err}"
    );
}

/// `con gen.con | head -1`: once the reader is gone the program stops
/// quietly instead of running forever or printing a panic.
#[test]
fn closed_stdout_ends_the_program_quietly() {
    let mut child = con()
        .args(["-c", "i = 0\nwhile True:\n    print(i)\n    i += 1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 2];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let status = wait_at_most_10s(&mut child, "con kept running after stdout closed");
    assert_eq!(status.code(), Some(141));
    let err = drain(child.stderr.take());
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn deep_recursion_is_a_recursion_error() {
    let (code, _, err) = run(&["-c", "def f(n):\n    return f(n + 1)\nf(0)"], "");
    assert_eq!(code, 1);
    assert!(err.contains("[Previous line repeated"), "{err}");
    assert!(
        err.trim_end()
            .ends_with("RecursionError: maximum recursion depth exceeded"),
        "{err}"
    );
}

#[test]
fn self_referencing_objects_are_collected() {
    // A million cycles: memory must stay bounded (the collector runs).
    let code = "import gc\nclass N:\n    def __init__(self):\n        self.me = self\nfor i in range(300000):\n    n = N()\nprint(gc.collect() < 100)";
    let (status, out, err) = run(&["-c", code], "");
    assert_eq!((status, out.as_str()), (0, "True\n"), "{err}");
}

/// Ctrl-C in a runaway loop raises KeyboardInterrupt with a traceback and
/// exits with status 130.
#[test]
fn sigint_raises_keyboard_interrupt() {
    let child = start_ready("print('ready', flush=True)\nwhile True:\n    pass");
    send(&child, "-INT");
    let (code, _, err) = finish(child, "con ignored SIGINT");
    assert_eq!(code, Some(130), "{err}");
    assert!(err.trim_end().ends_with("KeyboardInterrupt"), "{err}");
    assert!(err.contains("line 2"), "{err}");
}

/// Starts `con -c CODE`, waits for its first output line "ready", and
/// returns the child.
fn start_ready(code: &str) -> std::process::Child {
    let mut child = con()
        .args(["-c", code])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = [0u8; 6];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut ready)
        .unwrap();
    assert_eq!(&ready, b"ready\n");
    child
}

fn send(child: &std::process::Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn finish(mut child: std::process::Child, why: &str) -> (Option<i32>, String, String) {
    let status = wait_at_most_10s(&mut child, why);
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    (status.code(), out, err)
}

/// Everything left in a child's output pipe.
fn drain(pipe: Option<impl Read>) -> String {
    let mut text = String::new();
    if let Some(mut p) = pipe {
        p.read_to_string(&mut text).unwrap();
    }
    text
}

const SLEEPERS: &str = "\
from con import bootstrap, sleep
def worker(n):
    try:
        sleep@(30)
    finally:
        print('cleanup', n)
def main():
    sibling worker@(1)
    sibling worker@(2)
    print('ready', flush=True)
    try:
        sleep@(30)
    finally:
        print('cleanup main')
try:
    bootstrap(main)
except KeyboardInterrupt:
    print('KeyboardInterrupt from bootstrap')
";

/// Under bootstrap, Ctrl-C interrupts the whole tree (every finally runs,
/// in thread order) and then bootstrap raises KeyboardInterrupt.
#[test]
fn sigint_under_bootstrap_interrupts_the_tree() {
    let child = start_ready(SLEEPERS);
    std::thread::sleep(std::time::Duration::from_millis(100));
    send(&child, "-INT");
    let (code, out, err) = finish(child, "con ignored SIGINT under bootstrap");
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        out,
        "cleanup main\ncleanup 1\ncleanup 2\nKeyboardInterrupt from bootstrap\n"
    );
}

/// A second Ctrl-C escapes a runaway atomic loop that the first one could
/// not interrupt (it never reaches a switch point).
#[test]
fn second_sigint_escapes_an_atomic_loop() {
    let code = "\
from con import bootstrap, idle
def spin():
    print('ready', flush=True)
    while True:
        pass
def main():
    sibling spin@()
    idle@()
bootstrap(main)
";
    let child = start_ready(code);
    send(&child, "-INT");
    std::thread::sleep(std::time::Duration::from_millis(300));
    send(&child, "-INT");
    let (code, _, err) = finish(child, "con ignored the second SIGINT");
    assert_eq!(code, Some(130), "{err}");
    assert!(err.trim_end().ends_with("KeyboardInterrupt"), "{err}");
}

/// SIGQUIT prints every thread's stack to stderr and the program goes on.
#[test]
fn sigquit_dumps_the_thread_tree() {
    let code = "\
from con import bootstrap, sleep, pipe
def worker(p):
    p.get@()
def main():
    p = pipe()
    sibling worker@(p)
    print('ready', flush=True)
    sleep@(0.5)
    p.put@(1)
    print('done')
bootstrap(main)
";
    let child = start_ready(code);
    std::thread::sleep(std::time::Duration::from_millis(100));
    send(&child, "-QUIT");
    let (code, out, err) = finish(child, "con died or hung on SIGQUIT");
    assert_eq!((code, out.as_str()), (Some(0), "done\n"), "{err}");
    assert!(err.contains("con: 2 threads:"), "{err}");
    assert!(err.contains("thread 1 (main) waits in sleep"), "{err}");
    assert!(
        err.contains("thread 2 (worker) waits in get on a pipe, started by thread 1 at line 6"),
        "{err}"
    );
    assert!(err.contains("p.get@()"), "{err}");
}

/// CON_SCHEDULE_SEED shuffles the run queue: each seed gives one fixed
/// order, some seed differs from the default FIFO order, and every order
/// is a permutation.
#[test]
fn schedule_seed_shuffles_the_run_queue() {
    let code = "\
from con import bootstrap, idle
def w(n):
    idle@()
    print(n)
def main():
    for n in range(6):
        sibling w@(n)
bootstrap(main)
";
    let run_with = |seed: Option<&str>| {
        let mut cmd = con();
        cmd.args(["-c", code]);
        if let Some(s) = seed {
            cmd.env("CON_SCHEDULE_SEED", s);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let fifo = run_with(None);
    assert_eq!(fifo, "0\n1\n2\n3\n4\n5\n");
    let mut differs = false;
    for seed in ["1", "2", "3", "4", "5"] {
        let a = run_with(Some(seed));
        assert_eq!(a, run_with(Some(seed)), "seed {seed} is not deterministic");
        let mut lines: Vec<&str> = a.lines().collect();
        lines.sort();
        assert_eq!(lines, ["0", "1", "2", "3", "4", "5"]);
        differs |= a != fifo;
    }
    assert!(differs, "no seed changed the order");
}

/// While every thread waits on sockets the scheduler sleeps in poll with
/// no deadline: SIGQUIT still dumps the tree (naming the listener), and
/// Ctrl-C still unwinds it.
#[test]
fn signals_reach_a_scheduler_blocked_in_poll() {
    let code = "\
from con import bootstrap, tcplisten, ipv4addr
def main():
    lst = tcplisten@(ipv4addr('127.0.0.1', 0))
    print('ready', flush=True)
    try:
        lst.accept@()
    finally:
        print('unwound')
try:
    bootstrap(main)
except KeyboardInterrupt:
    print('interrupted')
";
    let child = start_ready(code);
    std::thread::sleep(std::time::Duration::from_millis(100));
    send(&child, "-QUIT");
    std::thread::sleep(std::time::Duration::from_millis(100));
    send(&child, "-INT");
    let (code, out, err) = finish(child, "con ignored signals while blocked in poll");
    assert_eq!(
        (code, out.as_str()),
        (Some(0), "unwound\ninterrupted\n"),
        "{err}"
    );
    assert!(
        err.contains("thread 1 (main) waits in accept on a TcpListener"),
        "{err}"
    );
}
