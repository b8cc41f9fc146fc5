//! Delta snapshots: the events of an etcd watch on all keys, buffered and written as
//! `Incr-<firstRev>-<lastRev>-<unix>` objects whose payload is a JSON array of [`DeltaEvent`]s.
//!
//! The watch asks etcd to fragment large responses, so one response holds at most about etcd's
//! `--max-request-bytes`; memory is bounded by the flush limit plus one response. A flush never splits a
//! revision (it waits for the last fragment), so a restore can apply each revision as one transaction.

use base64::Engine;
use etcd_client::{Client, WatchOptions, WatchStream};
use object_store::{ObjectStore, PutPayload};
use serde::{Deserialize, Serialize};
use tracing::{debug, info};

use crate::error::{Error, Result};
use crate::full::{now_unix, Uploaded};
use crate::integrity::seal;
use crate::layout::Snapshot;

/// Put or delete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    /// The key was created or updated.
    Put,
    /// The key was deleted.
    Delete,
}

/// One watch event as stored in a delta snapshot. `key` and `value` are base64 in JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeltaEvent {
    /// Put or delete.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// The key.
    #[serde(with = "b64")]
    pub key: Vec<u8>,
    /// The new value (empty for deletes).
    #[serde(with = "b64", default, skip_serializing_if = "Vec::is_empty")]
    pub value: Vec<u8>,
    /// Revision of the change.
    pub mod_revision: i64,
    /// Revision that created the key (0 for deletes).
    #[serde(default)]
    pub create_revision: i64,
    /// Version of the key (0 for deletes).
    #[serde(default)]
    pub version: i64,
    /// Lease the key was attached to (0 for none). Recorded, but not restored: see [`crate::restore`].
    #[serde(default)]
    pub lease: i64,
}

impl DeltaEvent {
    fn footprint(&self) -> usize {
        self.key.len() + self.value.len() + 64
    }
}

mod b64 {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        base64::engine::general_purpose::STANDARD.decode(s.as_bytes()).map_err(serde::de::Error::custom)
    }
}

/// Serializes events as a delta payload (without the trailer).
pub fn encode(events: &[DeltaEvent]) -> Vec<u8> {
    // Base64 grows by a third; reserve that up front.
    let estimate: usize = events.iter().map(|e| (e.key.len() + e.value.len()) * 4 / 3 + 128).sum();
    let mut out = Vec::with_capacity(estimate + 2);
    serde_json::to_writer(&mut out, events).expect("serializing to a Vec cannot fail");
    out
}

/// Parses a delta payload (already verified); errors name the snapshot.
pub fn decode(name: &str, payload: &[u8]) -> Result<Vec<DeltaEvent>> {
    serde_json::from_slice(payload).map_err(|e| Error::CorruptSnapshot { name: name.into(), reason: e.to_string() })
}

/// Writes `events` (non-empty, in revision order) as one delta object.
pub async fn upload_delta(store: &dyn ObjectStore, prefix: &str, events: &[DeltaEvent]) -> Result<Uploaded> {
    let (Some(first), Some(last)) = (events.first(), events.last()) else {
        return Err(Error::InvalidConfig("refusing to write an empty delta snapshot".into()));
    };
    let snapshot = Snapshot::delta(first.mod_revision, last.mod_revision, now_unix());
    let name = snapshot.name();
    let path = snapshot.path(prefix);
    let body = seal(encode(events));
    let bytes = body.len() as u64;
    store.put(&path, PutPayload::from(body)).await.map_err(|e| Error::store("upload", &path, e))?;
    info!(snapshot = %name, events = events.len(), bytes, "uploaded delta snapshot");
    Ok(Uploaded { snapshot, name, bytes })
}

/// Largest watch response we accept; etcd fragments at its `--max-request-bytes` (1.5 MiB by default), so this
/// only matters for servers configured with a larger limit.
const MAX_WATCH_MESSAGE: usize = 256 << 20;

/// Watches all keys from a revision on and buffers the events until [`DeltaRecorder::flush`].
pub struct DeltaRecorder {
    stream: WatchStream,
    events: Vec<DeltaEvent>,
    buffered_bytes: usize,
    /// The last response was a fragment: more events of the same batch follow, don't flush yet.
    mid_fragment: bool,
    last_revision: i64,
}

impl DeltaRecorder {
    /// Starts watching at `from_revision`. Fails with [`Error::Compacted`] when etcd compacted it away.
    pub async fn start(client: &Client, from_revision: i64) -> Result<Self> {
        let mut watch = client.watch_client().max_decoding_message_size(MAX_WATCH_MESSAGE);
        let options = WatchOptions::new().with_all_keys().with_start_revision(from_revision).with_fragment();
        let stream = watch.watch(vec![0u8], Some(options)).await.map_err(|e| Error::etcd("start etcd watch", e))?;
        let mut recorder = DeltaRecorder {
            stream,
            events: Vec::new(),
            buffered_bytes: 0,
            mid_fragment: false,
            last_revision: from_revision - 1,
        };
        // The first response confirms (or refuses) the watch; compaction shows up right behind it.
        recorder.recv().await?;
        debug!(from_revision, "delta watch started");
        Ok(recorder)
    }

    /// Waits for the next watch response and buffers its events. Cancel-safe: nothing is lost when the future
    /// is dropped before it completes.
    pub async fn recv(&mut self) -> Result<()> {
        let mut resp = self
            .stream
            .message()
            .await
            .map_err(|e| Error::etcd("read etcd watch", e))?
            .ok_or_else(|| Error::WatchCancelled("watch stream closed".into()))?;
        let resp = &mut resp.0;
        if resp.canceled {
            if resp.compact_revision > 0 {
                return Err(Error::Compacted {
                    wanted: self.last_revision + 1,
                    compact_revision: resp.compact_revision,
                });
            }
            return Err(Error::WatchCancelled(resp.cancel_reason.clone()));
        }
        self.mid_fragment = resp.fragment;
        for ev in std::mem::take(&mut resp.events) {
            let Some(kv) = ev.kv else { continue };
            let event = DeltaEvent {
                event_type: if ev.r#type == 1 { EventType::Delete } else { EventType::Put },
                key: kv.key,
                value: kv.value,
                mod_revision: kv.mod_revision,
                create_revision: kv.create_revision,
                version: kv.version,
                lease: kv.lease,
            };
            self.last_revision = self.last_revision.max(event.mod_revision);
            self.buffered_bytes += event.footprint();
            self.events.push(event);
        }
        Ok(())
    }

    /// The revision of the last event seen (or the start revision - 1).
    pub fn last_revision(&self) -> i64 {
        self.last_revision
    }

    /// Approximate memory held by buffered events.
    pub fn buffered_bytes(&self) -> usize {
        self.buffered_bytes
    }

    /// Whether there are events and they end at a revision boundary.
    pub fn can_flush(&self) -> bool {
        !self.events.is_empty() && !self.mid_fragment
    }

    /// Writes the buffered events as one delta object, if there are any (and no revision is half received).
    /// On failure the events stay buffered for the next attempt.
    pub async fn flush(&mut self, store: &dyn ObjectStore, prefix: &str) -> Result<Option<Uploaded>> {
        if !self.can_flush() {
            return Ok(None);
        }
        let uploaded = upload_delta(store, prefix, &self.events).await?;
        self.events = Vec::new();
        self.buffered_bytes = 0;
        Ok(Some(uploaded))
    }

    /// Drops buffered events (after a full snapshot superseded them).
    pub fn discard(&mut self) {
        self.events = Vec::new();
        self.buffered_bytes = 0;
    }
}

/// A key for messages: as text when it is UTF-8, else base64.
pub fn display_key(key: &[u8]) -> String {
    match std::str::from_utf8(key) {
        Ok(s) => s.to_string(),
        Err(_) => format!("base64:{}", base64::engine::general_purpose::STANDARD.encode(key)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_json() {
        let events = vec![
            DeltaEvent {
                event_type: EventType::Put,
                key: b"/registry/a".to_vec(),
                value: vec![0, 1, 2, 255],
                mod_revision: 5,
                create_revision: 5,
                version: 1,
                lease: 0,
            },
            DeltaEvent {
                event_type: EventType::Delete,
                key: vec![0xff, 0x00],
                value: vec![],
                mod_revision: 6,
                create_revision: 0,
                version: 0,
                lease: 0,
            },
        ];
        let payload = encode(&events);
        let text = std::str::from_utf8(&payload).unwrap();
        assert!(text.contains(r#""type":"put""#) && text.contains(r#""modRevision":5"#), "{text}");
        assert_eq!(decode("Incr-00000005-00000006-1", &payload).unwrap(), events);
        let err = decode("Incr-00000005-00000006-1", b"[{").unwrap_err().to_string();
        assert!(err.starts_with("snapshot Incr-00000005-00000006-1 is corrupt"), "{err}");
    }
}
