//! The one error type of the API machinery: every failure becomes a `metav1.Status` on the wire.

use serde_json::{json, Value};

pub use garden_api::field::FieldError;

/// An API error: HTTP code + Status reason + message (+ optional details).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    /// `details` object of the Status (name, group, kind, causes, retryAfterSeconds), if any.
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self { code, reason, message: message.into(), details: None }
    }
    pub fn bad_request(m: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", m)
    }
    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }
    pub fn forbidden_msg(m: impl Into<String>) -> Self {
        Self::new(403, "Forbidden", m)
    }
    pub fn method_not_allowed(m: impl Into<String>) -> Self {
        Self::new(405, "MethodNotAllowed", m)
    }
    pub fn gone(m: impl Into<String>) -> Self {
        Self::new(410, "Expired", m)
    }
    pub fn too_large(m: impl Into<String>) -> Self {
        Self::new(413, "RequestEntityTooLarge", m)
    }
    pub fn unsupported_media(m: impl Into<String>) -> Self {
        Self::new(415, "UnsupportedMediaType", m)
    }
    pub fn internal(m: impl Into<String>) -> Self {
        Self::new(500, "InternalError", m)
    }
    pub fn unavailable(m: impl Into<String>) -> Self {
        Self::new(503, "ServiceUnavailable", m)
    }
    pub fn timeout(m: impl Into<String>) -> Self {
        Self::new(504, "Timeout", m)
    }

    /// `<plural>.<group> "<name>" not found` (core group: no suffix).
    pub fn not_found(group: &str, plural: &str, name: &str) -> Self {
        let mut e = Self::new(404, "NotFound", format!("{} \"{name}\" not found", qualified(group, plural)));
        e.details = Some(json!({"name": name, "group": group, "kind": plural}));
        e
    }
    pub fn already_exists(group: &str, plural: &str, name: &str) -> Self {
        let mut e = Self::new(409, "AlreadyExists", format!("{} \"{name}\" already exists", qualified(group, plural)));
        e.details = Some(json!({"name": name, "group": group, "kind": plural}));
        e
    }
    pub fn conflict(group: &str, plural: &str, name: &str, why: &str) -> Self {
        let mut e = Self::new(
            409,
            "Conflict",
            format!("Operation cannot be fulfilled on {} \"{name}\": {why}", qualified(group, plural)),
        );
        e.details = Some(json!({"name": name, "group": group, "kind": plural}));
        e
    }
    /// The standard optimistic-concurrency conflict.
    pub fn stale(group: &str, plural: &str, name: &str) -> Self {
        Self::conflict(
            group,
            plural,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }
    /// 403 for an admission/policy refusal on a named object.
    pub fn forbidden(group: &str, plural: &str, name: &str, why: &str) -> Self {
        let what =
            if name.is_empty() { qualified(group, plural) } else { format!("{} \"{name}\"", qualified(group, plural)) };
        let mut e = Self::new(403, "Forbidden", format!("{what} is forbidden: {why}"));
        e.details = Some(json!({"name": name, "group": group, "kind": plural}));
        e
    }
    /// 422 Invalid: `Kind.group "name" is invalid: [a, b]`.
    pub fn invalid(group: &str, kind: &str, name: &str, errs: &[FieldError]) -> Self {
        let gk = if group.is_empty() { kind.to_string() } else { format!("{kind}.{group}") };
        let joined = if errs.len() == 1 {
            errs[0].line()
        } else {
            format!("[{}]", errs.iter().map(FieldError::line).collect::<Vec<_>>().join(", "))
        };
        let causes: Vec<Value> =
            errs.iter().map(|e| json!({"reason": e.reason, "message": e.message, "field": e.field})).collect();
        let mut e = Self::new(422, "Invalid", format!("{gk} \"{name}\" is invalid: {joined}"));
        e.details = Some(json!({"name": name, "group": group, "kind": kind, "causes": causes}));
        e
    }

    /// The wire Status object.
    pub fn to_status(&self) -> Value {
        let mut s = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(d) = &self.details {
            s["details"] = d.clone();
        }
        s
    }
}

/// `shoots.core.gardener.cloud`, or `secrets` for the core group.
pub fn qualified(group: &str, plural: &str) -> String {
    if group.is_empty() {
        plural.to_string()
    } else {
        format!("{plural}.{group}")
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
