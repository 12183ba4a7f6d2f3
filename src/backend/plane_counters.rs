//! Counters for the 32 lanes of packed words, held in bit planes: plane `p` of a counter is a word
//! whose bit `l` is bit `p` of lane `l`'s count. Adding a word of 0/1 lanes is then a ripple-carry
//! add over a few words instead of 32 additions, and counting up to `n` takes `bits(n)` words a
//! counter instead of 32: the CPU backend's moment counts stay in cache however many chains there are.

/// `len` counters of 32 lanes each, every lane able to count up to a fixed capacity.
pub(crate) struct PlaneCounters {
    /// Planes per counter: enough bits for the capacity.
    planes: usize,
    /// Plane `p` of counter `k` at `k * planes + p`.
    words: Vec<u32>,
}

impl PlaneCounters {
    /// `len` zero counters whose lanes count up to `capacity` (at most `u32::MAX`).
    pub(crate) fn new(len: usize, capacity: u32) -> Self {
        let planes = (u32::BITS - capacity.leading_zeros()).max(1) as usize;
        PlaneCounters {
            planes,
            words: vec![0; len * planes],
        }
    }

    /// Adds bit `l` of `word` to lane `l` of counter `k`, for every lane.
    #[inline]
    pub(crate) fn add(&mut self, k: usize, word: u32) {
        let mut carry = word;
        for plane in &mut self.words[k * self.planes..(k + 1) * self.planes] {
            if carry == 0 {
                return;
            }
            let next = *plane & carry;
            *plane ^= carry;
            carry = next;
        }
        debug_assert_eq!(carry, 0, "a lane counted past its capacity");
    }

    /// The counts of the first `out.len()` (at most 32) lanes of counter `k`.
    pub(crate) fn lanes_into(&self, k: usize, out: &mut [u32]) {
        let mut counts = [0u32; 32];
        for (p, &plane) in self.words[k * self.planes..(k + 1) * self.planes]
            .iter()
            .enumerate()
        {
            for (l, count) in counts.iter_mut().enumerate() {
                *count |= ((plane >> l) & 1) << p;
            }
        }
        out.copy_from_slice(&counts[..out.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Adds `samples` words to 3 counters and compares every lane with a plain count.
    fn check(capacity: u32, samples: u32, word: impl Fn(usize, u32) -> u32) {
        let mut counters = PlaneCounters::new(3, capacity);
        let mut plain = [[0u32; 32]; 3];
        for s in 0..samples {
            for (k, lanes) in plain.iter_mut().enumerate() {
                let w = word(k, s);
                counters.add(k, w);
                for (l, count) in lanes.iter_mut().enumerate() {
                    *count += (w >> l) & 1;
                }
            }
        }
        for (k, lanes) in plain.iter().enumerate() {
            for len in [32, 17, 1] {
                let mut out = vec![u32::MAX; len];
                counters.lanes_into(k, &mut out);
                assert_eq!(out, lanes[..len], "capacity {capacity}, counter {k}");
            }
        }
    }

    #[test]
    fn lanes_count_like_plain_counters() {
        let hash = |k: usize, s: u32| {
            (s ^ (k as u32) << 20)
                .wrapping_mul(0x9e37_79b9)
                .rotate_left(7)
        };
        for capacity in [1, 2, 3, 4, 7, 8, 100, 1000] {
            check(capacity, capacity, hash);
        }
        // Every lane up every time: each count reaches the capacity exactly, carrying through all planes.
        for capacity in [1, 3, 7, 255, 256, 1023] {
            check(capacity, capacity, |_, _| u32::MAX);
        }
        // A capacity of all 32 bits needs 32 planes.
        assert_eq!(PlaneCounters::new(1, u32::MAX).planes, 32);
        assert_eq!(PlaneCounters::new(1, 0).planes, 1);
    }
}
