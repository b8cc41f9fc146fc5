//! SeedValidator: a Seed cannot be deleted while Shoots are scheduled to it (`spec.seedName`) or still run on
//! it (`status.seedName`, e.g. during a control plane migration).

use garden_api::core::v1beta1::Shoot;

use super::resource_reference_manager::CORE;
use api_machinery::admission::{Attributes, Lookup, Operation, Plugin};
use api_machinery::error::ApiError;

pub struct SeedValidator;

impl Plugin for SeedValidator {
    fn name(&self) -> &'static str {
        "SeedValidator"
    }

    fn validate(&self, a: &Attributes<'_>, lookup: &dyn Lookup) -> Result<(), ApiError> {
        if !a.is(CORE, "seeds") || a.operation != Operation::Delete || !a.subresource.is_empty() {
            return Ok(());
        }
        let seed = Some(a.name);
        let count = lookup
            .list(CORE, "shoots", "")
            .iter()
            .filter_map(|v| serde_json::from_value::<Shoot>((**v).clone()).ok())
            .filter(|s| {
                s.spec.seed_name.as_deref() == seed || s.status.as_ref().and_then(|st| st.seed_name.as_deref()) == seed
            })
            .count();
        if count == 0 {
            return Ok(());
        }
        Err(ApiError::forbidden(
            CORE,
            "seeds",
            a.name,
            &format!("cannot delete seed '{}' which is still used by {count} shoot(s)", a.name),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::testing::{admit, FakeLookup};
    use serde_json::json;

    #[test]
    fn deletion_refused_while_shoots_use_the_seed() {
        let seed = json!({"metadata": {"name": "local"}, "spec": {}});
        let shoot = |name: &str, spec_seed: Option<&str>, status_seed: Option<&str>| {
            json!({"metadata": {"name": name, "namespace": "garden-dev"},
                   "spec": {"seedName": spec_seed}, "status": {"seedName": status_seed}})
        };
        let del =
            |l: &FakeLookup| admit(&SeedValidator, l, Operation::Delete, CORE, "seeds", "", None, Some(seed.clone()));

        let l = FakeLookup::default().with(CORE, "shoots", shoot("elsewhere", Some("other"), Some("other")));
        del(&l).unwrap();
        let l = l.with(CORE, "shoots", shoot("a", Some("local"), None)).with(
            CORE,
            "shoots",
            shoot("b", Some("other"), Some("local")),
        );
        let e = del(&l).unwrap_err();
        assert_eq!(e.code, 403);
        assert_eq!(
            e.message,
            r#"seeds.core.gardener.cloud "local" is forbidden: cannot delete seed 'local' which is still used by 2 shoot(s)"#
        );
    }
}
