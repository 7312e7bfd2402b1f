//! The insertion-ordered hash table behind `dict`, `set` and `frozenset`.
//!
//! CPython's layout: entries live in a vector in insertion order, and a
//! power-of-two array of entry indices is probed with CPython's
//! perturbation sequence (`i = 5i + 1 + perturb`, `perturb >>= 5`). Small
//! ints hash to themselves, so keys 0..n land in distinct slots with no
//! mixing step, and a lookup is a mask, a load and a compare. Key
//! equality is supplied by the caller, because comparing user objects
//! may run script code (`__eq__`): the VM layer (`vm/hashing.rs`) decides
//! whether native equality suffices.

use super::value::Value;

/// An index slot never used: probing stops here.
const EMPTY: u32 = u32::MAX;
/// An index slot whose entry was removed: probing continues past it.
const DUMMY: u32 = u32::MAX - 1;
/// Slots in the smallest index: room for ten entries, so the small sets
/// and dicts programs make by the thousand never regrow (CPython starts
/// at eight slots, five entries).
const MIN_SLOTS: usize = 16;
/// Entries reserved by a first insertion.
const FIRST_ENTRIES: usize = 8;

/// The probe sequence over an index of `mask + 1` slots.
struct Probe {
    i: usize,
    perturb: u64,
    mask: usize,
}

impl Probe {
    #[inline(always)]
    fn new(hash: u64, mask: usize) -> Probe {
        Probe {
            i: hash as usize & mask,
            perturb: hash,
            mask,
        }
    }

    #[inline(always)]
    fn advance(&mut self) {
        self.perturb >>= 5;
        self.i = (self
            .i
            .wrapping_mul(5)
            .wrapping_add(1)
            .wrapping_add(self.perturb as usize))
            & self.mask;
    }
}

/// Entries an index of [slots] slots takes before it must grow: two
/// thirds, so probe chains stay short.
#[inline(always)]
fn usable(slots: usize) -> usize {
    slots * 2 / 3
}

#[derive(Clone)]
pub struct Entry {
    pub hash: u64,
    /// `Value::Undef` marks a deleted entry.
    pub key: Value,
    pub value: Value,
}

#[derive(Clone, Default)]
pub struct Dict {
    entries: Vec<Entry>,
    /// Entry indices (or EMPTY / DUMMY); empty until the first insertion.
    index: Vec<u32>,
    /// Index slots not EMPTY (live entries plus DUMMY marks).
    filled: usize,
    live: usize,
}

impl Dict {
    pub fn new() -> Dict {
        Dict::default()
    }
    pub fn with_capacity(n: usize) -> Dict {
        let mut d = Dict {
            entries: Vec::with_capacity(n),
            ..Dict::default()
        };
        if n > 0 {
            d.index = vec![EMPTY; slots_for(n)];
        }
        d
    }
    pub fn len(&self) -> usize {
        self.live
    }
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// The (slot, entry index or DUMMY) pairs of [hash]'s probe sequence,
    /// up to its first EMPTY slot.
    #[inline(always)]
    fn chain(&self, hash: u64) -> impl Iterator<Item = (usize, u32)> + '_ {
        let mut p = Probe::new(hash, self.index.len().wrapping_sub(1));
        let mut done = self.index.is_empty();
        std::iter::from_fn(move || {
            if done {
                return None;
            }
            // SAFETY: p.i is masked to the index length (a power of two).
            let ix = unsafe { *self.index.get_unchecked(p.i) };
            if ix == EMPTY {
                done = true;
                return None;
            }
            let at = p.i;
            p.advance();
            Some((at, ix))
        })
    }

    /// Finds the entry index for a key of hash [hash] for which [eq]
    /// answers true.
    #[inline]
    pub fn find(&self, hash: u64, mut eq: impl FnMut(&Value) -> bool) -> Option<usize> {
        self.chain(hash)
            .find(|&(_, ix)| {
                ix != DUMMY && {
                    let e = &self.entries[ix as usize];
                    e.hash == hash && eq(&e.key)
                }
            })
            .map(|(_, ix)| ix as usize)
    }

    /// The index slot holding entry [index] (which is live).
    fn slot_of(&self, index: usize) -> Option<usize> {
        self.chain(self.entries[index].hash)
            .find(|&(_, ix)| ix as usize == index)
            .map(|(at, _)| at)
    }

    /// Records entry [index] of hash [hash] in the first free slot of its
    /// probe sequence. The index has room (see [Dict::insert_new]).
    #[inline(always)]
    fn place(&mut self, hash: u64, index: u32) {
        let mut p = Probe::new(hash, self.index.len() - 1);
        loop {
            let ix = self.index[p.i];
            if ix == EMPTY {
                self.filled += 1;
                break;
            }
            if ix == DUMMY {
                break;
            }
            p.advance();
        }
        self.index[p.i] = index;
    }

    /// Indices of live entries whose hash is [hash]: the candidates that
    /// need a (possibly script-level) equality test.
    pub fn candidates(&self, hash: u64) -> Vec<usize> {
        self.chain(hash)
            .filter(|&(_, ix)| ix != DUMMY && self.entries[ix as usize].hash == hash)
            .map(|(_, ix)| ix as usize)
            .collect()
    }

    pub fn entry(&self, index: usize) -> &Entry {
        &self.entries[index]
    }
    pub fn value_at(&self, index: usize) -> &Value {
        &self.entries[index].value
    }
    pub fn set_value_at(&mut self, index: usize, v: Value) {
        self.entries[index].value = v;
    }

    /// Appends a key known to be absent.
    pub fn insert_new(&mut self, hash: u64, key: Value, value: Value) {
        if self.entries.len() >= DUMMY as usize {
            return;
        }
        if self.filled + 1 > usable(self.index.len()) {
            self.grow();
        }
        let len = self.entries.len();
        if len == self.entries.capacity() {
            super::value::grow_for_one(&mut self.entries);
        }
        // SAFETY: capacity > len; every field is written (from registers:
        // a whole-Entry push went through a stack copy reloaded with
        // 16-byte loads, a store-forwarding stall) before the length
        // covers the entry.
        unsafe {
            let p = self.entries.as_mut_ptr().add(len);
            std::ptr::addr_of_mut!((*p).hash).write(hash);
            std::ptr::addr_of_mut!((*p).key).write(key);
            std::ptr::addr_of_mut!((*p).value).write(value);
            self.entries.set_len(len + 1);
        }
        self.place(hash, len as u32);
        self.live += 1;
    }

    /// Makes room for one more entry: an index sized for three times the
    /// live entries (CPython's growth rate), which also drops removed
    /// entries when deletions rather than growth filled the index.
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        self.resize(((self.live + 1) * 3).next_power_of_two().max(MIN_SLOTS));
    }

    /// Drops removed entries and rebuilds the index with [slots] slots.
    fn resize(&mut self, slots: usize) {
        if self.live < self.entries.len() {
            self.entries.retain(|e| !e.key.is_undef());
        }
        if self.entries.capacity() == 0 {
            self.entries.reserve_exact(FIRST_ENTRIES);
        }
        self.index.clear();
        self.index.resize(slots, EMPTY);
        self.filled = 0;
        for i in 0..self.entries.len() {
            self.place(self.entries[i].hash, i as u32);
        }
    }

    /// Takes the entry at [index] out of the index; its slot becomes a
    /// tombstone. The caller clears the entry.
    fn unlink(&mut self, index: usize) {
        if let Some(at) = self.slot_of(index) {
            self.index[at] = DUMMY;
        }
        self.live -= 1;
    }

    /// Removes the entry at [index], returning its key and value.
    pub fn remove_at(&mut self, index: usize) -> (Value, Value) {
        self.unlink(index);
        let e = &mut self.entries[index];
        let key = std::mem::take(&mut e.key);
        let value = std::mem::take(&mut e.value);
        if self.live == 0 {
            self.clear();
        } else if self.entries.len() > 16 && self.live * 2 < self.entries.len() {
            self.resize(self.index.len());
        }
        (key, value)
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        // A small index is kept for reuse (sets emptied and refilled in
        // a loop); a large one is given back.
        if self.index.len() > 64 {
            self.index = Vec::new();
        } else {
            self.index.fill(EMPTY);
        }
        self.filled = 0;
        self.live = 0;
    }

    /// Live entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| !e.key.is_undef())
    }
    pub fn keys(&self) -> Vec<Value> {
        self.iter().map(|e| e.key.clone()).collect()
    }
    pub fn values(&self) -> Vec<Value> {
        self.iter().map(|e| e.value.clone()).collect()
    }
    pub fn items(&self) -> Vec<(Value, Value)> {
        self.iter()
            .map(|e| (e.key.clone(), e.value.clone()))
            .collect()
    }

    /// The raw slot count, for iterators that walk by position and must
    /// notice deletions.
    pub fn slots(&self) -> usize {
        self.entries.len()
    }
    /// The live entry at raw position [pos], if any.
    pub fn slot(&self, pos: usize) -> Option<&Entry> {
        self.entries.get(pos).filter(|e| !e.key.is_undef())
    }

    /// Removes and returns the last inserted entry (`dict.popitem`).
    pub fn pop_last(&mut self) -> Option<(Value, Value)> {
        let index = self.entries.iter().rposition(|e| !e.key.is_undef())?;
        let r = self.remove_at(index);
        // Trim trailing tombstones so popitem stays O(1) amortised.
        while self.entries.last().is_some_and(|e| e.key.is_undef()) {
            self.entries.pop();
        }
        Some(r)
    }

    /// Removes and returns the first entry (`set.pop`, `OrderedDict`).
    pub fn pop_first(&mut self) -> Option<(Value, Value)> {
        let index = self.entries.iter().position(|e| !e.key.is_undef())?;
        Some(self.remove_at(index))
    }

    /// Moves an existing entry to the end (OrderedDict.move_to_end).
    pub fn move_to_end(&mut self, index: usize) {
        let e = self.entries[index].clone();
        self.remove_at_keep(index);
        self.insert_new(e.hash, e.key, e.value);
    }

    fn remove_at_keep(&mut self, index: usize) {
        self.unlink(index);
        self.entries[index].key = Value::Undef;
        self.entries[index].value = Value::Undef;
    }
}

/// Slots for an index that takes [n] entries without growing.
fn slots_for(n: usize) -> usize {
    let mut slots = MIN_SLOTS;
    while usable(slots) < n {
        slots *= 2;
    }
    slots
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_start_then_growth_keeps_every_key_in_order() {
        let mut d = Dict::new();
        for i in 0..40i64 {
            // Equal low bits in every hash: probing must still separate them.
            d.insert_new((i as u64) << 32, Value::Int(i), Value::Int(i * 2));
        }
        assert_eq!(d.len(), 40);
        for i in 0..40i64 {
            let at = d.find((i as u64) << 32, |k| matches!(k, Value::Int(x) if *x == i));
            assert_eq!(at, Some(i as usize));
            assert!(matches!(d.value_at(i as usize), Value::Int(v) if *v == i * 2));
        }
        let keys: Vec<i64> = d
            .keys()
            .iter()
            .map(|k| match k {
                Value::Int(x) => *x,
                _ => -1,
            })
            .collect();
        assert_eq!(keys, (0..40).collect::<Vec<_>>());
    }

    fn int_at(d: &Dict, k: i64) -> Option<usize> {
        d.find(k as u64, |v| matches!(v, Value::Int(x) if *x == k))
    }

    #[test]
    fn churn_of_inserts_and_removals_keeps_lookups_exact() {
        // A set that stays small while keys come and go (add/discard in a
        // loop) fills its index with tombstones; inserts must reclaim them.
        let mut d = Dict::new();
        for round in 0..1000i64 {
            for k in [round, round + 1, round + 2] {
                if int_at(&d, k).is_none() {
                    d.insert_new(k as u64, Value::Int(k), Value::None);
                }
            }
            let at = int_at(&d, round).expect("just inserted");
            d.remove_at(at);
            assert_eq!(d.len(), 2);
            assert!(int_at(&d, round).is_none());
            assert!(int_at(&d, round + 1).is_some() && int_at(&d, round + 2).is_some());
            assert!(d.index.len() <= 16, "index grew to {}", d.index.len());
        }
    }

    #[test]
    fn candidates_pop_and_move_to_end() {
        let mut d = Dict::with_capacity(3);
        // Three keys of one hash, told apart only by the caller's equality.
        for k in 0..3i64 {
            d.insert_new(7, Value::Int(k), Value::Int(k));
        }
        assert_eq!(d.candidates(7), vec![0, 1, 2]);
        assert!(d.candidates(8).is_empty());
        d.move_to_end(0);
        let (last, _) = d.pop_last().expect("an entry");
        assert!(matches!(last, Value::Int(0)));
        let (first, _) = d.pop_first().expect("an entry");
        assert!(matches!(first, Value::Int(1)));
        assert_eq!(d.len(), 1);
        assert_eq!(d.candidates(7).len(), 1);
        d.pop_last();
        assert!(d.is_empty() && d.candidates(7).is_empty());
        d.insert_new(9, Value::Int(9), Value::None);
        assert_eq!(d.find(9, |_| true), Some(0));
    }
}
