//! Non-atomic reads of standard input (SPEC §3.4, I/O): the real `con`
//! binary runs a script while this test feeds its stdin slowly, so a
//! `sys.stdin.readline@()` really waits, on a worker thread, while the
//! other micro-threads go on.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs [script] with `con -c`, writing each (delay in ms, text) of
/// [feed] to its stdin after the delay, then closing stdin. Returns
/// (exit status, stdout, stderr); fails after 10 s.
fn run_fed(script: &str, feed: &[(u64, &str)]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_con"))
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn con");
    let mut stdin = child.stdin.take().expect("stdin");
    let feed: Vec<(u64, String)> = feed.iter().map(|(d, s)| (*d, s.to_string())).collect();
    let writer = std::thread::spawn(move || {
        for (delay, text) in feed {
            std::thread::sleep(Duration::from_millis(delay));
            if stdin.write_all(text.as_bytes()).is_err() {
                return;
            }
            let _ = stdin.flush();
        }
    });
    let status = wait_at_most_10s(&mut child);
    writer.join().ok();
    let mut out = String::new();
    let mut err = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).ok();
    child.stderr.take().unwrap().read_to_string(&mut err).ok();
    (status, out, err)
}

fn wait_at_most_10s(child: &mut Child) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code().unwrap_or(-1);
        }
        if start.elapsed() > Duration::from_secs(10) {
            child.kill().ok();
            panic!("con did not finish within 10 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// One thread reads lines with readline@ while another ticks with
/// sleep@: the ticks run while the reader waits for input that arrives
/// later, and an event set after the first line lets the ticker run
/// again while the reader waits for the second.
#[test]
fn readline_at_lets_a_ticker_run() {
    let script = r#"
import sys
from con import bootstrap, sleep, Event

def reader(got_a):
    print("reader waiting")
    while True:
        line = sys.stdin.readline@()
        if not line:
            print("eof", repr(line), repr(sys.stdin.readline@()), repr(sys.stdin.read@()))
            break
        print("got", repr(line))
        got_a.set()

def ticker(got_a):
    for i in range(3):
        print("tick", i)
        sleep@(0.01)
    got_a.wait@()
    print("tick after a")

def main():
    got_a = Event()
    sibling reader@(got_a)
    sibling ticker@(got_a)

bootstrap(main)
"#;
    let (code, out, err) = run_fed(script, &[(500, "a\n"), (300, "b\nlast")]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "reader waiting\ntick 0\ntick 1\ntick 2\ngot 'a\\n'\ntick after a\n\
         got 'b\\n'\ngot 'last'\neof '' '' ''\n"
    );
}

/// The plain forms keep working without threads and share the buffer
/// with the @ forms; input() strips the newline and raises EOFError at
/// the end; for@ iterates stdin.
#[test]
fn plain_and_at_reads_share_one_buffer() {
    let script = r#"
import sys
from con import bootstrap

print(repr(sys.stdin.readline()), repr(input("prompt> ")))

def main():
    print(repr(sys.stdin.readline@()), repr(input@("p2> ")))
    n = 0
    for@ line in sys.stdin:
        n += 1
        if n == 2:
            break
        print("for@", repr(line))
    try:
        input@()
    except EOFError as e:
        print("EOFError", e)

bootstrap(main)
print(repr(sys.stdin.read()), repr(sys.stdin.readline()))
"#;
    let (code, out, err) = run_fed(
        script,
        &[(0, "one\ntwo\r\nthree\n"), (200, "four\nfive\nsix")],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "prompt> 'one\\n' 'two\\r'\np2> 'three\\n' 'four'\nfor@ 'five\\n'\n\
         EOFError EOF when reading a line\n'' ''\n"
    );
}

/// Misusing the non-atomic reads raises AtomicityError: at module level,
/// from an atomic call of a function that reads with @, and a plain read
/// while another thread's readline@ is out (it would have to wait). A
/// read interrupted by a timeout loses nothing, and threads reading at
/// once get the lines in the order they asked.
#[test]
fn atomicity_errors_and_waiting_turns() {
    let script = r#"
import sys
from con import bootstrap, idle, timeout, AtomicityError

def read_one():
    return sys.stdin.readline@()

def reader(name):
    print(name, repr(sys.stdin.readline@()))

def main():
    try:
        with timeout(0.1):
            sys.stdin.readline@()
    except TimeoutError:
        print("timed out")
    sibling reader@("A")
    sibling reader@("B")
    idle@()
    for call in [lambda: sys.stdin.readline(), lambda: input(), lambda: read_one()]:
        try:
            call()
        except AtomicityError as e:
            print("AtomicityError:", e)
    print("main", repr(read_one@()))

try:
    sys.stdin.readline@()
except AtomicityError as e:
    print("AtomicityError:", e)
bootstrap(main)
"#;
    let (code, out, err) = run_fed(script, &[(500, "first\nsecond\n"), (100, "third\n")]);
    assert_eq!(code, 0, "{err}");
    let busy = "would wait for another thread's I/O on this file, and an atomic call cannot wait";
    let expected = [
        "AtomicityError: non-atomic call sys.stdin.readline@() outside a micro-thread: module code is atomic; start threads with con.bootstrap(main)".to_string(),
        "timed out".to_string(),
        format!("AtomicityError: readline() {busy}: call readline@()"),
        format!("AtomicityError: input() {busy}: call input@()"),
        "AtomicityError: read_one() is non-atomic (it makes @ calls): write read_one@(...)".to_string(),
        "A 'first\\n'".to_string(),
        "B 'second\\n'".to_string(),
        "main 'third\\n'".to_string(),
    ];
    assert_eq!(out, expected.join("\n") + "\n");
}
