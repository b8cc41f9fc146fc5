//! Shared listings, one per key (a cluster, under one set of credentials) at a time: the lookups of many machines
//! of one cluster (status reads, the lookup before a create, the wait for a new VM) ride on one cloud listing
//! instead of sending one each.
//!
//! Freshness: a lookup joins only a listing that has not been sent yet. Every answer therefore reflects at least
//! the VMs that existed when the lookup was asked; a listing sent before a create is never the answer to a lookup
//! that began after it. A new listing waits for the one in flight (or, with none, for the gather time) so that the
//! lookups arriving meanwhile share it.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::{BoxFuture, FutureExt, Shared};

use crate::DriverError;

type Listing<T> = Shared<BoxFuture<'static, Result<Arc<T>, DriverError>>>;

struct Pending<T> {
    sent: Arc<AtomicBool>,
    listing: Listing<T>,
}

/// Listings of `T` by key `K`.
pub struct SharedListings<K, T> {
    pending: Arc<Mutex<HashMap<K, Pending<T>>>>,
    gather: Duration,
}

impl<K, T> SharedListings<K, T>
where
    K: Clone + Eq + Hash + Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    /// `gather`: how long the first lookup of an idle key waits for others to join it.
    pub fn new(gather: Duration) -> Self {
        SharedListings { pending: Arc::new(Mutex::new(HashMap::new())), gather }
    }

    /// The answer of a listing of `key` sent no earlier than this call; `list` makes one when none is waiting to
    /// be sent.
    pub async fn get<F>(&self, key: K, list: F) -> Result<Arc<T>, DriverError>
    where
        F: FnOnce() -> BoxFuture<'static, Result<T, DriverError>>,
    {
        let listing = {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            match pending.get(&key) {
                Some(p) if !p.sent.load(Ordering::SeqCst) => p.listing.clone(),
                in_flight => {
                    let previous = in_flight.map(|p| p.listing.clone());
                    let sent = Arc::new(AtomicBool::new(false));
                    let listing = self.listing(key.clone(), list(), previous, sent.clone());
                    pending.insert(key, Pending { sent, listing: listing.clone() });
                    listing
                }
            }
        };
        listing.await
    }

    fn listing(
        &self,
        key: K,
        list: BoxFuture<'static, Result<T, DriverError>>,
        previous: Option<Listing<T>>,
        sent: Arc<AtomicBool>,
    ) -> Listing<T> {
        let pending = Arc::downgrade(&self.pending);
        let gather = self.gather;
        async move {
            match previous {
                Some(previous) => drop(previous.await),
                None => tokio::time::sleep(gather).await,
            }
            sent.store(true, Ordering::SeqCst);
            let result = list.await.map(Arc::new);
            // Forget the finished listing (unless a newer one took its place), so its answer is not kept.
            if let Some(pending) = pending.upgrade() {
                let mut pending = pending.lock().unwrap_or_else(|e| e.into_inner());
                if pending.get(&key).is_some_and(|p| Arc::ptr_eq(&p.sent, &sent)) {
                    pending.remove(&key);
                }
            }
            result
        }
        .boxed()
        .shared()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test]
    async fn concurrent_lookups_share_a_listing_and_later_ones_get_a_fresh_one() {
        let listings: Arc<SharedListings<&str, usize>> = Arc::new(SharedListings::new(Duration::from_millis(10)));
        let sent = Arc::new(AtomicUsize::new(0));
        let lookup = |listings: Arc<SharedListings<&'static str, usize>>, sent: Arc<AtomicUsize>| async move {
            let list = move || {
                async move {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Ok(sent.fetch_add(1, Ordering::SeqCst) + 1)
                }
                .boxed()
            };
            *listings.get("c", list).await.unwrap()
        };
        let answers = futures::future::join_all((0..10).map(|_| lookup(listings.clone(), sent.clone()))).await;
        assert_eq!(answers, vec![1; 10], "ten lookups at once: one listing");
        assert_eq!(lookup(listings.clone(), sent.clone()).await, 2, "a later lookup: a new listing");
    }
}
