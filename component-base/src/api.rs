//! Small helpers over kube-rs calls that every controller repeats.

use kube::api::{Api, DeleteParams};

/// Whether `err` is an API `Status` with HTTP code `code` (e.g. 404, 409).
pub fn is_status(err: &kube::Error, code: u16) -> bool {
    matches!(err, kube::Error::Api(s) if s.code == code)
}

/// Deletes `name`; an object that is already gone is fine. Returns whether it still existed.
pub async fn delete_if_exists<K>(api: &Api<K>, name: &str) -> Result<bool, kube::Error>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    match api.delete(name, &DeleteParams::default()).await {
        Ok(_) => Ok(true),
        Err(e) if is_status(&e, 404) => Ok(false),
        Err(e) => Err(e),
    }
}
