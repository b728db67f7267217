//! Sets of candidates as bitsets: exact set algebra where specifiers (`!=1.5`,
//! `==1.*`, `===`, local labels) would make intervals awkward.

/// A set of candidates of one project, by index in its candidate list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Set {
    words: Vec<u64>,
    len: usize,
}

impl Set {
    pub(super) fn empty(len: usize) -> Set {
        Set {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    pub(super) fn full(len: usize) -> Set {
        Set {
            words: vec![!0; len.div_ceil(64)],
            len,
        }
        .trimmed()
    }

    pub(super) fn single(len: usize, index: usize) -> Set {
        let mut set = Set::empty(len);
        if let Some(word) = set.words.get_mut(index / 64) {
            *word |= 1 << (index % 64);
        }
        set
    }

    pub(super) fn from_fn(len: usize, mut member: impl FnMut(usize) -> bool) -> Set {
        let mut set = Set::empty(len);
        for index in (0..len).filter(|&i| member(i)) {
            set.words[index / 64] |= 1 << (index % 64);
        }
        set
    }

    /// Clears the bits past `len`, so equal sets have equal words.
    fn trimmed(mut self) -> Set {
        let spare = self.words.len() * 64 - self.len;
        if let Some(last) = self.words.last_mut().filter(|_| spare > 0) {
            *last &= !0 >> spare;
        }
        self
    }

    fn zip(&self, other: &Set, op: impl Fn(u64, u64) -> u64) -> Set {
        Set {
            words: self
                .words
                .iter()
                .zip(&other.words)
                .map(|(a, b)| op(*a, *b))
                .collect(),
            len: self.len,
        }
    }

    pub(super) fn and(&self, other: &Set) -> Set {
        self.zip(other, |a, b| a & b)
    }

    pub(super) fn or(&self, other: &Set) -> Set {
        self.zip(other, |a, b| a | b)
    }

    pub(super) fn minus(&self, other: &Set) -> Set {
        self.zip(other, |a, b| a & !b)
    }

    pub(super) fn complement(&self) -> Set {
        Set {
            words: self.words.iter().map(|w| !w).collect(),
            len: self.len,
        }
        .trimmed()
    }

    pub(super) fn contains(&self, index: usize) -> bool {
        self.words
            .get(index / 64)
            .is_some_and(|w| w >> (index % 64) & 1 == 1)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    pub(super) fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The best member, candidates being listed best first.
    pub(super) fn first(&self) -> Option<usize> {
        self.words
            .iter()
            .enumerate()
            .find(|(_, w)| **w != 0)
            .map(|(i, w)| i * 64 + w.trailing_zeros() as usize)
    }
}
