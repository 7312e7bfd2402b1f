//! The global allocator of the `con` binary: mimalloc, called the way an
//! interpreter's allocation pattern wants.
//!
//! The `mimalloc` crate routes every request through `mi_malloc_aligned`,
//! whose alignment checks double the cost of the small allocations an
//! interpreter makes by the million (objects, boxes, frames). Every
//! mimalloc block is at least word-aligned, so requests needing no more
//! than that take the plain `mi_malloc` path.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::{c_int, c_long, c_void};

use libmimalloc_sys as mi;

extern "C" {
    fn mi_option_set(option: c_int, value: c_long);
}

/// `mi_option_page_full_retain` in mimalloc v3's option enum.
const OPTION_PAGE_FULL_RETAIN: c_int = 36;

/// Tunes mimalloc for the interpreter. Call before the thread that runs
/// scripts starts: each thread's heap reads the options when it is made.
///
/// mimalloc keeps up to two full pages at the head of each size class's
/// queue. A page whose last block is freed is kept for reuse only when
/// it is alone in its queue, so with full pages beside it the page is
/// given back and a fresh one taken on the next allocation. A loop that
/// makes and drops one string of a size it uses nowhere else (an
/// f-string) then paid for a new page on every iteration: 2.6 times the
/// instructions of the whole statement.
pub fn configure() {
    // SAFETY: mimalloc's documented option setter; any value is valid.
    unsafe { mi_option_set(OPTION_PAGE_FULL_RETAIN, 0) };
}

/// Alignment every mimalloc block has whatever its size.
const WORD_ALIGN: usize = std::mem::size_of::<usize>();

pub struct MiAlloc;

// SAFETY: each method forwards to the mimalloc function with the same
// contract; the plain variants are used only when the layout's alignment
// is one mimalloc gives every block.
unsafe impl GlobalAlloc for MiAlloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= WORD_ALIGN {
            mi::mi_malloc(layout.size()) as *mut u8
        } else {
            mi::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= WORD_ALIGN {
            mi::mi_zalloc(layout.size()) as *mut u8
        } else {
            mi::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        mi::mi_free(ptr as *mut c_void);
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= WORD_ALIGN {
            mi::mi_realloc(ptr as *mut c_void, new_size) as *mut u8
        } else {
            mi::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_honour_their_layout_alignment() {
        for align in [1, 2, 4, 8, 16, 32, 64] {
            for size in [1, 7, 8, 24, 40, 100, 4096] {
                let layout = Layout::from_size_align(size, align).unwrap();
                unsafe {
                    let p = MiAlloc.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    let q = MiAlloc.realloc(p, layout, size * 3);
                    assert_eq!(q as usize % align, 0, "realloc size {size} align {align}");
                    MiAlloc.dealloc(q, Layout::from_size_align(size * 3, align).unwrap());
                    let z = MiAlloc.alloc_zeroed(layout);
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
                    MiAlloc.dealloc(z, layout);
                }
            }
        }
    }
}
