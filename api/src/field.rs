//! Field-level validation errors, shaped like Kubernetes' `field.Error`.

use serde_json::Value;

/// One invalid field, rendered as a `details.causes[]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Field path as kube prints it, e.g. `spec.provider.workers[0].machine.type`.
    pub field: String,
    /// Cause reason: `FieldValueRequired`, `FieldValueInvalid`, `FieldValueNotSupported`,
    /// `FieldValueForbidden`, `FieldValueDuplicate`, `FieldValueTooLong`, `FieldValueNotFound`.
    pub reason: &'static str,
    /// Full message as kubectl shows it after the field path, e.g. `Required value` or
    /// `Unsupported value: "1.29.9": supported values: "1.33.2"`.
    pub message: String,
}

impl FieldError {
    pub fn required(field: impl Into<String>, detail: &str) -> Self {
        let message =
            if detail.is_empty() { "Required value".to_string() } else { format!("Required value: {detail}") };
        Self { field: field.into(), reason: "FieldValueRequired", message }
    }
    pub fn invalid(field: impl Into<String>, value: &Value, detail: &str) -> Self {
        Self {
            field: field.into(),
            reason: "FieldValueInvalid",
            message: format!("Invalid value: {}: {detail}", render_value(value)),
        }
    }
    pub fn not_supported(field: impl Into<String>, value: &Value, supported: &[String]) -> Self {
        let list = supported.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ");
        let message = if supported.is_empty() {
            format!("Unsupported value: {}", render_value(value))
        } else {
            format!("Unsupported value: {}: supported values: {list}", render_value(value))
        };
        Self { field: field.into(), reason: "FieldValueNotSupported", message }
    }
    pub fn forbidden(field: impl Into<String>, detail: &str) -> Self {
        Self { field: field.into(), reason: "FieldValueForbidden", message: format!("Forbidden: {detail}") }
    }
    pub fn duplicate(field: impl Into<String>, value: &Value) -> Self {
        Self {
            field: field.into(),
            reason: "FieldValueDuplicate",
            message: format!("Duplicate value: {}", render_value(value)),
        }
    }
    pub fn not_found(field: impl Into<String>, value: &Value) -> Self {
        Self {
            field: field.into(),
            reason: "FieldValueNotFound",
            message: format!("Not found: {}", render_value(value)),
        }
    }
    pub fn too_long(field: impl Into<String>, max: usize) -> Self {
        Self {
            field: field.into(),
            reason: "FieldValueTooLong",
            message: format!("Too long: may not be more than {max} bytes"),
        }
    }
    /// `spec.x: Invalid value: ...` as one line.
    pub fn line(&self) -> String {
        if self.field.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.field, self.message)
        }
    }
}

fn render_value(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}
