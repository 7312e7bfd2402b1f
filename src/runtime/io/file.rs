//! Buffered files and standard input under `open()` and `sys.stdin`
//! (SPEC §3.4, I/O): the byte-level state of a stream and the way a
//! thread's `read@()`/`write@()` hands its blocking part to the worker
//! pool.
//!
//! A stream's state (`Core`: descriptor, read-ahead and write-behind
//! buffers, position) is Send data behind a mutex. A plain call works on
//! it in place and blocks, as in Python. A `@` call finishes at once when
//! the buffers suffice; otherwise it parks its thread and a worker does
//! the system calls. For reads the worker only fills the read-ahead
//! buffer: the bytes are taken from it on the VM thread when the thread
//! is woken, so a read whose thread was interrupted meanwhile loses
//! nothing (the data stays buffered for the next read).
//!
//! One operation owns a stream at a time: `@` calls that find it busy
//! wait in the stream's queue and their jobs are submitted in order, one
//! at a time (so only one stdin read is ever out); an atomic call that
//! finds it busy raises AtomicityError, because it would have to wait.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use super::registry::{self, Job};
use super::wake_error;
use crate::builtins::str_methods::{unicode_error, Codec};
use crate::runtime::{Tid, Wake};
use crate::vm::error::{Error, ExcType, Res};
use crate::vm::value::Value;
use crate::vm::Vm;

/// Read-ahead and write-behind size, as CPython's DEFAULT_BUFFER_SIZE.
pub const CHUNK: usize = 8192;
/// The most one `read(2)` asks for (a huge `read(n)` loops).
const MAX_READ: usize = 1 << 20;
const BOM: &[u8] = b"\xef\xbb\xbf";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Enc {
    Utf8,
    Utf8Sig,
    Ascii,
    Latin1,
}

impl Enc {
    pub fn codec(self) -> Codec {
        match self {
            Enc::Utf8 | Enc::Utf8Sig => Codec::Utf8,
            Enc::Ascii => Codec::Ascii,
            Enc::Latin1 => Codec::Latin1,
        }
    }
}

/// The `newline` argument of `open()`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Newline {
    /// None: lines end at \n, \r or \r\n, all read as \n.
    Universal,
    /// '': lines end at \n, \r or \r\n, untranslated.
    Untranslated,
    Lf,
    Cr,
    CrLf,
}

/// How a stream decodes and splits what it reads.
#[derive(Clone, Copy, Debug)]
pub struct Cfg {
    pub text: bool,
    pub enc: Enc,
    pub newline: Newline,
    /// The codec error handler ("strict", "replace", ...).
    pub errors: &'static str,
}

impl Cfg {
    pub fn binary() -> Cfg {
        Cfg {
            text: false,
            enc: Enc::Latin1,
            newline: Newline::Lf,
            errors: "strict",
        }
    }
}

/// What a stream reads from and writes to.
pub enum Handle {
    File(File),
    /// The process's standard input (through std's own buffer, which the
    /// plain and the worker paths share).
    Stdin,
}

impl Handle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let r = match self {
                Handle::File(f) => f.read(buf),
                Handle::Stdin => io::stdin().lock().read(buf),
            };
            match r {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r,
            }
        }
    }

    fn read_to_end(&mut self, v: &mut Vec<u8>) -> io::Result<usize> {
        match self {
            Handle::File(f) => f.read_to_end(v),
            Handle::Stdin => io::stdin().lock().read_to_end(v),
        }
    }

    fn file(&mut self, errno: i32) -> io::Result<&mut File> {
        match self {
            Handle::File(f) => Ok(f),
            Handle::Stdin => Err(io::Error::from_raw_os_error(errno)),
        }
    }
}

/// One operation on a stream. Counts are bytes for binary streams and
/// characters for text; None means "to the end".
pub enum Op {
    Read(Option<usize>),
    Read1(Option<usize>),
    Line(Option<usize>),
    /// `readlines(hint)`.
    Lines(Option<usize>),
    Write(Vec<u8>),
    Flush,
    Close,
}

impl Op {
    fn is_read(&self) -> bool {
        matches!(
            self,
            Op::Read(_) | Op::Read1(_) | Op::Line(_) | Op::Lines(_)
        )
    }
}

/// The result of an operation, still undecoded.
pub enum Out {
    Done,
    Bytes(Vec<u8>),
    Lines(Vec<Vec<u8>>),
}

/// A strict decode failure in a chunk just read.
pub struct DecodeErr {
    enc: &'static str,
    chunk: Vec<u8>,
    start: usize,
    end: usize,
    why: &'static str,
}

pub enum CoreErr {
    Io(io::Error),
    Decode(DecodeErr),
    Closed,
    /// Another thread's `@` operation owns the stream.
    Busy,
}

impl From<io::Error> for CoreErr {
    fn from(e: io::Error) -> CoreErr {
        CoreErr::Io(e)
    }
}

/// The buffered state of an open stream. At most one of the read-ahead
/// buffer and the write-behind buffer holds bytes.
pub struct Core {
    h: Option<Handle>,
    cfg: Cfg,
    /// Read-ahead: `buf[rpos..checked]` is unread and decodable;
    /// `buf[checked..]` is an incomplete character still to be finished.
    buf: Vec<u8>,
    rpos: usize,
    checked: usize,
    /// The last read returned nothing (cleared once the buffer is used
    /// up, so the next read asks the descriptor again, as Python does).
    eof: bool,
    /// The file offset of `buf[0]`.
    rstart: u64,
    wbuf: Vec<u8>,
    /// The file offset `wbuf` goes to.
    wstart: u64,
    /// utf-8-sig: a BOM may still have to be skipped / written.
    sig_pending: bool,
    bom_write: bool,
    append: bool,
}

/// How much of [t] ends on a whole UTF-8 sequence (an incomplete one at
/// the end may be completed by the next read).
fn complete_len(t: &[u8]) -> usize {
    let n = t.len();
    for back in 1..=n.min(4) {
        let b = t[n - back];
        if b & 0xc0 != 0x80 {
            let need = match b {
                0xc2..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf4 => 4,
                _ => 1,
            };
            return if need > back { n - back } else { n };
        }
    }
    n
}

impl Core {
    /// A stream at file offset [pos].
    pub fn new(h: Handle, cfg: Cfg, pos: u64, append: bool) -> Core {
        let sig = cfg.text && cfg.enc == Enc::Utf8Sig && pos == 0;
        Core {
            h: Some(h),
            cfg,
            buf: Vec::new(),
            rpos: 0,
            checked: 0,
            eof: false,
            rstart: pos,
            wbuf: Vec::new(),
            wstart: pos,
            sig_pending: sig,
            bom_write: sig,
            append,
        }
    }

    fn avail_from(&self, from: usize) -> &[u8] {
        self.buf.get(from..self.checked).unwrap_or(&[])
    }

    /// Everything up to the end of input is in the buffer.
    fn at_end(&self) -> bool {
        self.eof && self.checked == self.buf.len()
    }

    fn translating(&self) -> bool {
        self.cfg.text && self.cfg.newline == Newline::Universal
    }

    /// The byte length of the character at `a[i]` (1 for binary data,
    /// single-byte codecs and undecodable bytes).
    fn unit(&self, a: &[u8], i: usize) -> usize {
        let b = a[i];
        if !self.cfg.text || b < 0x80 || matches!(self.cfg.enc, Enc::Latin1 | Enc::Ascii) {
            return 1;
        }
        let n = match b {
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => 1,
        };
        let mut k = 1;
        while k < n && i + k < a.len() && a[i + k] & 0xc0 == 0x80 {
            k += 1;
        }
        k
    }

    /// How many characters [b] decodes to (a translated \r\n is one).
    fn count_units(&self, b: &[u8]) -> usize {
        if !self.cfg.text {
            return b.len();
        }
        let (mut i, mut n) = (0, 0);
        while i < b.len() {
            if self.translating() && b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
                i += 2;
            } else {
                i += self.unit(b, i);
            }
            n += 1;
        }
        n
    }

    /// The end of `read(n)` in the buffer, if all of it is there.
    fn read_end(&self, n: Option<usize>) -> Option<usize> {
        if self.sig_pending {
            return None;
        }
        let a = self.avail_from(self.rpos);
        let done = self.at_end();
        let Some(n) = n else {
            return done.then_some(self.checked);
        };
        let bytewise = !self.cfg.text
            || (matches!(self.cfg.enc, Enc::Latin1 | Enc::Ascii) && !self.translating());
        if bytewise {
            return if a.len() >= n {
                Some(self.rpos + n)
            } else {
                done.then_some(self.checked)
            };
        }
        let (mut i, mut chars) = (0, 0);
        while chars < n {
            if i >= a.len() {
                return done.then_some(self.checked);
            }
            if a[i] == b'\r' && self.translating() {
                match a.get(i + 1) {
                    Some(b'\n') => i += 2,
                    Some(_) => i += 1,
                    None if done => i += 1,
                    None => return None,
                }
            } else {
                i += self.unit(a, i);
            }
            chars += 1;
        }
        Some(self.rpos + i)
    }

    /// The end of `read1(n)`: what is buffered, or one more read's worth.
    fn read1_end(&self, n: Option<usize>) -> Option<usize> {
        let a = self.avail_from(self.rpos).len();
        if a > 0 {
            return Some(self.rpos + n.map_or(a, |n| n.min(a)));
        }
        if n == Some(0) || self.at_end() {
            return Some(self.rpos);
        }
        None
    }

    /// The end of the line starting at [from] (at most [limit]
    /// characters), if the buffer holds all of it.
    fn line_end(&self, from: usize, limit: Option<usize>) -> Option<usize> {
        if self.sig_pending {
            return None;
        }
        let a = self.avail_from(from);
        let done = self.at_end();
        let mode = if self.cfg.text {
            self.cfg.newline
        } else {
            Newline::Lf
        };
        if limit.is_none() {
            let fast = match mode {
                Newline::Lf => Some(b'\n'),
                Newline::Cr => Some(b'\r'),
                _ => None,
            };
            if let Some(t) = fast {
                return match a.iter().position(|&c| c == t) {
                    Some(i) => Some(from + i + 1),
                    None => done.then_some(self.checked),
                };
            }
        }
        let (mut i, mut chars) = (0, 0);
        while i < a.len() {
            if limit == Some(chars) {
                return Some(from + i);
            }
            let c = a[i];
            let lf_ends = matches!(
                mode,
                Newline::Lf | Newline::Universal | Newline::Untranslated
            );
            if c == b'\n' && lf_ends {
                return Some(from + i + 1);
            }
            if c == b'\r' && mode == Newline::Cr {
                return Some(from + i + 1);
            }
            if c == b'\r' && mode != Newline::Lf {
                let next = a.get(i + 1).copied();
                if next.is_none() && !done {
                    // A \n may follow in the next read.
                    return None;
                }
                let pair = next == Some(b'\n');
                match mode {
                    Newline::Universal => return Some(from + i + if pair { 2 } else { 1 }),
                    Newline::Untranslated => {
                        let both = pair && limit != Some(chars + 1);
                        return Some(from + i + if both { 2 } else { 1 });
                    }
                    _ if pair => {
                        // CrLf: only the pair ends a line.
                        let both = limit != Some(chars + 1);
                        return Some(from + i + if both { 2 } else { 1 });
                    }
                    _ => {}
                }
            }
            i += self.unit(a, i);
            chars += 1;
        }
        if limit == Some(chars) {
            return Some(from + i);
        }
        done.then_some(self.checked)
    }

    /// The end of `readlines(hint)`, if the buffer holds enough lines.
    fn lines_end(&self, hint: Option<usize>) -> Option<usize> {
        let Some(hint) = hint else {
            return (self.at_end() && !self.sig_pending).then_some(self.checked);
        };
        let (mut from, mut total) = (self.rpos, 0);
        loop {
            let e = self.line_end(from, None)?;
            if e <= from {
                return Some(e);
            }
            total += self.count_units(&self.buf[from..e]);
            // IOBase.readlines: stop once the total exceeds the hint.
            if total > hint {
                return Some(e);
            }
            from = e;
        }
    }

    fn span(&self, op: &Op) -> Option<usize> {
        match op {
            Op::Read(n) => self.read_end(*n),
            Op::Read1(n) if self.cfg.text => self.read_end(*n),
            Op::Read1(n) => self.read1_end(*n),
            Op::Line(limit) => self.line_end(self.rpos, *limit),
            Op::Lines(hint) => self.lines_end(*hint),
            _ => None,
        }
    }

    /// True when [op] can complete without waiting for the descriptor.
    pub fn ready(&self, op: &Op) -> bool {
        match op {
            Op::Write(d) => self.wbuf.len() + d.len() < CHUNK,
            Op::Flush | Op::Close => self.wbuf.is_empty(),
            _ => self.span(op).is_some(),
        }
    }

    /// Does [op], blocking as long as it takes.
    pub fn perform(&mut self, op: &Op) -> Result<Out, CoreErr> {
        match op {
            Op::Write(d) => self.write(d).map(|()| Out::Done),
            Op::Flush => self.flush().map(|()| Out::Done),
            Op::Close => self.close().map(|()| Out::Done),
            _ => {
                self.fill_until(op)?;
                let end = self.span(op).unwrap_or(self.rpos);
                Ok(self.take(op, end))
            }
        }
    }

    /// Reads until [op] (a read) can be served from the buffer.
    fn fill_until(&mut self, op: &Op) -> Result<(), CoreErr> {
        while self.span(op).is_none() {
            self.fill(op)?;
        }
        Ok(())
    }

    fn take(&mut self, op: &Op, end: usize) -> Out {
        let end = end.clamp(self.rpos, self.buf.len());
        let out = if let Op::Lines(_) = op {
            let mut lines = Vec::new();
            let mut from = self.rpos;
            while from < end {
                let e = self.line_end(from, None).unwrap_or(end).min(end);
                if e <= from {
                    break;
                }
                lines.push(self.buf[from..e].to_vec());
                from = e;
            }
            Out::Lines(lines)
        } else {
            Out::Bytes(self.buf[self.rpos..end].to_vec())
        };
        self.rpos = end;
        if self.rpos >= self.buf.len() {
            self.eof = false;
        }
        out
    }

    /// One read from the descriptor into the buffer (to the end of input
    /// for `read()` and `readlines()`).
    fn fill(&mut self, op: &Op) -> Result<(), CoreErr> {
        self.flush()?;
        if self.rpos > 0 {
            self.buf.drain(..self.rpos);
            self.rstart += self.rpos as u64;
            self.checked -= self.rpos;
            self.rpos = 0;
        }
        let want = match op {
            Op::Read(None) | Op::Lines(None) => None,
            Op::Read(Some(n)) | Op::Read1(Some(n)) => {
                Some(n.saturating_sub(self.buf.len()).clamp(CHUNK, MAX_READ))
            }
            _ => Some(CHUNK),
        };
        let h = self.h.as_mut().ok_or(CoreErr::Closed)?;
        match want {
            None => {
                h.read_to_end(&mut self.buf)?;
                self.eof = true;
            }
            Some(want) => {
                let old = self.buf.len();
                self.buf.resize(old + want, 0);
                let r = h.read(&mut self.buf[old..]);
                let k = *r.as_ref().unwrap_or(&0);
                self.buf.truncate(old + k);
                r?;
                if k == 0 {
                    self.eof = true;
                }
            }
        }
        self.validate()?;
        self.skip_bom();
        Ok(())
    }

    /// Advances `checked` over the bytes just read; a strict codec
    /// rejects undecodable ones here, chunk by chunk, as CPython does.
    fn validate(&mut self) -> Result<(), CoreErr> {
        let len = self.buf.len();
        if !self.cfg.text || self.cfg.enc == Enc::Latin1 {
            self.checked = len;
            return Ok(());
        }
        let tail = &self.buf[self.checked..];
        let complete = if self.eof || self.cfg.enc == Enc::Ascii {
            tail.len()
        } else {
            complete_len(tail)
        };
        if self.cfg.errors != "strict" {
            self.checked += complete;
            return Ok(());
        }
        let bad = match self.cfg.enc {
            Enc::Ascii => tail
                .iter()
                .position(|&b| b >= 0x80)
                .map(|p| (p, 1, "ordinal not in range(128)")),
            _ => match std::str::from_utf8(&tail[..complete]) {
                Ok(_) => None,
                Err(e) => {
                    let p = e.valid_up_to();
                    Some(match e.error_len() {
                        None => (p, complete - p, "unexpected end of data"),
                        Some(n) => {
                            let lead = tail[p];
                            let why = if (0x80..0xc2).contains(&lead) || lead > 0xf4 {
                                "invalid start byte"
                            } else {
                                "invalid continuation byte"
                            };
                            (p, n, why)
                        }
                    })
                }
            },
        };
        let Some((start, n, why)) = bad else {
            self.checked += complete;
            return Ok(());
        };
        let err = DecodeErr {
            enc: self.cfg.enc.codec().name(),
            chunk: tail.to_vec(),
            start,
            end: start + n,
            why,
        };
        // The chunk is dropped, as CPython's decoder drops it; the buffer
        // restarts after it so positions stay right.
        self.rstart += len as u64;
        self.buf.clear();
        self.rpos = 0;
        self.checked = 0;
        Err(CoreErr::Decode(err))
    }

    fn skip_bom(&mut self) {
        if !self.sig_pending {
            return;
        }
        let a = self.avail_from(self.rpos);
        if a.len() >= 3 || self.at_end() || !BOM.starts_with(a) {
            if a.starts_with(BOM) {
                self.rpos += 3;
            }
            self.sig_pending = false;
        }
    }

    fn flush(&mut self) -> Result<(), CoreErr> {
        if self.wbuf.is_empty() {
            return Ok(());
        }
        let data = std::mem::take(&mut self.wbuf);
        let f = self.h.as_mut().ok_or(CoreErr::Closed)?.file(9)?;
        let r = f.write_all(&data);
        let end = self.wstart + data.len() as u64;
        // O_APPEND wrote at the end, wherever that was.
        self.rstart = if self.append {
            f.stream_position().unwrap_or(end)
        } else {
            end
        };
        self.wstart = self.rstart;
        r.map_err(CoreErr::Io)
    }

    /// Forgets the read-ahead, moving the descriptor back to the logical
    /// position (a write follows).
    fn drop_read_buffer(&mut self) -> Result<(), CoreErr> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let logical = self.rstart + self.rpos as u64;
        if self.rpos < self.buf.len() {
            let f = self.h.as_mut().ok_or(CoreErr::Closed)?.file(29)?;
            f.seek(SeekFrom::Start(logical))?;
        }
        self.rstart = logical;
        self.buf.clear();
        self.rpos = 0;
        self.checked = 0;
        self.eof = false;
        Ok(())
    }

    fn write(&mut self, data: &[u8]) -> Result<(), CoreErr> {
        if self.h.is_none() {
            return Err(CoreErr::Closed);
        }
        if self.cfg.text {
            // CPython's TextIOWrapper writes where its buffer's read-ahead
            // ended, not at the position of the text read so far.
            self.rstart += self.buf.len() as u64;
            self.buf.clear();
            self.rpos = 0;
            self.checked = 0;
            self.eof = false;
        } else {
            self.drop_read_buffer()?;
        }
        if self.wbuf.is_empty() {
            self.wstart = self.rstart;
        }
        if self.bom_write {
            if self.tell() == 0 {
                self.wbuf.extend_from_slice(BOM);
            }
            self.bom_write = false;
        }
        self.wbuf.extend_from_slice(data);
        if self.wbuf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    /// The logical position.
    pub fn tell(&self) -> u64 {
        if self.wbuf.is_empty() {
            self.rstart + self.rpos as u64
        } else {
            self.wstart + self.wbuf.len() as u64
        }
    }

    /// The logical position, after writing out what an append-mode
    /// stream buffered (its writes land at the end).
    pub fn tell_flushed(&mut self) -> Result<u64, CoreErr> {
        if self.append {
            self.flush()?;
        }
        Ok(self.tell())
    }

    /// Moves to [off] from the start (0), the current position (1) or
    /// the end (2).
    pub fn seek(&mut self, off: i64, whence: u8) -> Result<u64, CoreErr> {
        self.flush()?;
        let target = match (whence, (self.tell() as i64).checked_add(off)) {
            (0, _) if off >= 0 => SeekFrom::Start(off as u64),
            (1, Some(p)) if p >= 0 => SeekFrom::Start(p as u64),
            (2, _) => SeekFrom::End(off),
            _ => return Err(CoreErr::Io(io::Error::from_raw_os_error(22))),
        };
        let f = self.h.as_mut().ok_or(CoreErr::Closed)?.file(29)?;
        let p = f.seek(target)?;
        self.rstart = p;
        self.wstart = p;
        self.buf.clear();
        self.rpos = 0;
        self.checked = 0;
        self.eof = false;
        self.sig_pending = self.cfg.text && self.cfg.enc == Enc::Utf8Sig && p == 0;
        Ok(p)
    }

    /// Cuts the file at [size] (default: the position), which stays.
    pub fn truncate(&mut self, size: Option<u64>) -> Result<u64, CoreErr> {
        self.flush()?;
        self.drop_read_buffer()?;
        let size = size.unwrap_or(self.rstart);
        let f = self.h.as_mut().ok_or(CoreErr::Closed)?.file(22)?;
        f.set_len(size)?;
        Ok(size)
    }

    /// Writes out the buffer and closes the descriptor.
    pub fn close(&mut self) -> Result<(), CoreErr> {
        let r = if self.h.is_some() {
            self.flush()
        } else {
            Ok(())
        };
        self.h = None;
        self.buf = Vec::new();
        self.wbuf = Vec::new();
        self.rpos = 0;
        self.checked = 0;
        r
    }
}

// ----- ownership --------------------------------------------------------

/// A stream's core and who may use it.
pub struct Shared {
    state: Mutex<State>,
}

struct State {
    /// None while a worker has it.
    core: Option<Box<Core>>,
    /// The ticket of the operation that owns the core.
    owner: Option<u64>,
    /// `@` operations waiting for their turn, in order. Their jobs are
    /// submitted one at a time, so a waiting thread holds no worker.
    queue: VecDeque<Pending>,
    next: u64,
    /// Closed while busy: the last operation out closes the core.
    closing: bool,
}

/// A parked thread's operation, waiting for its turn.
struct Pending {
    ticket: u64,
    tid: Tid,
    token: u64,
    job: Job,
}

/// Streams opened on this thread, flushed when it ends: a file a
/// module global still holds at exit (never dropped if it sits in a
/// reference cycle) keeps what was written to it, as in Python.
struct OpenFiles(RefCell<Vec<Weak<Shared>>>);

impl Drop for OpenFiles {
    fn drop(&mut self) {
        for w in self.0.borrow().iter() {
            if let Some(s) = w.upgrade() {
                let _ = s.with_core(|c| c.flush());
            }
        }
    }
}

thread_local! {
    static OPEN_FILES: OpenFiles = const { OpenFiles(RefCell::new(Vec::new())) };
}

impl Shared {
    pub fn new(core: Core) -> Arc<Shared> {
        let s = Arc::new(Shared {
            state: Mutex::new(State {
                core: Some(Box::new(core)),
                owner: None,
                queue: VecDeque::new(),
                next: 0,
                closing: false,
            }),
        });
        let _ = OPEN_FILES.try_with(|o| {
            let mut v = o.0.borrow_mut();
            if v.len() >= 64 && v.len().is_power_of_two() {
                v.retain(|w| w.strong_count() > 0);
            }
            v.push(Arc::downgrade(&s));
        });
        s
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs [f] on the core now (an atomic call); Busy if an operation
    /// of another thread owns it.
    pub fn with_core<R>(
        &self,
        f: impl FnOnce(&mut Core) -> Result<R, CoreErr>,
    ) -> Result<R, CoreErr> {
        let mut st = self.lock();
        if st.owner.is_some() || !st.queue.is_empty() {
            return Err(CoreErr::Busy);
        }
        match st.core.as_mut() {
            Some(c) => f(c),
            None => Err(CoreErr::Busy),
        }
    }

    /// `close()`: now, or when the operations in progress have ended.
    pub fn close(&self) -> Result<(), CoreErr> {
        let mut st = self.lock();
        if st.owner.is_none() && st.queue.is_empty() {
            match st.core.as_mut() {
                Some(c) => c.close(),
                None => Ok(()),
            }
        } else {
            st.closing = true;
            Ok(())
        }
    }

    /// Forgets the waiting operation of thread [tid] (it was interrupted).
    pub fn cancel(&self, tid: Tid) {
        let gone: VecDeque<Pending> = {
            let mut st = self.lock();
            let (gone, keep) = std::mem::take(&mut st.queue)
                .into_iter()
                .partition(|p| p.tid == tid);
            st.queue = keep;
            gone
        };
        // Dropped unlocked: their turns end without ever having begun.
        drop(gone);
    }
}

/// How `sys.stdin` decodes: UTF-8, lines end at \n only (CPython on
/// POSIX).
pub fn stdin_cfg() -> Cfg {
    Cfg {
        text: true,
        enc: Enc::Utf8,
        newline: Newline::Lf,
        errors: "strict",
    }
}

/// The process's standard input, shared by every `sys.stdin`.
pub fn stdin_shared() -> Arc<Shared> {
    static STDIN: OnceLock<Arc<Shared>> = OnceLock::new();
    STDIN
        .get_or_init(|| Shared::new(Core::new(Handle::Stdin, stdin_cfg(), 0, false)))
        .clone()
}

/// An operation's turn on its stream. Dropping it (the operation ended,
/// or its thread stopped waiting for the result) starts the next
/// waiting operation's job.
struct Turn {
    shared: Arc<Shared>,
    ticket: u64,
    /// The VM thread, whose registry runs the next job.
    home: std::thread::ThreadId,
}

impl Turn {
    /// On a worker: the blocking part of [op]. A read only fills the
    /// buffer (Ok(None)); its bytes are taken on the VM thread.
    fn work(&self, op: &Op) -> Result<Option<Out>, CoreErr> {
        let mut core = {
            let mut st = self.shared.lock();
            if st.closing {
                return Err(CoreErr::Closed);
            }
            st.core.take().ok_or(CoreErr::Closed)?
        };
        let r = if op.is_read() {
            core.fill_until(op).map(|()| None)
        } else {
            core.perform(op).map(Some)
        };
        self.shared.lock().core = Some(core);
        r
    }

    /// On the VM thread: takes a filled read's bytes.
    fn finish_read(&self, op: &Op) -> Result<Out, CoreErr> {
        match self.shared.lock().core.as_mut() {
            Some(c) => c.perform(op),
            None => Err(CoreErr::Closed),
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let next = {
            let mut st = self.shared.lock();
            if st.owner != Some(self.ticket) {
                return;
            }
            st.owner = None;
            if std::thread::current().id() != self.home {
                None
            } else if let Some(p) = st.queue.pop_front() {
                st.owner = Some(p.ticket);
                Some(p)
            } else {
                if st.closing {
                    if let Some(c) = st.core.as_mut() {
                        let _ = c.close();
                    }
                }
                None
            }
        };
        if let Some(p) = next {
            registry::submit(p.tid, p.token, p.job);
        }
    }
}

/// Runs [f] on a stream's core for an atomic call. Outside a scheduler,
/// an operation left over by a thread that stopped waiting for it (its
/// job still out) is waited for first: nothing else could run meanwhile.
pub fn run_atomic<R>(
    vm: &mut Vm,
    shared: &Shared,
    what: &str,
    mut f: impl FnMut(&mut Core) -> Result<R, CoreErr>,
) -> Res<R> {
    loop {
        match shared.with_core(&mut f) {
            Err(CoreErr::Busy) if vm.sched.is_none() && registry::busy() => vm.poll_io(None),
            r => return r.map_err(|e| core_error(vm, e, what)),
        }
    }
}

/// Builds an operation's result on the VM thread.
pub type Finish = Box<dyn FnOnce(&mut Vm, Out) -> Res<Value> + Send>;

/// The `@` form of an operation (after `begin_switch`): done at once if
/// the buffers suffice, otherwise the thread parks while a worker does
/// the blocking part, and wakes with [finish]'s value.
pub fn start(
    vm: &mut Vm,
    shared: &Arc<Shared>,
    what: &'static str,
    obj: Option<Value>,
    op: Op,
    finish: Finish,
) -> Res<Value> {
    let mut st = shared.lock();
    let free = st.owner.is_none() && st.queue.is_empty();
    if free {
        if let Some(core) = st.core.as_mut() {
            if core.ready(&op) {
                let r = core.perform(&op);
                drop(st);
                return match r {
                    Ok(out) => finish(vm, out),
                    Err(e) => Err(core_error(vm, e, what)),
                };
            }
        }
    }
    let ticket = st.next;
    st.next += 1;
    let turn = Turn {
        shared: shared.clone(),
        ticket,
        home: std::thread::current().id(),
    };
    let job: Job = Box::new(move || {
        let r = turn.work(&op);
        Box::new(move |vm: &mut Vm| {
            let r = match r {
                Ok(Some(out)) => Ok(out),
                Ok(None) => turn.finish_read(&op),
                Err(e) => Err(e),
            };
            // The next waiting operation may start now.
            drop(turn);
            let v = match r {
                Ok(out) => finish(vm, out),
                Err(e) => Err(core_error(vm, e, what)),
            };
            match v {
                Ok(v) => Wake::Handoff(v),
                Err(e) => wake_error(vm, e),
            }
        })
    });
    let (tid, token) = vm.park(what, obj);
    if free {
        st.owner = Some(ticket);
        drop(st);
        registry::submit(tid, token, job);
    } else {
        st.queue.push_back(Pending {
            ticket,
            tid,
            token,
            job,
        });
    }
    Err(Error::Suspend)
}

/// The Python exception for [e], raised by operation [what].
pub fn core_error(vm: &mut Vm, e: CoreErr, what: &str) -> Error {
    match e {
        CoreErr::Io(e) => crate::builtins::mod_io::os_error(vm, &e, None, None),
        CoreErr::Closed => Error::value_error("I/O operation on closed file."),
        CoreErr::Busy => {
            let hint = match what {
                "seek" | "tell" | "truncate" => String::new(),
                "next" => ": iterate with for@".to_string(),
                _ => format!(": call {what}@()"),
            };
            Error::new(
                ExcType::AtomicityError,
                format!("{what}() would wait for another thread's I/O on this file, and an atomic call cannot wait{hint}"),
            )
        }
        CoreErr::Decode(d) => {
            let what = if d.end - d.start == 1 {
                format!(
                    "byte 0x{:02x} in position {}",
                    d.chunk.get(d.start).copied().unwrap_or(0),
                    d.start
                )
            } else {
                format!("bytes in position {}-{}", d.start, d.end - 1)
            };
            let msg = format!("'{}' codec can't decode {what}: {}", d.enc, d.why);
            unicode_error(
                vm,
                ExcType::UnicodeDecodeError,
                msg,
                d.enc,
                Value::bytes(d.chunk),
                d.start,
                d.end,
                d.why,
            )
        }
    }
}
