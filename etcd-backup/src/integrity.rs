//! Every object we write is `payload || sha256(payload)`: the 32 raw bytes of the digest follow the payload.
//! [`Sealer`] hashes while a payload streams out; [`Verifier`] holds back the last 32 bytes of a stream, hashes
//! the rest while passing it on, and compares at the end. The same shape is etcd's own snapshot stream (the
//! database followed by its sha256), so the full snapshot checks etcd's digest with a [`Verifier`] too.

use bytes::Bytes;
use futures::StreamExt;
use object_store::path::Path;
use object_store::ObjectStore;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::error::{Error, Result};

/// Length of the digest trailer.
pub const HASH_LEN: usize = 32;

/// Hashes a payload as it is written; [`Sealer::finish`] gives the trailer.
#[derive(Default)]
pub struct Sealer(Sha256);

impl Sealer {
    /// A fresh hasher.
    pub fn new() -> Self {
        Sealer(Sha256::new())
    }

    /// Feeds the next piece of payload.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The trailer to append after the payload.
    pub fn finish(self) -> [u8; HASH_LEN] {
        self.0.finalize().into()
    }
}

/// `payload || sha256(payload)` of an in-memory payload.
pub fn seal(mut payload: Vec<u8>) -> Vec<u8> {
    let digest = Sha256::digest(&payload);
    payload.extend_from_slice(&digest);
    payload
}

/// Checks and strips the trailer of an in-memory object.
pub fn unseal<'a>(name: &str, data: &'a [u8]) -> Result<&'a [u8]> {
    let mut v = Verifier::new(name);
    let [a, b] = v.push(Bytes::copy_from_slice(data));
    v.finish()?;
    Ok(&data[..a.len() + b.len()])
}

/// Verifies a stream of `payload || sha256(payload)` chunks: [`Verifier::push`] returns the payload bytes that
/// are certainly not part of the trailer; [`Verifier::finish`] compares the held-back trailer.
pub struct Verifier {
    name: String,
    hasher: Sha256,
    tail: Vec<u8>,
    total: u64,
}

impl Verifier {
    /// A verifier for the object called `name` (used in the error).
    pub fn new(name: impl Into<String>) -> Self {
        Verifier { name: name.into(), hasher: Sha256::new(), tail: Vec::with_capacity(HASH_LEN), total: 0 }
    }

    /// Takes the next chunk; returns up to two pieces of payload (possibly empty) to pass on, in order.
    pub fn push(&mut self, chunk: Bytes) -> [Bytes; 2] {
        self.total += chunk.len() as u64;
        let out = if chunk.len() >= HASH_LEN {
            // The old tail and all but the last HASH_LEN bytes of the chunk are payload.
            let head = chunk.slice(..chunk.len() - HASH_LEN);
            let old_tail = Bytes::from(std::mem::replace(&mut self.tail, chunk[chunk.len() - HASH_LEN..].to_vec()));
            [old_tail, head]
        } else {
            self.tail.extend_from_slice(&chunk);
            let excess = self.tail.len().saturating_sub(HASH_LEN);
            [Bytes::from(self.tail.drain(..excess).collect::<Vec<u8>>()), Bytes::new()]
        };
        for piece in &out {
            self.hasher.update(piece);
        }
        out
    }

    /// Like [`Verifier::push`] for a caller that only needs the check, not the payload pieces.
    pub fn update(&mut self, data: &[u8]) {
        self.total += data.len() as u64;
        if data.len() >= HASH_LEN {
            self.hasher.update(&self.tail);
            self.hasher.update(&data[..data.len() - HASH_LEN]);
            self.tail.clear();
            self.tail.extend_from_slice(&data[data.len() - HASH_LEN..]);
        } else {
            self.tail.extend_from_slice(data);
            let excess = self.tail.len().saturating_sub(HASH_LEN);
            self.hasher.update(&self.tail[..excess]);
            self.tail.drain(..excess);
        }
    }

    /// Payload bytes seen so far (everything pushed minus the held-back trailer).
    pub fn payload_len(&self) -> u64 {
        self.total.saturating_sub(self.tail.len() as u64)
    }

    /// Checks the trailer.
    pub fn finish(self) -> Result<()> {
        if self.tail.len() < HASH_LEN {
            return Err(Error::CorruptSnapshot {
                name: self.name,
                reason: format!("{} bytes is shorter than its {HASH_LEN}-byte sha256 trailer", self.total),
            });
        }
        let digest: [u8; HASH_LEN] = self.hasher.finalize().into();
        if digest[..] != self.tail[..] {
            return Err(Error::CorruptSnapshot { name: self.name, reason: "sha256 mismatch".into() });
        }
        Ok(())
    }
}

/// Streams object `path` into `out` without its trailer, verifying it; returns the payload length. On a
/// mismatch `out` has received the (bad) payload: callers write to a temporary file and discard it.
pub async fn download_verified(
    store: &dyn ObjectStore,
    path: &Path,
    name: &str,
    out: &mut (impl AsyncWrite + Unpin),
) -> Result<u64> {
    let result = store.get(path).await.map_err(|e| Error::store("download", path, e))?;
    let mut stream = result.into_stream();
    let mut verifier = Verifier::new(name);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Error::store("download", path, e))?;
        for piece in verifier.push(chunk) {
            if !piece.is_empty() {
                out.write_all(&piece).await.map_err(|e| Error::io("write", name, e))?;
            }
        }
    }
    out.flush().await.map_err(|e| Error::io("write", name, e))?;
    let len = verifier.payload_len();
    verifier.finish()?;
    Ok(len)
}

/// Reads a whole (small) object and returns its verified payload.
pub async fn fetch_verified(store: &dyn ObjectStore, path: &Path, name: &str) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    download_verified(store, path, name, &mut buf).await?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verify_in_chunks(data: &[u8], chunk: usize) -> Result<Vec<u8>> {
        let mut v = Verifier::new("Full-00000000-00000001-1");
        let mut out = Vec::new();
        for c in data.chunks(chunk.max(1)) {
            for piece in v.push(Bytes::copy_from_slice(c)) {
                out.extend_from_slice(&piece);
            }
        }
        v.finish().map(|()| out)
    }

    fn check_in_chunks(data: &[u8], chunk: usize) -> Result<()> {
        let mut v = Verifier::new("Full-00000000-00000001-1");
        for c in data.chunks(chunk.max(1)) {
            v.update(c);
        }
        v.finish()
    }

    #[test]
    fn sealed_payload_verifies_in_any_chunking() {
        let payload: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let sealed = seal(payload.clone());
        assert_eq!(sealed.len(), payload.len() + HASH_LEN);
        for chunk in [1, 5, 31, 32, 33, 64, 999, 1032, 5000] {
            assert_eq!(verify_in_chunks(&sealed, chunk).unwrap(), payload, "chunk size {chunk}");
            check_in_chunks(&sealed, chunk).unwrap();
        }
        assert_eq!(unseal("x", &sealed).unwrap(), &payload[..]);
        assert_eq!(unseal("x", &seal(Vec::new())).unwrap(), b"");
    }

    #[test]
    fn a_flipped_byte_is_a_sha256_mismatch() {
        let mut sealed = seal(b"hello etcd".to_vec());
        sealed[3] ^= 0x01;
        let err = verify_in_chunks(&sealed, 4).unwrap_err().to_string();
        assert_eq!(err, "snapshot Full-00000000-00000001-1 is corrupt: sha256 mismatch");
        assert!(check_in_chunks(&sealed, 3).is_err());
        let mut sealed = seal(b"hello etcd".to_vec());
        let last = sealed.len() - 1;
        sealed[last] ^= 0x80;
        assert!(verify_in_chunks(&sealed, 100).is_err());
    }

    #[test]
    fn objects_shorter_than_the_trailer_are_corrupt() {
        let err = verify_in_chunks(&[1, 2, 3], 2).unwrap_err().to_string();
        assert!(err.starts_with("snapshot Full-00000000-00000001-1 is corrupt:"), "{err}");
        assert!(err.contains("shorter"), "{err}");
        assert!(verify_in_chunks(&[], 2).is_err());
    }

    #[test]
    fn truncation_is_detected() {
        let sealed = seal(vec![9u8; 100]);
        assert!(verify_in_chunks(&sealed[..sealed.len() - 1], 10).is_err());
        assert!(verify_in_chunks(&sealed[1..], 10).is_err());
    }
}
