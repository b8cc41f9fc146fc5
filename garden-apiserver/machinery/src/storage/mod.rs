//! Storage: etcd access and the watch cache on top of it.

pub mod cache;
pub mod etcd;
pub mod object;

use serde_json::Value;

use self::etcd::RawKv;

/// Decode a stored object and stamp its resourceVersion (= the key's mod revision).
/// Undecodable values are skipped with a log line (they can only come from outside writers).
pub fn decode_stored(kv: &RawKv) -> Option<Value> {
    match serde_json::from_slice::<Value>(&kv.value) {
        Ok(mut obj) => {
            cache::set_rv(&mut obj, kv.mod_revision);
            Some(obj)
        }
        Err(e) => {
            tracing::warn!(key = %kv.key, error = %e, "skipping undecodable object in etcd");
            None
        }
    }
}
