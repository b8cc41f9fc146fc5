//! The machine driver boundary: what the machine controller asks of a provider (MCM's driver interface) and
//! the error codes a provider answers with. The machine controller knows VMs only through [`Driver`]; each
//! provider crate (`extensions/provider-*`) implements it with its own cloud SDK.
//!
//! Every VM a driver creates carries tags naming its shoot (the seed namespace) and its Machine, so that
//! [`Driver::list_machines`] finds them again after a crash and the safety controller can delete orphans.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::fmt;

pub mod shared_listing;

use garden_api::machine::v1alpha1::{Machine, MachineClass};

/// Placeholder in a MachineClass's user data replaced by the machine's bootstrap token.
pub const BOOTSTRAP_TOKEN_PLACEHOLDER: &str = "<<BOOTSTRAP_TOKEN>>";
/// Placeholder in a MachineClass's user data replaced by the machine's name.
pub const MACHINE_NAME_PLACEHOLDER: &str = "<<MACHINE_NAME>>";
/// Key of the user data in the MachineClass's secret.
pub const USER_DATA_KEY: &str = "userData";

/// MCM's error codes (gRPC's, plus `Uninitialized`). What the machine controller does with each is decided
/// in one place: [`Code::retry`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    Canceled,
    Unknown,
    InvalidArgument,
    DeadlineExceeded,
    /// The VM does not exist.
    NotFound,
    AlreadyExists,
    PermissionDenied,
    /// Out of quota or capacity: retried after a long pause.
    ResourceExhausted,
    FailedPrecondition,
    Aborted,
    OutOfRange,
    Unimplemented,
    Internal,
    /// The provider cannot be reached right now.
    Unavailable,
    DataLoss,
    Unauthenticated,
    /// The VM exists but was not initialized yet (`InitializeMachine` must run).
    Uninitialized,
}

impl Code {
    /// The name MCM uses in `status.lastOperation.errorCode`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Canceled => "Canceled",
            Code::Unknown => "Unknown",
            Code::InvalidArgument => "InvalidArgument",
            Code::DeadlineExceeded => "DeadlineExceeded",
            Code::NotFound => "NotFound",
            Code::AlreadyExists => "AlreadyExists",
            Code::PermissionDenied => "PermissionDenied",
            Code::ResourceExhausted => "ResourceExhausted",
            Code::FailedPrecondition => "FailedPrecondition",
            Code::Aborted => "Aborted",
            Code::OutOfRange => "OutOfRange",
            Code::Unimplemented => "Unimplemented",
            Code::Internal => "Internal",
            Code::Unavailable => "Unavailable",
            Code::DataLoss => "DataLoss",
            Code::Unauthenticated => "Unauthenticated",
            Code::Uninitialized => "Uninitialized",
        }
    }

    /// How long to wait before trying again after this code (MCM: short retries in general, long ones when
    /// the provider is out of capacity).
    pub fn retry(self) -> Retry {
        match self {
            Code::ResourceExhausted => Retry::Long,
            Code::InvalidArgument | Code::PermissionDenied | Code::Unauthenticated | Code::Unimplemented => {
                Retry::Medium
            }
            _ => Retry::Short,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Retry classes (the controller maps them to durations; tests shorten them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    Short,
    Medium,
    Long,
}

/// A driver's failure: a code and a message for `status.lastOperation.description`. Messages never carry
/// credentials.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct DriverError {
    pub code: Code,
    pub message: String,
}

impl DriverError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        DriverError { code, message: message.into() }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Code::NotFound, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Code::Internal, message)
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(Code::InvalidArgument, message)
    }
}

/// What every call about one machine carries: the Machine, its class and the class's secret (credentials and
/// user data, with the placeholders already replaced for this machine).
#[derive(Clone, Debug)]
pub struct MachineRequest<'a> {
    pub machine: &'a Machine,
    pub class: &'a MachineClass,
    pub secret: &'a BTreeMap<String, Vec<u8>>,
}

impl fmt::Debug for SecretData<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

/// Debug-prints only the keys of a secret.
pub struct SecretData<'a>(pub &'a BTreeMap<String, Vec<u8>>);

/// The answer to a create or a status read: the VM's provider ID and the name its Node registers with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MachineIdentity {
    pub provider_id: String,
    pub node_name: String,
}

/// The provider's VMs for one class: provider ID -> machine name (from the VM's tags).
pub type MachineList = BTreeMap<String, String>;

/// MCM's driver interface. Implementations must be idempotent: `create_machine` for a machine whose VM exists
/// returns that VM, `delete_machine` for a VM that is gone succeeds.
#[async_trait::async_trait]
pub trait Driver: Send + Sync {
    /// Creates the machine's VM (tagged with its shoot and machine names).
    async fn create_machine(&self, req: &MachineRequest<'_>) -> Result<MachineIdentity, DriverError>;
    /// Finishes setting up a VM created earlier (e.g. network interfaces); most providers have nothing to do.
    async fn initialize_machine(&self, _req: &MachineRequest<'_>) -> Result<MachineIdentity, DriverError> {
        Err(DriverError::new(Code::Unimplemented, "initialization is not needed"))
    }
    /// Deletes the machine's VM; a VM that is already gone is a success.
    async fn delete_machine(&self, req: &MachineRequest<'_>) -> Result<(), DriverError>;
    /// The VM of the machine: `NotFound` when there is none, `Uninitialized` when it needs initialization.
    async fn get_machine_status(&self, req: &MachineRequest<'_>) -> Result<MachineIdentity, DriverError>;
    /// Every VM of the class's shoot, found by its tags.
    async fn list_machines(
        &self,
        class: &MachineClass,
        secret: &BTreeMap<String, Vec<u8>>,
    ) -> Result<MachineList, DriverError>;
    /// Provider volume IDs of persistent volume specs (for drain); none for providers without volumes.
    async fn get_volume_ids(
        &self,
        _specs: &[k8s_openapi::api::core::v1::PersistentVolumeSpec],
    ) -> Result<Vec<String>, DriverError> {
        Ok(Vec::new())
    }
    /// Requests this driver made to the cloud's APIs so far, by operation (for `/metrics`); empty for drivers that
    /// do not count them.
    fn cloud_api_calls(&self) -> BTreeMap<String, u64> {
        BTreeMap::new()
    }
}

/// The class's user data with the per-machine placeholders replaced.
pub fn render_user_data(template: &str, machine_name: &str, bootstrap_token: &str) -> String {
    template.replace(BOOTSTRAP_TOKEN_PLACEHOLDER, bootstrap_token).replace(MACHINE_NAME_PLACEHOLDER, machine_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_placeholders_are_replaced_everywhere() {
        let out =
            render_user_data("token: <<BOOTSTRAP_TOKEN>>\nname: <<MACHINE_NAME>> <<MACHINE_NAME>>", "m-1", "abc.def");
        assert_eq!(out, "token: abc.def\nname: m-1 m-1");
    }

    #[test]
    fn codes_keep_mcm_names_and_retry_classes() {
        assert_eq!(Code::ResourceExhausted.as_str(), "ResourceExhausted");
        assert_eq!(Code::ResourceExhausted.retry(), Retry::Long);
        assert_eq!(Code::Unavailable.retry(), Retry::Short);
        assert_eq!(DriverError::not_found("no vm").to_string(), "NotFound: no vm");
    }

    #[test]
    fn secret_debug_shows_keys_only() {
        let mut s = BTreeMap::new();
        s.insert("userData".to_string(), b"hunter2".to_vec());
        assert_eq!(format!("{:?}", SecretData(&s)), "[\"userData\"]");
    }
}
