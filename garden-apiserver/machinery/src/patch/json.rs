//! JSON patch (RFC 6902) and JSON merge patch (RFC 7386), with kube's limits and errors.

use serde_json::{json, Value};

use crate::error::ApiError;

/// kube's limit on JSON patch operations.
pub const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;

/// Apply JSON patch `patch` to `current`: a malformed document is 400, more than 10000 operations 413, a failing
/// operation (e.g. `test`) 422 `the server rejected our request due to an error in our request` (the failure named
/// in `details.causes`).
pub fn json_patch(current: &Value, patch: &Value) -> Result<Value, ApiError> {
    let ops: json_patch::Patch = serde_json::from_value(patch.clone())
        .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
    if ops.0.len() > MAX_JSON_PATCH_OPERATIONS {
        return Err(ApiError::too_large(format!(
            "Request entity too large: The allowed maximum operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, got {}",
            ops.0.len()
        )));
    }
    let mut doc = current.clone();
    json_patch::patch(&mut doc, &ops).map_err(|e| {
        let mut err = ApiError::new(422, "Invalid", "the server rejected our request due to an error in our request");
        err.details = Some(json!({"causes": [{"message": e.to_string()}]}));
        err
    })?;
    Ok(doc)
}

/// Apply merge patch `patch` (a JSON object, else 400) to `current`.
pub fn merge_patch(current: &Value, patch: &Value) -> Result<Value, ApiError> {
    if !patch.is_object() {
        return Err(ApiError::bad_request("Invalid JSON Patch"));
    }
    let mut doc = current.clone();
    json_patch::merge(&mut doc, patch);
    Ok(doc)
}
