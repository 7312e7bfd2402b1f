//! The scheduler's per-thread tables, grown a fixed-size chunk at a time.
//!
//! A `Vec` that doubles to hold 100,000 threads copies itself and leaves
//! the old buffer with the allocator, which keeps it resident for a
//! while: at that scale the copies cost more memory than the threads'
//! own entries. Chunks are never moved, so growth costs one chunk.

use std::collections::VecDeque;

const CHUNK: usize = 1024;

/// A table of slots indexed by number.
pub struct Table<T> {
    chunks: Vec<Box<[Option<T>]>>,
    len: usize,
}

impl<T> Table<T> {
    pub fn new() -> Table<T> {
        Table {
            chunks: Vec::new(),
            len: 0,
        }
    }

    /// The number of slots (used or not).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)?.as_ref()
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.chunks.get_mut(i / CHUNK)?.get_mut(i % CHUNK)?.as_mut()
    }

    /// The slot [i] (an existing one), to fill or empty.
    pub fn slot(&mut self, i: usize) -> Option<&mut Option<T>> {
        self.chunks.get_mut(i / CHUNK)?.get_mut(i % CHUNK)
    }

    /// Adds a slot holding [v]; returns its number.
    pub fn push(&mut self, v: T) -> usize {
        let i = self.len;
        if i.is_multiple_of(CHUNK) {
            self.chunks.push(
                (0..CHUNK)
                    .map(|_| None)
                    .collect::<Vec<_>>()
                    .into_boxed_slice(),
            );
        }
        self.len += 1;
        if let Some(s) = self.slot(i) {
            *s = Some(v);
        }
        i
    }

    /// Every used slot with its number.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &T)> {
        self.chunks
            .iter()
            .flat_map(|c| c.iter())
            .take(self.len)
            .enumerate()
            .filter_map(|(i, t)| t.as_ref().map(|t| (i, t)))
    }

    /// Empties every slot.
    pub fn clear_all(&mut self) {
        for c in self.chunks.iter_mut() {
            for s in c.iter_mut() {
                *s = None;
            }
        }
    }
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table::new()
    }
}

/// A first-in first-out queue of small copyable items.
pub struct Fifo<T: Copy + Default> {
    chunks: VecDeque<Box<[T; CHUNK]>>,
    /// Index of the first item in the first chunk.
    head: usize,
    len: usize,
}

impl<T: Copy + Default> Fifo<T> {
    pub fn new() -> Fifo<T> {
        Fifo {
            chunks: VecDeque::new(),
            head: 0,
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn at(&mut self, i: usize) -> Option<&mut T> {
        let p = self.head + i;
        self.chunks.get_mut(p / CHUNK)?.get_mut(p % CHUNK)
    }

    pub fn push_back(&mut self, v: T) {
        let end = self.head + self.len;
        if end == self.chunks.len() * CHUNK {
            self.chunks.push_back(Box::new([T::default(); CHUNK]));
        }
        self.len += 1;
        if let Some(s) = self.at(self.len - 1) {
            *s = v;
        }
    }

    pub fn pop_front(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let v = *self.at(0)?;
        self.len -= 1;
        self.head += 1;
        if self.head == CHUNK {
            self.head = 0;
            // One spare chunk is kept, so a queue that hovers around a
            // chunk boundary does not allocate at every step.
            if let Some(c) = self.chunks.pop_front() {
                if self.chunks.len() == 1 {
                    self.chunks.push_back(c);
                }
            }
        }
        if self.len == 0 {
            self.head = 0;
            self.chunks.truncate(1);
        }
        Some(v)
    }

    /// Removes item [i], moving the last item into its place.
    pub fn swap_remove(&mut self, i: usize) -> Option<T> {
        if i >= self.len {
            return None;
        }
        let last = *self.at(self.len - 1)?;
        let slot = self.at(i)?;
        let v = *slot;
        *slot = last;
        self.len -= 1;
        if self.len == 0 {
            self.head = 0;
            self.chunks.truncate(1);
        }
        Some(v)
    }
}

impl<T: Copy + Default> Default for Fifo<T> {
    fn default() -> Self {
        Fifo::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_order_across_chunks() {
        let mut q = Fifo::new();
        let mut next = 0u32;
        let mut expect = 0u32;
        // Interleaved pushes and pops cross many chunk boundaries.
        for round in 0..5000u32 {
            for _ in 0..(round % 7) {
                q.push_back(next);
                next += 1;
            }
            for _ in 0..(round % 5) {
                if let Some(v) = q.pop_front() {
                    assert_eq!(v, expect);
                    expect += 1;
                }
            }
        }
        while let Some(v) = q.pop_front() {
            assert_eq!(v, expect);
            expect += 1;
        }
        assert_eq!(expect, next);
        assert!(q.is_empty());
    }

    #[test]
    fn fifo_swap_remove() {
        let mut q = Fifo::new();
        for i in 0..3000u32 {
            q.push_back(i);
        }
        assert_eq!(q.swap_remove(5), Some(5));
        assert_eq!(q.len(), 2999);
        assert_eq!(q.swap_remove(2999), None);
        assert_eq!(q.pop_front(), Some(0));
        let mut seen: Vec<u32> = std::iter::from_fn(|| q.pop_front()).collect();
        seen.sort_unstable();
        assert_eq!(seen.len(), 2998);
        assert!(!seen.contains(&5));
    }

    #[test]
    fn table_slots() {
        let mut t = Table::new();
        for i in 0..2500 {
            assert_eq!(t.push(i * 10), i);
        }
        assert_eq!(t.get(2049), Some(&20490));
        *t.slot(7).unwrap() = None;
        assert_eq!(t.get(7), None);
        assert_eq!(t.iter().count(), 2499);
        t.clear_all();
        assert_eq!(t.iter().count(), 0);
        assert_eq!(t.len(), 2500);
    }
}
