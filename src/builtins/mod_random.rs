//! The `random` module: CPython's Mersenne Twister (MT19937) with the same
//! seeding and the same algorithms on top, so seeded sequences are equal
//! to CPython 3.11's.

use std::cell::RefCell;
use std::rc::Rc;

use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive};

use super::mod_math::{to_float, to_int};
use super::{add_method, arg_or_kw, check_args, kwarg};
use crate::syntax::ast::BinOp;
use crate::vm::error::{Error, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

const N: usize = 624;
const M: usize = 397;

/// The generator state plus `gauss_next`.
pub struct Mt {
    mt: [u32; N],
    index: usize,
    gauss_next: Option<f64>,
}

impl Mt {
    fn new() -> Mt {
        let mut m = Mt {
            mt: [0; N],
            index: N,
            gauss_next: None,
        };
        m.init_genrand(5489);
        m
    }

    fn init_genrand(&mut self, s: u32) {
        self.mt[0] = s;
        for i in 1..N {
            let p = self.mt[i - 1];
            self.mt[i] = 1812433253u32
                .wrapping_mul(p ^ (p >> 30))
                .wrapping_add(i as u32);
        }
        self.index = N;
    }

    fn init_by_array(&mut self, key: &[u32]) {
        self.init_genrand(19650218);
        let (mut i, mut j) = (1usize, 0usize);
        let len = key.len().max(1);
        for _ in 0..N.max(len) {
            let p = self.mt[i - 1];
            let k = key.get(j).copied().unwrap_or(0);
            self.mt[i] = (self.mt[i] ^ (p ^ (p >> 30)).wrapping_mul(1664525))
                .wrapping_add(k)
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                self.mt[0] = self.mt[N - 1];
                i = 1;
            }
            if j >= len {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let p = self.mt[i - 1];
            self.mt[i] =
                (self.mt[i] ^ (p ^ (p >> 30)).wrapping_mul(1566083941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                self.mt[0] = self.mt[N - 1];
                i = 1;
            }
        }
        self.mt[0] = 0x80000000;
    }

    fn next_u32(&mut self) -> u32 {
        const UPPER: u32 = 0x80000000;
        const LOWER: u32 = 0x7fffffff;
        let mag = |y: u32| if y & 1 == 1 { 0x9908b0dfu32 } else { 0 };
        if self.index >= N {
            let mt = &mut self.mt;
            for kk in 0..N - M {
                let y = (mt[kk] & UPPER) | (mt[kk + 1] & LOWER);
                mt[kk] = mt[kk + M] ^ (y >> 1) ^ mag(y);
            }
            for kk in N - M..N - 1 {
                let y = (mt[kk] & UPPER) | (mt[kk + 1] & LOWER);
                mt[kk] = mt[kk + M - N] ^ (y >> 1) ^ mag(y);
            }
            let y = (mt[N - 1] & UPPER) | (mt[0] & LOWER);
            mt[N - 1] = mt[M - 1] ^ (y >> 1) ^ mag(y);
            self.index = 0;
        }
        let mut y = self.mt[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^ (y >> 18)
    }

    fn random(&mut self) -> f64 {
        let a = (self.next_u32() >> 5) as f64;
        let b = (self.next_u32() >> 6) as f64;
        (a * 67108864.0 + b) * (1.0 / 9007199254740992.0)
    }

    /// getrandbits(k) for k <= 64.
    fn bits64(&mut self, k: u32) -> u64 {
        if k == 0 {
            0
        } else if k <= 32 {
            (self.next_u32() >> (32 - k)) as u64
        } else {
            let lo = self.next_u32() as u64;
            let hi = (self.next_u32() >> (64 - k)) as u64;
            lo | (hi << 32)
        }
    }

    fn bits_big(&mut self, k: u64) -> BigInt {
        if k <= 64 {
            return BigInt::from(self.bits64(k as u32));
        }
        let words = k.div_ceil(32);
        let mut out = Vec::with_capacity(words as usize);
        let mut left = k;
        for _ in 0..words {
            let mut r = self.next_u32();
            if left < 32 {
                r >>= 32 - left;
            }
            out.push(r);
            left = left.saturating_sub(32);
        }
        BigInt::from_slice(num_bigint::Sign::Plus, &out)
    }

    /// `_randbelow_with_getrandbits(n)` for 0 < n < 2**64.
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let k = 64 - n.leading_zeros();
        loop {
            let r = self.bits64(k);
            if r < n {
                return r;
            }
        }
    }

    fn below_big(&mut self, n: &BigInt) -> BigInt {
        if let Some(s) = n.to_u64() {
            return BigInt::from(self.below(s));
        }
        let k = n.bits();
        loop {
            let r = self.bits_big(k);
            if &r < n {
                return r;
            }
        }
    }
}

/// The native state of a `Random` instance.
pub struct MtState {
    pub mt: RefCell<Mt>,
}

impl NativeObject for MtState {
    fn type_name(&self) -> &str {
        "_MtState"
    }
}

/// The MtState payload of a Random instance (or of a subclass instance).
fn payload(v: &Value) -> Res<Value> {
    let mut cur = v.clone();
    for _ in 0..4 {
        let next = match &cur {
            Value::Instance(i) => {
                if i.payload.borrow().is_undef() {
                    let st = Value::object(MtState {
                        mt: RefCell::new(Mt::new()),
                    });
                    if let Some(s) = downcast::<MtState>(&st) {
                        s.mt.borrow_mut().init_by_array(&entropy_key());
                    }
                    *i.payload.borrow_mut() = st;
                }
                i.payload.borrow().clone()
            }
            _ => break,
        };
        if downcast::<MtState>(&next).is_some() {
            return Ok(next);
        }
        cur = next;
    }
    Err(Error::type_error(
        "descriptor requires a 'random.Random' object",
    ))
}

macro_rules! st {
    ($p:ident, $args:expr) => {
        let $p = payload(&$args[0])?;
        let $p = downcast::<MtState>(&$p).ok_or_else(|| Error::type_error("bad Random"))?;
    };
}

// ----- SHA-512, for str/bytes seeds ---------------------------------------------

const K512: [u64; 80] = [
    0x428a2f98d728ae22,
    0x7137449123ef65cd,
    0xb5c0fbcfec4d3b2f,
    0xe9b5dba58189dbbc,
    0x3956c25bf348b538,
    0x59f111f1b605d019,
    0x923f82a4af194f9b,
    0xab1c5ed5da6d8118,
    0xd807aa98a3030242,
    0x12835b0145706fbe,
    0x243185be4ee4b28c,
    0x550c7dc3d5ffb4e2,
    0x72be5d74f27b896f,
    0x80deb1fe3b1696b1,
    0x9bdc06a725c71235,
    0xc19bf174cf692694,
    0xe49b69c19ef14ad2,
    0xefbe4786384f25e3,
    0x0fc19dc68b8cd5b5,
    0x240ca1cc77ac9c65,
    0x2de92c6f592b0275,
    0x4a7484aa6ea6e483,
    0x5cb0a9dcbd41fbd4,
    0x76f988da831153b5,
    0x983e5152ee66dfab,
    0xa831c66d2db43210,
    0xb00327c898fb213f,
    0xbf597fc7beef0ee4,
    0xc6e00bf33da88fc2,
    0xd5a79147930aa725,
    0x06ca6351e003826f,
    0x142929670a0e6e70,
    0x27b70a8546d22ffc,
    0x2e1b21385c26c926,
    0x4d2c6dfc5ac42aed,
    0x53380d139d95b3df,
    0x650a73548baf63de,
    0x766a0abb3c77b2a8,
    0x81c2c92e47edaee6,
    0x92722c851482353b,
    0xa2bfe8a14cf10364,
    0xa81a664bbc423001,
    0xc24b8b70d0f89791,
    0xc76c51a30654be30,
    0xd192e819d6ef5218,
    0xd69906245565a910,
    0xf40e35855771202a,
    0x106aa07032bbd1b8,
    0x19a4c116b8d2d0c8,
    0x1e376c085141ab53,
    0x2748774cdf8eeb99,
    0x34b0bcb5e19b48a8,
    0x391c0cb3c5c95a63,
    0x4ed8aa4ae3418acb,
    0x5b9cca4f7763e373,
    0x682e6ff3d6b2b8a3,
    0x748f82ee5defb2fc,
    0x78a5636f43172f60,
    0x84c87814a1f0ab72,
    0x8cc702081a6439ec,
    0x90befffa23631e28,
    0xa4506cebde82bde9,
    0xbef9a3f7b2c67915,
    0xc67178f2e372532b,
    0xca273eceea26619c,
    0xd186b8c721c0c207,
    0xeada7dd6cde0eb1e,
    0xf57d4f7fee6ed178,
    0x06f067aa72176fba,
    0x0a637dc5a2c898a6,
    0x113f9804bef90dae,
    0x1b710b35131c471b,
    0x28db77f523047d84,
    0x32caab7b40c72493,
    0x3c9ebe0a15c9bebc,
    0x431d67c49c100d4c,
    0x4cc5d4becb3e42b6,
    0x597f299cfc657e2a,
    0x5fcb6fab3ad6faec,
    0x6c44198c4a475817,
];

fn sha512(data: &[u8]) -> [u8; 64] {
    let mut h: [u64; 8] = [
        0x6a09e667f3bcc908,
        0xbb67ae8584caa73b,
        0x3c6ef372fe94f82b,
        0xa54ff53a5f1d36f1,
        0x510e527fade682d1,
        0x9b05688c2b3e6c1f,
        0x1f83d9abfb41bd6b,
        0x5be0cd19137e2179,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 128 != 112 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u128) * 8).to_be_bytes());
    for block in msg.chunks(128) {
        let mut w = [0u64; 80];
        for (i, c) in block.chunks(8).enumerate() {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            w[i] = u64::from_be_bytes(b);
        }
        for i in 16..80 {
            let s0 = w[i - 15].rotate_right(1) ^ w[i - 15].rotate_right(8) ^ (w[i - 15] >> 7);
            let s1 = w[i - 2].rotate_right(19) ^ w[i - 2].rotate_right(61) ^ (w[i - 2] >> 6);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..80 {
            let s1 = v[4].rotate_right(14) ^ v[4].rotate_right(18) ^ v[4].rotate_right(41);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K512[i])
                .wrapping_add(w[i]);
            let s0 = v[0].rotate_right(28) ^ v[0].rotate_right(34) ^ v[0].rotate_right(39);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [
                v[0],
                v[0],
                v[1],
                v[2],
                v[3].wrapping_add(t1),
                v[4],
                v[5],
                v[6],
            ];
            v[0] = t1.wrapping_add(t2);
        }
        for i in 0..8 {
            h[i] = h[i].wrapping_add(v[i]);
        }
    }
    let mut out = [0u8; 64];
    for (i, x) in h.iter().enumerate() {
        out[i * 8..i * 8 + 8].copy_from_slice(&x.to_be_bytes());
    }
    out
}

fn entropy_key() -> Vec<u32> {
    use std::io::Read;
    let mut buf = [0u8; 64];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        if f.read_exact(&mut buf).is_ok() {
            return buf
                .chunks(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
        }
    }
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let addr = &buf as *const _ as usize as u128;
    let x = t ^ (addr << 64) ^ (std::process::id() as u128) << 32;
    (0..4).map(|i| (x >> (32 * i)) as u32).collect()
}

fn key_of(b: &BigInt) -> Vec<u32> {
    let d = b.magnitude().to_u32_digits();
    if d.is_empty() {
        vec![0]
    } else {
        d
    }
}

fn seed_mt(vm: &mut Vm, mt: &MtState, a: Option<&Value>) -> Res<()> {
    let key =
        match a {
            None | Some(Value::None) => entropy_key(),
            Some(Value::Int(i)) => key_of(&BigInt::from(*i)),
            Some(Value::BigInt(b)) => key_of(b),
            Some(v @ (Value::Str(_) | Value::Bytes(_) | Value::ByteArray(_))) => {
                let mut bytes = match v {
                    Value::Str(s) => s.as_str().as_bytes().to_vec(),
                    _ => vm.bytes_of(v)?,
                };
                let digest = sha512(&bytes);
                bytes.extend_from_slice(&digest);
                key_of(&BigInt::from_bytes_be(num_bigint::Sign::Plus, &bytes))
            }
            Some(v @ (Value::Float(_) | Value::Bool(_))) => {
                let h = vm.hash(v)?;
                key_of(&BigInt::from(h))
            }
            Some(v @ Value::Instance(_)) if crate::vm::ops::payload_of(v).is_some() => {
                let p = crate::vm::ops::payload_of(v).unwrap_or(Value::None);
                return seed_mt(vm, mt, Some(&p));
            }
            Some(_) => return Err(Error::type_error(
                "The only supported seed types are: None,\nint, float, str, bytes, and bytearray.",
            )),
        };
    let mut m = mt.mt.borrow_mut();
    m.init_by_array(&key);
    m.gauss_next = None;
    Ok(())
}

// ----- methods -------------------------------------------------------------------

/// A fresh state seeded from [seed] (entropy when None).
fn new_state(vm: &mut Vm, seed: Option<&Value>) -> Res<Value> {
    let st = MtState {
        mt: RefCell::new(Mt::new()),
    };
    seed_mt(vm, &st, seed)?;
    Ok(Value::object(st))
}

/// `Random.__init__(self, x=None)`: installs the native state.
fn r_init(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("Random", args, 1, 2)?;
    let st = new_state(vm, arg_or_kw(&args[1..], kw, 0, "x"))?;
    match &args[0] {
        Value::Instance(i) => *i.payload.borrow_mut() = st,
        _ => {
            return Err(Error::type_error(
                "descriptor '__init__' requires a 'random.Random' object",
            ))
        }
    }
    Ok(Value::None)
}

fn r_seed(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("seed", args, 1, 3)?;
    st!(s, args);
    seed_mt(vm, s, arg_or_kw(&args[1..], kw, 0, "a"))?;
    Ok(Value::None)
}

fn r_random(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("random", args, 1, 1)?;
    st!(s, args);
    let r = s.mt.borrow_mut().random();
    Ok(Value::float(r))
}

fn r_getrandbits(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("getrandbits", args, 2, 2)?;
    st!(s, args);
    let k = vm.index_value(&args[1])?;
    if k < 0 {
        return Err(Error::value_error("number of bits must be non-negative"));
    }
    if k > 1 << 35 {
        return Err(Error::memory_error(""));
    }
    let r = s.mt.borrow_mut().bits_big(k as u64);
    Ok(Value::bigint(r))
}

fn r_randbytes(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("randbytes", args, 2, 2)?;
    st!(s, args);
    let n = vm.index_value(&args[1])?;
    if n < 0 {
        return Err(Error::value_error("number of bits must be non-negative"));
    }
    if n > 1 << 32 {
        return Err(Error::memory_error(""));
    }
    let r = s.mt.borrow_mut().bits_big(n as u64 * 8);
    let mut b = r.to_bytes_le().1;
    b.resize(n as usize, 0);
    Ok(Value::bytes(b))
}

/// An integer argument of randrange (integral floats are accepted).
fn range_arg(vm: &mut Vm, v: &Value, what: &str) -> Res<BigInt> {
    if let Value::Float(f) = v {
        if f.get().fract() == 0.0 && f.get().is_finite() {
            return Ok(num_traits::FromPrimitive::from_f64(f.get()).unwrap_or_default());
        }
        return Err(Error::value_error(format!(
            "non-integer {what} for randrange()"
        )));
    }
    to_int(vm, v)
}

fn randrange_impl(
    vm: &mut Vm,
    s: &MtState,
    start: &Value,
    stop: Option<&Value>,
    step: Option<&Value>,
) -> Res<Value> {
    // Fast path: small ints, step 1.
    if let (Value::Int(a), Some(Value::Int(b)), None) = (start, stop, step) {
        let width = *b as i128 - *a as i128;
        if width > 0 && width < (1i128 << 63) {
            let r = s.mt.borrow_mut().below(width as u64);
            return Ok(Value::Int((*a as i128 + r as i128) as i64));
        }
    }
    let istart = range_arg(vm, start, "arg 1")?;
    let Some(stop) = stop.filter(|v| !v.is_none()) else {
        if step.is_some_and(|s| !matches!(s, Value::Int(1))) {
            return Err(Error::type_error("Missing a non-None stop argument"));
        }
        if istart.is_positive() {
            return Ok(Value::bigint(s.mt.borrow_mut().below_big(&istart)));
        }
        return Err(Error::value_error("empty range for randrange()"));
    };
    let istop = range_arg(vm, stop, "stop")?;
    let width = &istop - &istart;
    let istep = match step {
        Some(v) => range_arg(vm, v, "step")?,
        None => BigInt::from(1),
    };
    if istep == BigInt::from(1) {
        if width.is_positive() {
            return Ok(Value::bigint(&istart + s.mt.borrow_mut().below_big(&width)));
        }
        return Err(Error::value_error(format!(
            "empty range for randrange() ({istart}, {istop}, {width})"
        )));
    }
    let n = if istep.is_positive() {
        num_integer::Integer::div_floor(&(&width + &istep - 1), &istep)
    } else if istep.is_negative() {
        num_integer::Integer::div_floor(&(&width + &istep + 1), &istep)
    } else {
        return Err(Error::value_error("zero step for randrange()"));
    };
    if !n.is_positive() {
        return Err(Error::value_error("empty range for randrange()"));
    }
    let r = s.mt.borrow_mut().below_big(&n);
    Ok(Value::bigint(istart + istep * r))
}

fn r_randrange(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("randrange", args, 2, 4)?;
    st!(s, args);
    let start = args[1].clone();
    let stop = arg_or_kw(args, kw, 2, "stop").cloned();
    let step = arg_or_kw(args, kw, 3, "step").cloned();
    randrange_impl(vm, s, &start, stop.as_ref(), step.as_ref())
}

fn r_randint(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("randint", args, 3, 3)?;
    st!(s, args);
    let b1 = vm.binary(BinOp::Add, args[2].clone(), Value::Int(1))?;
    randrange_impl(vm, s, &args[1], Some(&b1), None)
}

fn below_usize(s: &MtState, n: usize) -> usize {
    s.mt.borrow_mut().below(n as u64) as usize
}

fn r_choice(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("choice", args, 2, 2)?;
    st!(s, args);
    let seq = &args[1];
    let n = super::functions::length(vm, seq)?;
    if n == 0 {
        return Err(Error::index_error("Cannot choose from an empty sequence"));
    }
    let i = below_usize(s, n);
    vm.getitem(seq, &Value::Int(i as i64))
}

fn r_shuffle(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("shuffle", args, 2, 2)?;
    st!(s, args);
    if let Value::List(l) = &args[1] {
        let n = l.items.borrow().len();
        for i in (1..n).rev() {
            let j = below_usize(s, i + 1);
            l.items.borrow_mut().swap(i, j);
        }
        return Ok(Value::None);
    }
    let x = &args[1];
    let n = super::functions::length(vm, x)?;
    for i in (1..n).rev() {
        let j = below_usize(s, i + 1);
        let (vi, vj) = (Value::Int(i as i64), Value::Int(j as i64));
        let a = vm.getitem(x, &vj)?;
        let b = vm.getitem(x, &vi)?;
        vm.setitem(x, vi, a)?;
        vm.setitem(x, vj, b)?;
    }
    Ok(Value::None)
}

fn r_sample(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("sample", args, 2, 3)?;
    st!(s, args);
    let pop = args[1].clone();
    let is_seq = match &pop {
        Value::List(_)
        | Value::Tuple(_)
        | Value::Str(_)
        | Value::Range(_)
        | Value::Bytes(_)
        | Value::ByteArray(_) => true,
        Value::Instance(i) => {
            let g = vm.intern_static("__getitem__");
            i.class.lookup(&g).is_some()
                || crate::vm::ops::payload_of(&pop)
                    .is_some_and(|p| !matches!(p, Value::Dict(_) | Value::Set(_)))
        }
        _ => false,
    };
    if !is_seq {
        return Err(Error::type_error(
            "Population must be a sequence.  For dicts or sets, use sorted(d).",
        ));
    }
    let k = arg_or_kw(args, kw, 2, "k").ok_or_else(|| {
        Error::type_error("Random.sample() missing 1 required keyword-only argument: 'k'")
    })?;
    let k = vm.index_value(k)?;
    let n = super::functions::length(vm, &pop)?;
    if let Some(counts) = kwarg(kw, "counts").filter(|c| !c.is_none()) {
        let cs = vm.iterate(counts)?;
        let mut cum = Vec::with_capacity(cs.len());
        let mut acc: Option<Value> = None;
        for c in cs {
            let v = match acc {
                None => c,
                Some(a) => vm.binary(BinOp::Add, a, c)?,
            };
            cum.push(v.clone());
            acc = Some(v);
        }
        if cum.len() != n {
            return Err(Error::value_error(
                "The number of counts does not match the population",
            ));
        }
        let total = cum.pop().unwrap_or(Value::Int(0));
        let total = match total {
            Value::Int(t) => t,
            _ => return Err(Error::type_error("Counts must be integers")),
        };
        if total <= 0 {
            return Err(Error::value_error(
                "Total of counts must be greater than zero",
            ));
        }
        let range = Value::Range(Rc::new(RangeObj {
            start: 0,
            stop: total,
            step: 1,
        }));
        let sel = r_sample(vm, &[args[0].clone(), range, Value::Int(k)], &[])?;
        let mut out = Vec::new();
        for x in vm.iterate(&sel)? {
            let i = bisect_right(vm, &cum, &x, 0, cum.len())?;
            out.push(vm.getitem(&pop, &Value::Int(i as i64))?);
        }
        return Ok(Value::list(out));
    }
    if k < 0 || k as usize > n {
        return Err(Error::value_error(
            "Sample larger than population or is negative",
        ));
    }
    let k = k as usize;
    let mut result = Vec::with_capacity(k);
    let mut setsize: f64 = 21.0;
    if k > 5 {
        let e = ((k * 3) as f64).ln() / 4f64.ln();
        setsize += 4f64.powf(e.ceil());
    }
    if (n as f64) <= setsize {
        let mut pool = vm.iterate(&pop)?;
        if pool.len() != n {
            return Err(Error::index_error("sequence changed size during sampling"));
        }
        for i in 0..k {
            let j = below_usize(s, n - i);
            result.push(pool[j].clone());
            pool[j] = pool[n - i - 1].clone();
        }
    } else {
        let mut selected = std::collections::HashSet::new();
        for _ in 0..k {
            let mut j = below_usize(s, n);
            while selected.contains(&j) {
                j = below_usize(s, n);
            }
            selected.insert(j);
            result.push(vm.getitem(&pop, &Value::Int(j as i64))?);
        }
    }
    Ok(Value::list(result))
}

/// `bisect.bisect_right(a, x, lo, hi)` over values.
fn bisect_right(vm: &mut Vm, a: &[Value], x: &Value, mut lo: usize, mut hi: usize) -> Res<usize> {
    while lo < hi {
        let mid = (lo + hi) / 2;
        if vm.less_than(x, &a[mid])? {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Ok(lo)
}

fn r_choices(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("choices", args, 2, 3)?;
    st!(s, args);
    let pop = args[1].clone();
    let n = super::functions::length(vm, &pop)?;
    let k = match kwarg(kw, "k") {
        Some(v) => vm.index_value(v)?.max(0) as usize,
        None => 1,
    };
    let weights = arg_or_kw(args, kw, 2, "weights")
        .filter(|v| !v.is_none())
        .cloned();
    let cum = kwarg(kw, "cum_weights").filter(|v| !v.is_none()).cloned();
    let mut out = Vec::with_capacity(k);
    let cum: Vec<Value> = match (weights, cum) {
        (None, None) => {
            let nf = n as f64;
            for _ in 0..k {
                let r = s.mt.borrow_mut().random();
                let i = (r * nf).floor() as i64;
                out.push(vm.getitem(&pop, &Value::Int(i))?);
            }
            return Ok(Value::list(out));
        }
        (Some(_), Some(_)) => {
            return Err(Error::type_error(
                "Cannot specify both weights and cumulative weights",
            ))
        }
        (Some(w), None) => {
            if matches!(w, Value::Int(_)) {
                return Err(Error::type_error(format!(
                    "The number of choices must be a keyword argument: k={}",
                    vm.repr(&w)?
                )));
            }
            let ws = vm.iterate(&w)?;
            let mut cum = Vec::with_capacity(ws.len());
            let mut acc: Option<Value> = None;
            for x in ws {
                let v = match acc {
                    None => x,
                    Some(a) => vm.binary(BinOp::Add, a, x)?,
                };
                cum.push(v.clone());
                acc = Some(v);
            }
            cum
        }
        (None, Some(c)) => vm.iterate(&c)?,
    };
    if cum.len() != n {
        return Err(Error::value_error(
            "The number of weights does not match the population",
        ));
    }
    let last = cum.last().cloned().unwrap_or(Value::Int(0));
    let total = vm.binary(BinOp::Add, last, Value::float(0.0))?;
    let total = to_float(vm, &total)?;
    if total <= 0.0 {
        return Err(Error::value_error(
            "Total of weights must be greater than zero",
        ));
    }
    if !total.is_finite() {
        return Err(Error::value_error("Total of weights must be finite"));
    }
    let hi = n.saturating_sub(1);
    for _ in 0..k {
        let r = s.mt.borrow_mut().random() * total;
        let i = bisect_right(vm, &cum, &Value::float(r), 0, hi)?;
        out.push(vm.getitem(&pop, &Value::Int(i as i64))?);
    }
    Ok(Value::list(out))
}

fn r_uniform(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("uniform", args, 3, 3)?;
    st!(s, args);
    let r = s.mt.borrow_mut().random();
    let d = vm.binary(BinOp::Sub, args[2].clone(), args[1].clone())?;
    let t = vm.binary(BinOp::Mul, d, Value::float(r))?;
    vm.binary(BinOp::Add, args[1].clone(), t)
}

fn float_kw(
    vm: &mut Vm,
    args: &[Value],
    kw: &[(Sym, Value)],
    i: usize,
    name: &str,
    default: f64,
) -> Res<f64> {
    match arg_or_kw(args, kw, i, name) {
        Some(v) => to_float(vm, v),
        None => Ok(default),
    }
}

fn r_triangular(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("triangular", args, 1, 4)?;
    st!(s, args);
    let mut low = float_kw(vm, args, kw, 1, "low", 0.0)?;
    let mut high = float_kw(vm, args, kw, 2, "high", 1.0)?;
    let mode = arg_or_kw(args, kw, 3, "mode")
        .filter(|v| !v.is_none())
        .cloned();
    let mut u = s.mt.borrow_mut().random();
    let mut c = match mode {
        None => 0.5,
        Some(m) => {
            if high == low {
                return Ok(Value::float(low));
            }
            (to_float(vm, &m)? - low) / (high - low)
        }
    };
    if u > c {
        u = 1.0 - u;
        c = 1.0 - c;
        std::mem::swap(&mut low, &mut high);
    }
    Ok(Value::float(low + (high - low) * (u * c).sqrt()))
}

fn gauss(s: &MtState) -> f64 {
    let mut m = s.mt.borrow_mut();
    if let Some(z) = m.gauss_next.take() {
        return z;
    }
    let x2pi = m.random() * std::f64::consts::TAU;
    let g2rad = (-2.0 * (1.0 - m.random()).ln()).sqrt();
    m.gauss_next = Some(x2pi.sin() * g2rad);
    x2pi.cos() * g2rad
}

fn r_gauss(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("gauss", args, 1, 3)?;
    st!(s, args);
    let mu = float_kw(vm, args, kw, 1, "mu", 0.0)?;
    let sigma = float_kw(vm, args, kw, 2, "sigma", 1.0)?;
    let z = gauss(s);
    Ok(Value::float(mu + z * sigma))
}

fn normal(s: &MtState) -> f64 {
    let nv_magic = 4.0 * (-0.5f64).exp() / 2f64.sqrt();
    let mut m = s.mt.borrow_mut();
    loop {
        let u1 = m.random();
        let u2 = 1.0 - m.random();
        let z = nv_magic * (u1 - 0.5) / u2;
        let zz = z * z / 4.0;
        if zz <= -u2.ln() {
            return z;
        }
    }
}

fn r_normalvariate(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("normalvariate", args, 1, 3)?;
    st!(s, args);
    let mu = float_kw(vm, args, kw, 1, "mu", 0.0)?;
    let sigma = float_kw(vm, args, kw, 2, "sigma", 1.0)?;
    Ok(Value::float(mu + normal(s) * sigma))
}

fn r_lognormvariate(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("lognormvariate", args, 3, 3)?;
    st!(s, args);
    let mu = to_float(vm, &args[1])?;
    let sigma = to_float(vm, &args[2])?;
    Ok(Value::float((mu + normal(s) * sigma).exp()))
}

fn r_expovariate(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("expovariate", args, 2, 2)?;
    st!(s, args);
    let lambd = to_float(vm, &args[1])?;
    let r = s.mt.borrow_mut().random();
    if lambd == 0.0 {
        return Err(Error::zero_division("float division by zero"));
    }
    Ok(Value::float(-(1.0 - r).ln() / lambd))
}

fn r_vonmisesvariate(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("vonmisesvariate", args, 3, 3)?;
    st!(s, args);
    let mu = to_float(vm, &args[1])?;
    let kappa = to_float(vm, &args[2])?;
    let tau = std::f64::consts::TAU;
    let mut m = s.mt.borrow_mut();
    if kappa <= 1e-6 {
        return Ok(Value::float(tau * m.random()));
    }
    let s_ = 0.5 / kappa;
    let r = s_ + (1.0 + s_ * s_).sqrt();
    let z = loop {
        let u1 = m.random();
        let z = (std::f64::consts::PI * u1).cos();
        let d = z / (r + z);
        let u2 = m.random();
        if u2 < 1.0 - d * d || u2 <= (1.0 - d) * d.exp() {
            break z;
        }
    };
    let q = 1.0 / r;
    let f = (q + z) / (1.0 + q * z);
    let u3 = m.random();
    let theta = if u3 > 0.5 {
        (mu + f.acos()).rem_euclid(tau)
    } else {
        (mu - f.acos()).rem_euclid(tau)
    };
    Ok(Value::float(theta))
}

fn gamma(s: &MtState, alpha: f64, beta: f64) -> Res<f64> {
    if alpha <= 0.0 || beta <= 0.0 {
        return Err(Error::value_error(
            "gammavariate: alpha and beta must be > 0.0",
        ));
    }
    let mut m = s.mt.borrow_mut();
    if alpha > 1.0 {
        let ainv = (2.0 * alpha - 1.0).sqrt();
        let bbb = alpha - 4f64.ln();
        let ccc = alpha + ainv;
        let sg_magic = 1.0 + 4.5f64.ln();
        loop {
            let u1 = m.random();
            if !(1e-7 < u1 && u1 < 0.9999999) {
                continue;
            }
            let u2 = 1.0 - m.random();
            let v = (u1 / (1.0 - u1)).ln() / ainv;
            let x = alpha * v.exp();
            let z = u1 * u1 * u2;
            let r = bbb + ccc * v - x;
            if r + sg_magic - 4.5 * z >= 0.0 || r >= z.ln() {
                return Ok(x * beta);
            }
        }
    } else if alpha == 1.0 {
        Ok(-(1.0 - m.random()).ln() * beta)
    } else {
        let e = std::f64::consts::E;
        let x = loop {
            let u = m.random();
            let b = (e + alpha) / e;
            let p = b * u;
            let x = if p <= 1.0 {
                p.powf(1.0 / alpha)
            } else {
                -((b - p) / alpha).ln()
            };
            let u1 = m.random();
            if p > 1.0 {
                if u1 <= x.powf(alpha - 1.0) {
                    break x;
                }
            } else if u1 <= (-x).exp() {
                break x;
            }
        };
        Ok(x * beta)
    }
}

fn r_gammavariate(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("gammavariate", args, 3, 3)?;
    st!(s, args);
    let a = to_float(vm, &args[1])?;
    let b = to_float(vm, &args[2])?;
    Ok(Value::float(gamma(s, a, b)?))
}

fn r_betavariate(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("betavariate", args, 3, 3)?;
    st!(s, args);
    let a = to_float(vm, &args[1])?;
    let b = to_float(vm, &args[2])?;
    let y = gamma(s, a, 1.0)?;
    if y != 0.0 {
        return Ok(Value::float(y / (y + gamma(s, b, 1.0)?)));
    }
    Ok(Value::float(0.0))
}

fn r_paretovariate(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("paretovariate", args, 2, 2)?;
    st!(s, args);
    let alpha = to_float(vm, &args[1])?;
    let u = 1.0 - s.mt.borrow_mut().random();
    Ok(Value::float(u.powf(-1.0 / alpha)))
}

fn r_weibullvariate(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("weibullvariate", args, 3, 3)?;
    st!(s, args);
    let alpha = to_float(vm, &args[1])?;
    let beta = to_float(vm, &args[2])?;
    let u = 1.0 - s.mt.borrow_mut().random();
    Ok(Value::float(alpha * (-u.ln()).powf(1.0 / beta)))
}

fn r_getstate(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("getstate", args, 1, 1)?;
    st!(s, args);
    let m = s.mt.borrow();
    let mut words: Vec<Value> = m.mt.iter().map(|&w| Value::Int(w as i64)).collect();
    words.push(Value::Int(m.index as i64));
    let g = m.gauss_next.map(Value::float).unwrap_or(Value::None);
    Ok(Value::tuple(vec![Value::Int(3), Value::tuple(words), g]))
}

fn r_setstate(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("setstate", args, 2, 2)?;
    st!(s, args);
    let parts = vm.iterate(&args[1])?;
    if parts.len() != 3 {
        return Err(Error::type_error("state vector must be a tuple"));
    }
    let version = vm.index_value(&parts[0])?;
    if version != 3 && version != 2 {
        return Err(Error::value_error(format!(
            "state with version {version} passed to Random.setstate() of version 3"
        )));
    }
    let Value::Tuple(words) = &parts[1] else {
        return Err(Error::type_error("state vector must be a tuple"));
    };
    if words.items.len() != N + 1 {
        return Err(Error::value_error("state vector is the wrong size"));
    }
    let mut mt = [0u32; N];
    for (i, w) in words.items[..N].iter().enumerate() {
        let b = to_int(vm, w)?;
        mt[i] = (b & BigInt::from(u32::MAX)).to_u32().unwrap_or(0);
    }
    let index = vm.index_value(&words.items[N])?;
    if index < 0 || index > N as i64 {
        return Err(Error::value_error("invalid state"));
    }
    let g = match &parts[2] {
        Value::None => None,
        v => Some(to_float(vm, v)?),
    };
    let mut m = s.mt.borrow_mut();
    m.mt = mt;
    m.index = index as usize;
    m.gauss_next = g;
    Ok(Value::None)
}

pub fn create(vm: &mut Vm) -> Rc<ModuleObj> {
    let m = vm.new_module("random", None);
    let cls = crate::vm::types::new_class(
        "Random",
        vec![vm.types.object.clone()],
        Builtin::Object,
        false,
    );
    let methods: &[(&'static str, NativeFnPtr)] = &[
        ("__init__", r_init),
        ("seed", r_seed),
        ("random", r_random),
        ("getrandbits", r_getrandbits),
        ("randbytes", r_randbytes),
        ("randrange", r_randrange),
        ("randint", r_randint),
        ("choice", r_choice),
        ("choices", r_choices),
        ("shuffle", r_shuffle),
        ("sample", r_sample),
        ("uniform", r_uniform),
        ("triangular", r_triangular),
        ("gauss", r_gauss),
        ("normalvariate", r_normalvariate),
        ("lognormvariate", r_lognormvariate),
        ("expovariate", r_expovariate),
        ("vonmisesvariate", r_vonmisesvariate),
        ("gammavariate", r_gammavariate),
        ("betavariate", r_betavariate),
        ("paretovariate", r_paretovariate),
        ("weibullvariate", r_weibullvariate),
        ("getstate", r_getstate),
        ("setstate", r_setstate),
    ];
    for (name, f) in methods {
        add_method(vm, &cls, name, *f);
    }
    *cls.qualname.borrow_mut() = vm.intern_static("Random");
    super::add_attr(vm, &cls, "__module__", Value::str("random"));
    m.set_str("Random", Value::Class(cls.clone()));
    let inst = vm.new_instance(&cls);
    if let (Value::Instance(i), Ok(st)) = (&inst, new_state(vm, None)) {
        *i.payload.borrow_mut() = st;
    }
    for (name, f) in &methods[1..] {
        let bound = Value::BoundMethod(Rc::new(BoundMethodObj {
            gc: crate::vm::gc::GcSlot::new(),
            func: super::native(name, *f),
            receiver: inst.clone(),
        }));
        m.set_str(name, bound);
    }
    m.set_str("_inst", inst);
    m
}
