//! EC2 (and IAM) clients built from a class's credentials, and AWS error codes mapped to the driver's codes.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use machine_driver::{Code, DriverError};

use crate::spec::AccessKey;

/// One EC2 (and one IAM) client per (credentials, region), reused across calls (each owns a connection pool).
pub struct Clients {
    /// An endpoint other than AWS's (moto in tests). Set by the operator (a flag), never by a tenant.
    endpoint: Option<String>,
    clients: Mutex<HashMap<(String, String, String), aws_sdk_ec2::Client>>,
    iam_clients: Mutex<HashMap<(String, String, String), aws_sdk_iam::Client>>,
}

impl Clients {
    pub fn new(endpoint: Option<String>) -> Self {
        Clients { endpoint, clients: Mutex::new(HashMap::new()), iam_clients: Mutex::new(HashMap::new()) }
    }

    /// The IAM client for `key`, for shoots in `region` (IAM is global; the region picks the partition's
    /// endpoint). The endpoint override applies as for EC2 (moto serves both on one port).
    pub fn iam(&self, key: &AccessKey, region: &str) -> aws_sdk_iam::Client {
        let mut clients = self.iam_clients.lock().unwrap_or_else(|e| e.into_inner());
        clients
            .entry((key.id.clone(), key.secret.clone(), region.to_string()))
            .or_insert_with(|| {
                let mut config = aws_sdk_iam::Config::builder()
                    .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
                    .region(aws_sdk_iam::config::Region::new(region.to_string()))
                    .credentials_provider(aws_sdk_iam::config::Credentials::new(
                        &key.id,
                        &key.secret,
                        None,
                        None,
                        "machine-class-secret",
                    ));
                if let Some(endpoint) = &self.endpoint {
                    config = config.endpoint_url(endpoint);
                }
                aws_sdk_iam::Client::from_conf(config.build())
            })
            .clone()
    }

    /// The client for `key` in `region`.
    pub fn get(&self, key: &AccessKey, region: &str) -> aws_sdk_ec2::Client {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        clients
            .entry((key.id.clone(), key.secret.clone(), region.to_string()))
            .or_insert_with(|| {
                let mut config = aws_sdk_ec2::Config::builder()
                    .behavior_version(BehaviorVersion::latest())
                    .region(Region::new(region.to_string()))
                    .credentials_provider(Credentials::new(&key.id, &key.secret, None, None, "machine-class-secret"));
                if let Some(endpoint) = &self.endpoint {
                    config = config.endpoint_url(endpoint);
                }
                aws_sdk_ec2::Client::from_conf(config.build())
            })
            .clone()
    }
}

/// The driver code of an AWS error code.
pub fn code_of(aws_code: &str) -> Code {
    match aws_code {
        "InvalidInstanceID.NotFound" | "NoSuchEntity" => Code::NotFound,
        "EntityAlreadyExists" | "InvalidKeyPair.Duplicate" | "InvalidGroup.Duplicate" => Code::AlreadyExists,
        "DeleteConflict" | "DependencyViolation" => Code::FailedPrecondition,
        "AuthFailure"
        | "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "UnrecognizedClientException"
        | "InvalidAccessKeyId"
        | "OptInRequired" => Code::Unauthenticated,
        "UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException" => Code::PermissionDenied,
        "RequestLimitExceeded"
        | "Throttling"
        | "ThrottlingException"
        | "ServiceUnavailable"
        | "Unavailable"
        | "InternalError"
        | "InternalFailure" => Code::Unavailable,
        "InsufficientInstanceCapacity" | "InsufficientAddressCapacity" | "InsufficientFreeAddressesInSubnet" => {
            Code::ResourceExhausted
        }
        c if c.ends_with("LimitExceeded") => Code::ResourceExhausted,
        c if c.starts_with("Invalid") || c.starts_with("Missing") || c == "Unsupported" => Code::InvalidArgument,
        _ => Code::Unknown,
    }
}

/// A failed EC2 call as a driver error: `<what>: <AWS code>: <AWS message>` (AWS's messages carry no secrets).
/// Calls that never got an answer (connection, timeout) are `Unavailable`.
pub fn error<E, R>(what: &str, err: SdkError<E, R>) -> DriverError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::ServiceError(_) => {
            let aws_code = err.code().unwrap_or("Unknown");
            let message = err.message().unwrap_or_default();
            DriverError::new(code_of(aws_code), format!("{what}: {aws_code}: {message}"))
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            DriverError::new(Code::Unavailable, format!("{what}: EC2 cannot be reached: {}", source_chain(&err)))
        }
        _ => DriverError::internal(format!("{what}: {}", source_chain(&err))),
    }
}

/// An error with its causes, `: `-separated.
pub(crate) fn source_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        out.push_str(": ");
        out.push_str(&e.to_string());
        cur = e.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_codes_map_to_mcm_codes() {
        for (aws, code) in [
            ("InsufficientInstanceCapacity", Code::ResourceExhausted),
            ("InstanceLimitExceeded", Code::ResourceExhausted),
            ("VcpuLimitExceeded", Code::ResourceExhausted),
            ("InvalidInstanceID.NotFound", Code::NotFound),
            ("AuthFailure", Code::Unauthenticated),
            ("UnauthorizedOperation", Code::PermissionDenied),
            ("RequestLimitExceeded", Code::Unavailable),
            ("InvalidAMIID.NotFound", Code::InvalidArgument),
            ("InvalidSubnetID.NotFound", Code::InvalidArgument),
            ("NoSuchEntity", Code::NotFound),
            ("EntityAlreadyExists", Code::AlreadyExists),
            ("DeleteConflict", Code::FailedPrecondition),
            ("LimitExceeded", Code::ResourceExhausted),
            ("SomethingNew", Code::Unknown),
        ] {
            assert_eq!(code_of(aws), code, "{aws}");
        }
    }
}
