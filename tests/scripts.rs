//! Script test runner: one libtest-mimic trial per `tests/**/*.con` file.
//!
//! Each script is run with the real `con` binary (cwd = the script's
//! directory, argument = the script's file name, env `CON_TEST=1`) and its
//! output is checked against annotations written as comments in the script.
//! See `tests/README.md` for the annotation list.

use libtest_mimic::{Arguments, Failed, Trial};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const DEFAULT_TIMEOUT_SECS: u64 = 10;

fn main() {
    let args = Arguments::from_args();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.join("tests");
    let mut files = Vec::new();
    collect_scripts(&root, &mut files);
    files.sort();
    // Every example is a test too; its trials are named `examples/...`.
    let mut examples = Vec::new();
    collect_scripts(&manifest.join("examples"), &mut examples);
    examples.sort();
    let trials = files
        .into_iter()
        .filter_map(|path| make_trial(&root, path))
        .chain(
            examples
                .into_iter()
                .filter_map(|path| make_trial(manifest, path)),
        )
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

/// Recursively collects every `*.con` file below `dir`.
fn collect_scripts(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_scripts(&path, out);
        } else if path.extension().is_some_and(|e| e == "con") {
            out.push(path);
        }
    }
}

fn make_trial(root: &Path, path: PathBuf) -> Option<Trial> {
    let name = path
        .strip_prefix(root)
        .unwrap_or(&path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    let source = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => {
            let msg = format!("cannot read {}: {e}", path.display());
            return Some(Trial::test(name, move || Err(msg.into())));
        }
    };
    let spec = Spec::parse(&String::from_utf8_lossy(&source));
    if spec.nontest {
        return None;
    }
    // Example servers without expectations run until stopped:
    // tests/io_e2e.rs drives them with real clients instead.
    let server_example = name.starts_with("examples/")
        && spec.stdout.is_empty()
        && String::from_utf8_lossy(&source).contains("tcplisten@");
    if server_example {
        return None;
    }
    let ignored = spec.skip.is_some();
    Some(Trial::test(name, move || run_script(&path, &spec)).with_ignored_flag(ignored))
}

/// The expectations of one script, parsed from its comments.
#[derive(Debug, Default)]
struct Spec {
    nontest: bool,
    skip: Option<String>,
    stdout: Vec<String>,
    unordered: Vec<String>,
    stdin: Vec<String>,
    args: Vec<String>,
    /// `# expect error:` — (line, message).
    compile_error: Option<(usize, String)>,
    /// `# expect runtime error:` — (line, message).
    runtime_error: Option<(usize, String)>,
    exit: Option<i32>,
    stderr: Vec<String>,
}

/// Annotation keywords, longest first where one is a prefix of another.
const KEYWORDS: &[&str] = &[
    "expect runtime error:",
    "expect error:",
    "expect exit:",
    "expect stderr:",
    "expect unordered:",
    "expect:",
    "stdin:",
    "args:",
    "skip:",
];

impl Spec {
    fn parse(source: &str) -> Spec {
        let mut spec = Spec::default();
        for (index, raw) in source.split('\n').enumerate() {
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            let lineno = index + 1;
            if line.trim() == "# nontest" {
                spec.nontest = true;
                continue;
            }
            let Some((keyword, value)) = find_annotation(line) else {
                continue;
            };
            let value = value.to_string();
            match keyword {
                "expect runtime error:" => {
                    spec.runtime_error
                        .get_or_insert((lineno, value.trim().to_string()));
                }
                "expect error:" => {
                    spec.compile_error
                        .get_or_insert((lineno, value.trim().to_string()));
                }
                "expect exit:" => match value.trim().parse() {
                    Ok(n) => spec.exit = Some(n),
                    Err(_) => panic!("line {lineno}: bad `# expect exit:` value {value:?}"),
                },
                "expect stderr:" => spec.stderr.push(value),
                "expect unordered:" => spec.unordered.push(value),
                "expect:" => spec.stdout.push(value),
                "stdin:" => spec.stdin.push(value),
                "args:" => spec.args.extend(value.split_whitespace().map(String::from)),
                "skip:" => spec.skip = Some(value),
                _ => unreachable!(),
            }
        }
        spec
    }
}

/// Finds the first `# KEYWORD` comment on a line and returns the keyword and
/// the text after it (one space after the colon is dropped).
fn find_annotation(line: &str) -> Option<(&'static str, &str)> {
    for (pos, _) in line.match_indices("# ") {
        let rest = &line[pos + 2..];
        for &keyword in KEYWORDS {
            if let Some(value) = rest.strip_prefix(keyword) {
                return Some((keyword, value.strip_prefix(' ').unwrap_or(value)));
            }
        }
    }
    None
}

struct Outcome {
    stdout: String,
    stderr: String,
    /// `None` when the process was killed by a signal.
    status: Option<i32>,
}

fn timeout() -> Duration {
    let secs = std::env::var("CON_TEST_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_TIMEOUT_SECS);
    Duration::from_secs(secs)
}

fn execute(path: &Path, spec: &Spec) -> Result<Outcome, Failed> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path.file_name().expect("script has a file name");
    let mut child = Command::new(env!("CARGO_BIN_EXE_con"))
        .arg(file_name)
        .args(&spec.args)
        .current_dir(dir)
        .env("CON_TEST", "1")
        .stdin(if spec.stdin.is_empty() {
            Stdio::null()
        } else {
            Stdio::piped()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot spawn con: {e}"))?;

    let stdin_thread = child.stdin.take().map(|mut pipe| {
        let mut input = String::new();
        for line in &spec.stdin {
            input.push_str(line);
            input.push('\n');
        }
        // The script may exit without reading its input: ignore EPIPE.
        thread::spawn(move || drop(pipe.write_all(input.as_bytes())))
    });
    let mut out_pipe = child.stdout.take().expect("stdout is piped");
    let mut err_pipe = child.stderr.take().expect("stderr is piped");
    let out_thread = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out_pipe.read_to_end(&mut buf);
        buf
    });
    let err_thread = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });

    let limit = timeout();
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() >= limit => {
                let _ = child.kill();
                let _ = child.wait();
                // Show what was printed so far, unless a grandchild still
                // holds the pipes open.
                let grace = Instant::now();
                while !(out_thread.is_finished() && err_thread.is_finished())
                    && grace.elapsed() < Duration::from_secs(1)
                {
                    thread::sleep(Duration::from_millis(5));
                }
                let mut msg = format!("timed out after {} s (child killed)", limit.as_secs());
                if out_thread.is_finished() && err_thread.is_finished() {
                    let stdout = out_thread.join().unwrap_or_default();
                    let stderr = err_thread.join().unwrap_or_default();
                    let _ = write!(
                        msg,
                        "\n--- stdout so far ---\n{}--- stderr so far ---\n{}",
                        String::from_utf8_lossy(&stdout),
                        String::from_utf8_lossy(&stderr)
                    );
                }
                return Err(msg.into());
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("waiting for con failed: {e}").into()),
        }
    };
    if let Some(t) = stdin_thread {
        let _ = t.join();
    }
    let stdout = out_thread.join().unwrap_or_default();
    let stderr = err_thread.join().unwrap_or_default();
    Ok(Outcome {
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        status: status.code(),
    })
}

fn run_script(path: &Path, spec: &Spec) -> Result<(), Failed> {
    let out = execute(path, spec)?;
    let mut problems = Vec::new();
    let actual = output_lines(&out.stdout);

    if let Some((line, msg)) = &spec.compile_error {
        let code = spec.exit.unwrap_or(1);
        if out.status != Some(code) {
            problems.push(format!("expected a compile error (exit status {code})"));
        }
        if !out.stderr.contains(msg.as_str()) {
            problems.push(format!("stderr does not contain the error message {msg:?}"));
        }
        if !out.stderr.contains(&format!(":{line}:")) {
            problems.push(format!("stderr does not contain the position `:{line}:`"));
        }
        if !out.stdout.is_empty() {
            problems.push("a script with a compile error must print nothing".to_string());
        }
    } else {
        let expected_status = if spec.runtime_error.is_some() { 1 } else { 0 };
        let expected_status = spec.exit.unwrap_or(expected_status);
        if out.status != Some(expected_status) {
            problems.push(format!("expected exit status {expected_status}"));
        }
        if let Some((line, msg)) = &spec.runtime_error {
            let last = out.stderr.lines().rev().find(|l| !l.trim().is_empty());
            if last != Some(msg.as_str()) {
                problems.push(format!(
                    "last stderr line is {:?}, expected {msg:?}",
                    last.unwrap_or("")
                ));
            }
            if !contains_line_ref(&out.stderr, *line) {
                problems.push(format!("stderr traceback does not mention `line {line}`"));
            }
        }
        if let Some(problem) = check_stdout(&spec.stdout, &spec.unordered, &actual) {
            problems.push(problem);
        }
    }
    for text in &spec.stderr {
        if !out.stderr.contains(text.as_str()) {
            problems.push(format!("stderr does not contain {text:?}"));
        }
    }

    if problems.is_empty() {
        return Ok(());
    }
    let mut msg = String::new();
    for p in &problems {
        let _ = writeln!(msg, "* {p}");
    }
    let _ = writeln!(msg, "\n--- stdout diff (- expected, + actual) ---");
    let mut expected_all = spec.stdout.clone();
    expected_all.extend(spec.unordered.iter().map(|l| format!("{l}    [unordered]")));
    msg.push_str(&diff(&expected_all, &actual));
    let _ = writeln!(msg, "--- stderr ---\n{}", out.stderr.trim_end());
    let status = match out.status {
        Some(code) => code.to_string(),
        None => "killed by a signal".to_string(),
    };
    let _ = writeln!(msg, "--- exit status: {status}");
    Err(msg.into())
}

/// Splits output into lines; a final newline does not start a new line.
fn output_lines(text: &str) -> Vec<String> {
    if text.is_empty() {
        return Vec::new();
    }
    let text = text.strip_suffix('\n').unwrap_or(text);
    text.split('\n').map(String::from).collect()
}

/// `line N` not followed by another digit.
fn contains_line_ref(stderr: &str, line: usize) -> bool {
    let needle = format!("line {line}");
    stderr
        .match_indices(&needle)
        .any(|(pos, _)| !stderr[pos + needle.len()..].starts_with(|c: char| c.is_ascii_digit()))
}

fn check_stdout(ordered: &[String], unordered: &[String], actual: &[String]) -> Option<String> {
    if unordered.is_empty() {
        return (ordered != actual).then(|| "stdout differs".to_string());
    }
    // The ordered lines must appear in order; the remaining lines must equal
    // the unordered ones as a multiset (independent of which occurrence of a
    // repeated line the greedy match picks).
    let mut rest = Vec::new();
    let mut want = ordered.iter().peekable();
    for line in actual {
        if want.peek() == Some(&line) {
            want.next();
        } else {
            rest.push(line.clone());
        }
    }
    if want.peek().is_some() {
        return Some("stdout lacks some `# expect:` lines (in order)".to_string());
    }
    let mut expected_rest = unordered.to_vec();
    expected_rest.sort();
    rest.sort();
    (expected_rest != rest).then(|| "unordered stdout lines differ".to_string())
}

/// A small LCS line diff; falls back to listing both sides for huge outputs.
fn diff(expected: &[String], actual: &[String]) -> String {
    let mut out = String::new();
    let (n, m) = (expected.len(), actual.len());
    if n.saturating_mul(m) > 4_000_000 {
        let _ = writeln!(
            out,
            "(output too long for a diff)\n--- expected ({n} lines)"
        );
        for l in expected {
            let _ = writeln!(out, "{l}");
        }
        let _ = writeln!(out, "--- actual ({m} lines)");
        for l in actual {
            let _ = writeln!(out, "{l}");
        }
        return out;
    }
    // lcs[i][j] = LCS length of expected[i..] and actual[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if expected[i] == actual[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && expected[i] == actual[j] {
            let _ = writeln!(out, "  {}", expected[i]);
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            let _ = writeln!(out, "+ {}", actual[j]);
            j += 1;
        } else {
            let _ = writeln!(out, "- {}", expected[i]);
            i += 1;
        }
    }
    out
}
