//! Gardener's kinds (`core.gardener.cloud`, `security.gardener.cloud`, `extensions.gardener.cloud`) and MCM's
//! (`machine.sapcloud.io`) on `api_machinery::registry`.

pub mod gardener;
pub mod machine;

use api_machinery::error::FieldError;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Validation through a kind's typed pure function; undecodable input cannot reach here (the codec ran).
fn with_typed<T: DeserializeOwned>(v: &Value, rules: impl FnOnce(&T) -> Vec<FieldError>) -> Vec<FieldError> {
    api_machinery::registry::from_json::<T>(v).map(|t| rules(&t)).unwrap_or_default()
}

/// A kind's typed `rules`, and on an update (`old`) its `update_rules` against the stored object; the object is
/// decoded once for both.
fn typed_rules<T: DeserializeOwned>(
    obj: &Value,
    old: Option<&Value>,
    rules: impl FnOnce(&T) -> Vec<FieldError>,
    update_rules: impl FnOnce(&T, &T) -> Vec<FieldError>,
) -> Vec<FieldError> {
    let Ok(new) = api_machinery::registry::from_json::<T>(obj) else { return Vec::new() };
    let mut errs = rules(&new);
    if let Some(old) = old.and_then(|o| api_machinery::registry::from_json::<T>(o).ok()) {
        errs.extend(update_rules(&new, &old));
    }
    errs
}
