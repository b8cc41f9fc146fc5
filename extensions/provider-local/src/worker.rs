//! What the local provider adds to the generic Worker actuator: a local machine's image and kubelet version.

use garden_api::core::v1beta1::CloudProfile;
use garden_api::extensions::v1alpha1::{Worker, WorkerPool};
use serde_json::{json, Value};
use worker_actuator::{Delegate, Error};

use crate::driver::PROVIDER;

/// The local provider's [`Delegate`].
pub struct Local;

impl Delegate for Local {
    fn worker_type(&self) -> &'static str {
        PROVIDER
    }

    fn class_provider(&self) -> &'static str {
        PROVIDER
    }

    fn provider_spec(&self, _: &Worker, pool: &WorkerPool, _zone: &str, _: &CloudProfile) -> Result<Value, Error> {
        let version = pool.kubernetes_version.clone().unwrap_or_default();
        Ok(json!({
            "image": format!("{}:{}", pool.machine_image.name, pool.machine_image.version),
            "kubeletVersion": format!("v{}", version.trim_start_matches('v')),
        }))
    }
}
