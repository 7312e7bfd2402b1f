//! The insertion-ordered hash table behind `dict`, `set` and `frozenset`.
//!
//! Entries live in a vector in insertion order; a `hashbrown::HashTable`
//! maps hashes to entry indices. Key equality is supplied by the caller,
//! because comparing user objects may run script code (`__eq__`): the VM
//! layer (`vm/hashing.rs`) decides whether native equality suffices.

use hashbrown::HashTable;

use super::value::Value;

/// The table's hash of a key's Python hash. Python hashes small ints to
/// themselves, so their top bits (hashbrown's 7-bit tags) are all zero
/// and every probe would compare a whole group; a folded multiply spreads
/// every bit over both ends.
#[inline(always)]
fn spread(h: u64) -> u64 {
    let m = (h as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (m as u64) ^ ((m >> 64) as u64)
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
    table: HashTable<u32>,
    live: usize,
}

impl Dict {
    pub fn new() -> Dict {
        Dict::default()
    }
    pub fn with_capacity(n: usize) -> Dict {
        Dict {
            entries: Vec::with_capacity(n),
            table: HashTable::with_capacity(n),
            live: 0,
        }
    }
    pub fn len(&self) -> usize {
        self.live
    }
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Finds the entry index for a key of hash [hash] for which [eq]
    /// answers true.
    pub fn find(&self, hash: u64, mut eq: impl FnMut(&Value) -> bool) -> Option<usize> {
        let entries = &self.entries;
        self.table
            .find(spread(hash), |&i| {
                let e = &entries[i as usize];
                e.hash == hash && eq(&e.key)
            })
            .map(|&i| i as usize)
    }

    /// Indices of live entries whose hash is [hash]: the candidates that
    /// need a (possibly script-level) equality test.
    pub fn candidates(&self, hash: u64) -> Vec<usize> {
        let mut out = Vec::new();
        let entries = &self.entries;
        // HashTable has no multi-find; probe with a predicate that records.
        self.table.find(spread(hash), |&i| {
            if entries[i as usize].hash == hash {
                out.push(i as usize);
            }
            false
        });
        out
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
        if self.entries.len() >= u32::MAX as usize - 1 {
            return;
        }
        if self.entries.capacity() == 0 {
            self.start_small();
        }
        let len = self.entries.len();
        let index = len as u32;
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
        let entries = &self.entries;
        self.table
            .insert_unique(spread(hash), index, |&i| spread(entries[i as usize].hash));
        self.live += 1;
    }

    /// Sizes a first insertion for eight entries, as CPython's smallest
    /// table: small dicts and sets then never regrow (growing from one
    /// entry meant three reallocations and rehashes to reach eight).
    #[cold]
    fn start_small(&mut self) {
        self.entries.reserve_exact(8);
        let entries = &self.entries;
        self.table.reserve(8, |&i| spread(entries[i as usize].hash));
    }

    /// Removes the entry at [index], returning its key and value.
    pub fn remove_at(&mut self, index: usize) -> (Value, Value) {
        let hash = self.entries[index].hash;
        if let Ok(slot) = self
            .table
            .find_entry(spread(hash), |&i| i as usize == index)
        {
            slot.remove();
        }
        let e = &mut self.entries[index];
        let key = std::mem::take(&mut e.key);
        let value = std::mem::take(&mut e.value);
        self.live -= 1;
        if self.entries.len() > 16 && self.live * 2 < self.entries.len() {
            self.compact();
        } else if self.live == 0 {
            self.clear();
        }
        (key, value)
    }

    /// Drops deleted entries and rebuilds the index.
    fn compact(&mut self) {
        self.entries.retain(|e| !e.key.is_undef());
        self.rebuild();
    }

    fn rebuild(&mut self) {
        self.table.clear();
        let entries = &self.entries;
        for (i, e) in entries.iter().enumerate() {
            self.table.insert_unique(spread(e.hash), i as u32, |&j| {
                spread(entries[j as usize].hash)
            });
        }
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.table.clear();
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
        let hash = self.entries[index].hash;
        if let Ok(slot) = self
            .table
            .find_entry(spread(hash), |&i| i as usize == index)
        {
            slot.remove();
        }
        self.entries[index].key = Value::Undef;
        self.entries[index].value = Value::Undef;
        self.live -= 1;
    }
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
}
