//! The etcd v3 boundary: raw keys and JSON bytes, resourceVersion = etcd revision, compare-and-swap writes.

use std::time::Instant;

use etcd_client::{Client, Compare, CompareOp, GetOptions, Txn, TxnOp, TxnOpResponse, WatchOptions, WatchStream};

use crate::error::ApiError;
use crate::metrics::METRICS;

/// One key as stored in etcd.
#[derive(Debug, Clone)]
pub struct RawKv {
    pub key: String,
    pub value: Vec<u8>,
    pub mod_revision: i64,
    pub create_revision: i64,
}

impl RawKv {
    fn from_kv(kv: &etcd_client::KeyValue) -> Self {
        Self {
            key: String::from_utf8_lossy(kv.key()).into_owned(),
            value: kv.value().to_vec(),
            mod_revision: kv.mod_revision(),
            create_revision: kv.create_revision(),
        }
    }
}

/// A page of a range read.
pub struct RangePage {
    pub kvs: Vec<RawKv>,
    pub more: bool,
    /// The revision the read was served at.
    pub revision: i64,
}

/// Outcome of a conditional write.
pub enum CasOutcome {
    /// Written at this revision.
    Done(i64),
    /// The precondition failed; the current value (None = key absent).
    Conflict(Option<RawKv>),
}

/// Thin, cloneable handle on the etcd cluster.
#[derive(Clone)]
pub struct EtcdStore {
    client: Client,
}

fn etcd_err(op: &str, e: etcd_client::Error) -> ApiError {
    if is_compacted(&e) {
        return ApiError::gone(format!("The resourceVersion for the provided {op} is too old."));
    }
    tracing::warn!(op, error = %e, "etcd request failed");
    ApiError::unavailable(format!("storage is unavailable: etcd {op} failed"))
}

/// Whether an etcd error says the requested revision was compacted away.
pub fn is_compacted(e: &etcd_client::Error) -> bool {
    e.to_string().contains("compacted")
}

fn observe(op: &'static str, start: Instant) {
    METRICS.etcd_request_duration.with_label_values(&[op]).observe(start.elapsed().as_secs_f64());
}

impl EtcdStore {
    pub async fn connect(endpoints: &[String]) -> Result<Self, etcd_client::Error> {
        let opts = etcd_client::ConnectOptions::new()
            .with_connect_timeout(std::time::Duration::from_secs(5))
            .with_keep_alive(std::time::Duration::from_secs(10), std::time::Duration::from_secs(5));
        let client = Client::connect(endpoints, Some(opts)).await?;
        Ok(Self { client })
    }

    pub async fn get(&self, key: &str) -> Result<Option<RawKv>, ApiError> {
        let start = Instant::now();
        let mut kv = self.client.kv_client();
        let resp = kv.get(key, None).await.map_err(|e| etcd_err("get", e))?;
        observe("get", start);
        Ok(resp.kvs().first().map(RawKv::from_kv))
    }

    /// Range `[start, end)` at `revision` (0 = latest), at most `limit` keys (0 = all).
    pub async fn range(
        &self,
        start_key: &str,
        end_key: &str,
        revision: i64,
        limit: i64,
    ) -> Result<RangePage, ApiError> {
        let start = Instant::now();
        let mut opts = GetOptions::new().with_range(end_key);
        if revision > 0 {
            opts = opts.with_revision(revision);
        }
        if limit > 0 {
            opts = opts.with_limit(limit);
        }
        let mut kv = self.client.kv_client();
        let resp = kv.get(start_key, Some(opts)).await.map_err(|e| etcd_err("list", e))?;
        observe("range", start);
        let revision = resp.header().map(|h| h.revision()).unwrap_or_default();
        Ok(RangePage { kvs: resp.kvs().iter().map(RawKv::from_kv).collect(), more: resp.more(), revision })
    }

    /// The cluster's current revision (cheap: counts one key).
    pub async fn current_revision(&self) -> Result<i64, ApiError> {
        let mut kv = self.client.kv_client();
        let resp = kv.get("\0", Some(GetOptions::new().with_count_only())).await.map_err(|e| etcd_err("get", e))?;
        Ok(resp.header().map(|h| h.revision()).unwrap_or_default())
    }

    /// Whether reading at `revision` is still possible (not compacted).
    pub async fn revision_available(&self, revision: i64) -> Result<bool, ApiError> {
        let mut kv = self.client.kv_client();
        match kv.get("\0", Some(GetOptions::new().with_count_only().with_revision(revision))).await {
            Ok(_) => Ok(true),
            Err(e) if is_compacted(&e) => Ok(false),
            Err(e) if e.to_string().contains("future revision") => Ok(true),
            Err(e) => Err(etcd_err("get", e)),
        }
    }

    /// Create `key` only if absent.
    pub async fn create(&self, key: &str, value: Vec<u8>) -> Result<CasOutcome, ApiError> {
        let txn = Txn::new()
            .when(vec![Compare::create_revision(key, CompareOp::Equal, 0)])
            .and_then(vec![TxnOp::put(key, value, None)])
            .or_else(vec![TxnOp::get(key, None)]);
        self.txn("create", txn).await
    }

    /// Put `key` only if its mod revision is still `expected`.
    pub async fn update(&self, key: &str, value: Vec<u8>, expected: i64) -> Result<CasOutcome, ApiError> {
        let txn = Txn::new()
            .when(vec![Compare::mod_revision(key, CompareOp::Equal, expected)])
            .and_then(vec![TxnOp::put(key, value, None)])
            .or_else(vec![TxnOp::get(key, None)]);
        self.txn("update", txn).await
    }

    /// Delete `key` only if its mod revision is still `expected`.
    pub async fn delete(&self, key: &str, expected: i64) -> Result<CasOutcome, ApiError> {
        let txn = Txn::new()
            .when(vec![Compare::mod_revision(key, CompareOp::Equal, expected)])
            .and_then(vec![TxnOp::delete(key, None)])
            .or_else(vec![TxnOp::get(key, None)]);
        self.txn("delete", txn).await
    }

    async fn txn(&self, op: &'static str, txn: Txn) -> Result<CasOutcome, ApiError> {
        let start = Instant::now();
        let mut kv = self.client.kv_client();
        let resp = kv.txn(txn).await.map_err(|e| etcd_err(op, e))?;
        observe(op, start);
        if resp.succeeded() {
            return Ok(CasOutcome::Done(resp.header().map(|h| h.revision()).unwrap_or_default()));
        }
        let current = resp.op_responses().into_iter().find_map(|r| match r {
            TxnOpResponse::Get(g) => Some(g.kvs().first().map(RawKv::from_kv)),
            _ => None,
        });
        Ok(CasOutcome::Conflict(current.flatten()))
    }

    /// Watch every key under `prefix` from `start_revision`, with previous values.
    pub async fn watch_prefix(&self, prefix: &str, start_revision: i64) -> Result<WatchStream, etcd_client::Error> {
        let mut w = self.client.watch_client();
        let opts = WatchOptions::new()
            .with_prefix()
            .with_prev_key()
            .with_start_revision(start_revision)
            .with_progress_notify();
        w.watch(prefix, Some(opts)).await
    }

    /// Compact history up to `revision`.
    pub async fn compact(&self, revision: i64) -> Result<(), etcd_client::Error> {
        let mut kv = self.client.kv_client();
        kv.compact(revision, None).await.map(|_| ())
    }
}

/// The smallest key greater than every key starting with `prefix`.
pub fn prefix_end(prefix: &str) -> String {
    let mut bytes = prefix.as_bytes().to_vec();
    while let Some(last) = bytes.pop() {
        if last < 0xff {
            bytes.push(last + 1);
            return String::from_utf8_lossy(&bytes).into_owned();
        }
    }
    "\0".to_string()
}
