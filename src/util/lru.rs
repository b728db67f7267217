//! A map that keeps what was used last, up to a total weight (bytes, files listed):
//! what a server caches for its clients must stay bounded however many different
//! things they ask for.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// Entries with their weights; the least recently used go first when a new one
/// would pass the limit.
pub struct Lru<K, V> {
    entries: HashMap<K, Entry<V>>,
    by_use: BTreeMap<u64, K>,
    weight: usize,
    limit: usize,
    clock: u64,
}

struct Entry<V> {
    value: V,
    weight: usize,
    used: u64,
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> {
    pub fn new(limit: usize) -> Lru<K, V> {
        Lru {
            entries: HashMap::new(),
            by_use: BTreeMap::new(),
            weight: 0,
            limit,
            clock: 0,
        }
    }

    /// The entry, marked as used now.
    pub fn get(&mut self, key: &K) -> Option<&V> {
        self.clock += 1;
        let entry = self.entries.get_mut(key)?;
        self.by_use.remove(&entry.used);
        entry.used = self.clock;
        self.by_use.insert(self.clock, key.clone());
        Some(&entry.value)
    }

    /// Keeps `value` under `key` (replacing what was there), letting go of the
    /// least recently used until it fits. A value heavier than the whole limit is
    /// not kept.
    pub fn insert(&mut self, key: K, value: V, weight: usize) {
        self.remove(&key);
        if weight > self.limit {
            return;
        }
        while self.weight + weight > self.limit {
            let Some((_, oldest)) = self.by_use.pop_first() else {
                break;
            };
            if let Some(gone) = self.entries.remove(&oldest) {
                self.weight -= gone.weight;
            }
        }
        self.clock += 1;
        self.weight += weight;
        self.by_use.insert(self.clock, key.clone());
        let used = self.clock;
        self.entries.insert(
            key,
            Entry {
                value,
                weight,
                used,
            },
        );
    }

    pub fn remove(&mut self, key: &K) -> Option<V> {
        let entry = self.entries.remove(key)?;
        self.by_use.remove(&entry.used);
        self.weight -= entry.weight;
        Some(entry.value)
    }

    /// Keeps only the entries `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        let gone: Vec<K> = self
            .entries
            .iter()
            .filter(|(k, e)| !keep(k, &e.value))
            .map(|(k, _)| k.clone())
            .collect();
        for key in gone {
            self.remove(&key);
        }
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.by_use.clear();
        self.weight = 0;
    }

    /// The total weight held.
    pub fn weight(&self) -> usize {
        self.weight
    }
}

#[cfg(test)]
mod tests {
    use super::Lru;

    #[test]
    fn lets_go_of_the_least_recently_used_first() {
        let mut lru = Lru::new(10);
        lru.insert("a", 1, 4);
        lru.insert("b", 2, 4);
        assert_eq!(lru.get(&"a"), Some(&1));
        lru.insert("c", 3, 4);
        assert_eq!(lru.get(&"b"), None, "b was used least recently");
        assert_eq!(lru.get(&"a"), Some(&1));
        assert_eq!(lru.get(&"c"), Some(&3));
        assert_eq!(lru.weight(), 8);
    }

    #[test]
    fn replaces_and_refuses_what_cannot_fit() {
        let mut lru = Lru::new(10);
        lru.insert("a", 1, 6);
        lru.insert("a", 2, 3);
        assert_eq!(lru.weight(), 3);
        assert_eq!(lru.get(&"a"), Some(&2));
        lru.insert("huge", 9, 11);
        assert_eq!(lru.get(&"huge"), None);
        assert_eq!(lru.get(&"a"), Some(&2), "a refused entry evicts nothing");
        lru.retain(|_, v| *v != 2);
        assert_eq!(lru.weight(), 0);
        lru.insert("b", 1, 10);
        lru.clear();
        assert_eq!((lru.weight(), lru.get(&"b")), (0, None));
    }
}
