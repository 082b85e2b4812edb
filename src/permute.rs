//! A sequence put in a given order where it lies: each cycle of the permutation followed once,
//! with a bit per element to mark those placed. Used where a second copy of the sequence would
//! be the largest thing in memory (the previous catalogue's columns, a walk's records).

use std::ops::IndexMut;

/// Puts the first `len` elements of `v` in the order `order` gives: element `j` becomes the
/// one that was at `order[j]`. `order` must be a permutation of `0..len`; anything else leaves
/// `v` as it is (and gives `false`).
pub fn gather_in_place<T, V>(v: &mut V, len: usize, order: &[u32]) -> bool
where
    T: Copy,
    V: IndexMut<usize, Output = T> + ?Sized,
{
    if order.len() != len || order.iter().any(|&i| i as usize >= len) {
        return false;
    }
    let mut done = vec![0u64; len.div_ceil(64)];
    let is_done = |done: &[u64], j: usize| done[j / 64] & (1 << (j % 64)) != 0;
    for start in 0..len {
        if is_done(&done, start) {
            continue;
        }
        let held = v[start];
        let mut j = start;
        loop {
            done[j / 64] |= 1 << (j % 64);
            let from = order[j] as usize;
            // `from` already placed: the start of this cycle (or, were `order` no
            // permutation, an element seen twice: the cycle ends rather than loops).
            if from == start || is_done(&done, from) {
                v[j] = held;
                break;
            }
            v[j] = v[from];
            j = from;
        }
    }
    true
}
