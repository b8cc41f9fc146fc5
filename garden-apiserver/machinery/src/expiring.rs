//! A small map whose entries expire: the answers of the garden's TokenReview and SubjectAccessReview, kept for a
//! few seconds as kube's webhook authenticator and authorizer keep theirs.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries beyond this are dropped all at once: a flood of distinct keys (random tokens) cannot grow memory
/// without bound.
const MAX_ENTRIES: usize = 10_000;

pub struct ExpiringCache<K, V> {
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Hash + Eq, V: Clone> Default for ExpiringCache<K, V> {
    fn default() -> Self {
        Self { entries: Mutex::new(HashMap::new()) }
    }
}

impl<K: Hash + Eq, V: Clone> ExpiringCache<K, V> {
    /// The value of `key` if it is younger than `ttl(value)`.
    pub fn get(&self, key: &K, ttl: impl Fn(&V) -> Duration) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (at, v) = entries.get(key)?;
        (at.elapsed() < ttl(v)).then(|| v.clone())
    }

    pub fn insert(&self, key: K, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_the_map_stays_bounded() {
        let c: ExpiringCache<u32, &str> = ExpiringCache::default();
        c.insert(1, "a");
        assert_eq!(c.get(&1, |_| Duration::from_secs(10)), Some("a"));
        assert_eq!(c.get(&1, |_| Duration::ZERO), None);
        for i in 0..(MAX_ENTRIES as u32 + 5) {
            c.insert(i, "x");
        }
        assert!(c.entries.lock().unwrap().len() <= MAX_ENTRIES);
    }
}
