//! DeletionConfirmation: Shoots and Projects are only deleted when annotated
//! `confirmation.gardener.cloud/deletion=true`.

use serde_json::Value;

use api_machinery::admission::{Attributes, Lookup, Operation, Plugin};
use api_machinery::error::ApiError;

pub const ANNOTATION: &str = "confirmation.gardener.cloud/deletion";

pub struct DeletionConfirmation;

impl Plugin for DeletionConfirmation {
    fn name(&self) -> &'static str {
        "DeletionConfirmation"
    }

    fn validate(&self, a: &Attributes<'_>, _lookup: &dyn Lookup) -> Result<(), ApiError> {
        let guarded = a.is("core.gardener.cloud", "shoots") || a.is("core.gardener.cloud", "projects");
        if a.operation != Operation::Delete || !guarded {
            return Ok(());
        }
        let confirmed = a
            .old
            .and_then(|o| o.pointer("/metadata/annotations"))
            .and_then(|m| m.get(ANNOTATION))
            .and_then(Value::as_str)
            .is_some_and(|v| v == "true");
        if confirmed {
            return Ok(());
        }
        Err(ApiError::forbidden(
            a.resource.group,
            a.resource.plural,
            a.name,
            &format!("must have a \"{ANNOTATION}\" annotation to delete"),
        ))
    }
}
