//! Reports on the cactus stack: the deadlock message, the SIGQUIT dump and
//! `con.threads()`.

use std::fmt::Write;

use super::thread::{State, Thread, Tid, Wake};
use crate::vm::frame::Frame;
use crate::vm::value::Value;
use crate::vm::Vm;

/// One frame as (file, line, function, source line).
pub type FrameInfo = (String, usize, String, String);

fn frame_info(f: &Frame) -> FrameInfo {
    let line = f.code.line_at(f.ip.saturating_sub(1));
    (
        f.code.file.name.clone(),
        line,
        f.code.name.as_str().to_string(),
        f.code.file.line_text(line).trim().to_string(),
    )
}

impl Vm {
    /// The frames of thread [tid], outermost first (the running thread's
    /// frames are in the VM).
    fn thread_frames(&self, tid: Tid, t: &Thread) -> Vec<FrameInfo> {
        self.frames_of(tid, t).iter().map(frame_info).collect()
    }

    /// A thread's frames: in the VM while it runs, else in its record.
    fn frames_of<'a>(&'a self, tid: Tid, t: &'a Thread) -> &'a Vec<Frame> {
        let running =
            self.sched.as_ref().is_some_and(|s| s.current == tid) && t.state == State::Running;
        if running {
            &self.frames
        } else {
            &t.frames
        }
    }

    fn thread_name(&self, tid: Tid, t: &Thread) -> String {
        let running =
            self.sched.as_ref().is_some_and(|s| s.current == tid) && t.state == State::Running;
        let frames = if running { &self.frames } else { &t.frames };
        match (frames.first(), &t.wake) {
            (Some(f), _) => f.code.name.as_str().to_string(),
            (None, Wake::Start(func)) => callable_name(func),
            (None, Wake::StartKw(c)) => callable_name(&c.func),
            // A thread whose root call is a built-in has no frames.
            _ if t.state == State::Blocked => t.what.to_string(),
            _ => "built-in".to_string(),
        }
    }

    /// What thread [t] is doing, in words.
    fn thread_status(&self, t: &Thread) -> String {
        match t.state {
            State::Running => "running".to_string(),
            State::Runnable => match t.wake {
                Wake::Start(_) | Wake::StartKw(_) => "not started yet".to_string(),
                _ => "runnable".to_string(),
            },
            State::Blocked => match t.wait_obj() {
                _ if t.what == "join" => {
                    let depth = t.frames.len().saturating_sub(1) as u32;
                    let n = t
                        .groups()
                        .iter()
                        .find(|g| g.depth == depth)
                        .map_or(0, |g| g.live);
                    format!("waits to join {n} sibling{}", if n == 1 { "" } else { "s" })
                }
                Some(obj) if !obj.is_none() => {
                    format!("waits in {} on {}", t.what, describe_obj(obj))
                }
                _ => format!("waits in {}", t.what),
            },
        }
    }

    /// Text listing every thread with its state and stack.
    pub fn threads_text(&self) -> String {
        let mut out = String::new();
        let Some(s) = &self.sched else {
            let _ = writeln!(out, "thread 1 (main), outside a scheduler:");
            for (file, line, name, text) in self.frames.iter().map(frame_info) {
                let _ = writeln!(out, "    File \"{file}\", line {line}, in {name}");
                if !text.is_empty() {
                    let _ = writeln!(out, "      {text}");
                }
            }
            return out;
        };
        for tid in s.tids_in_order() {
            let Some(t) = s.thread(tid) else { continue };
            let _ = write!(
                out,
                "  thread {} ({}) {}",
                t.serial,
                self.thread_name(tid, t),
                self.thread_status(t)
            );
            if let Some(c) = &t.creator {
                if let Some(p) = s.thread(c.tid) {
                    let line = self
                        .frames_of(c.tid, p)
                        .get(c.depth() as usize)
                        .map_or(0, |f| f.code.line_at(c.ip as usize));
                    let _ = write!(out, ", started by thread {} at line {line}", p.serial);
                }
            }
            out.push('\n');
            for (file, line, name, text) in self.thread_frames(tid, t) {
                let _ = writeln!(out, "    File \"{file}\", line {line}, in {name}");
                if !text.is_empty() {
                    let _ = writeln!(out, "      {text}");
                }
            }
        }
        out
    }

    /// The DeadlockError message.
    pub fn deadlock_report(&self) -> String {
        let n = self.sched.as_ref().map_or(0, |s| s.live);
        format!(
            "no thread can run: {n} thread{} blocked, and no timer or I/O can wake one\n{}",
            if n == 1 { " is" } else { "s are" },
            self.threads_text().trim_end()
        )
    }

    /// SIGQUIT: prints every thread's stack to stderr; the program goes on.
    pub fn dump_threads(&mut self) {
        self.flush_out();
        let n = self.sched.as_ref().map_or(1, |s| s.live);
        eprintln!("con: {n} thread{}:", if n == 1 { "" } else { "s" });
        eprint!("{}", self.threads_text());
    }

    /// `con.threads()`: a list of dicts, one per live thread.
    pub fn threads_snapshot(&mut self) -> Value {
        let mut rows = Vec::new();
        let Some(s) = &self.sched else {
            return Value::list(rows);
        };
        let mut data = Vec::new();
        for tid in s.tids_in_order() {
            let Some(t) = s.thread(tid) else { continue };
            let parent = t
                .creator
                .as_ref()
                .and_then(|c| s.thread(c.tid))
                .map(|p| p.serial);
            data.push((
                t.serial,
                self.thread_name(tid, t),
                parent,
                self.thread_status(t),
                self.thread_frames(tid, t),
            ));
        }
        for (serial, name, parent, status, frames) in data {
            let frames: Vec<Value> = frames
                .into_iter()
                .map(|(file, line, name, _)| {
                    Value::tuple(vec![
                        Value::string(file),
                        Value::Int(line as i64),
                        Value::string(name),
                    ])
                })
                .collect();
            let pairs = vec![
                Value::str("id"),
                Value::Int(serial as i64),
                Value::str("name"),
                Value::string(name),
                Value::str("parent"),
                parent.map_or(Value::None, |p| Value::Int(p as i64)),
                Value::str("state"),
                Value::string(status),
                Value::str("frames"),
                Value::list(frames),
            ];
            if let Ok(d) = self.new_dict_from_pairs(pairs) {
                rows.push(d);
            }
        }
        Value::list(rows)
    }
}

fn describe_obj(v: &Value) -> String {
    let name = match v {
        Value::Object(o) => o.type_name().to_string(),
        other => other.type_name().to_string(),
    };
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

fn callable_name(v: &Value) -> String {
    match v {
        Value::Function(f) => f.code.name.as_str().to_string(),
        Value::Native(n) => n.name.to_string(),
        Value::BoundMethod(m) => callable_name(&m.func),
        other => other.type_name().to_string(),
    }
}
