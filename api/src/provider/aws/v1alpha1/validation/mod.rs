//! Validation of the AWS provider's payloads as pure functions returning kube-style field errors, with
//! Gardener's rules and messages (gardener-extension-provider-aws `pkg/apis/aws/validation`). Each function takes
//! the path of the payload in its object, e.g. `spec.provider.infrastructureConfig`, and reports full paths such
//! as `spec.provider.infrastructureConfig.networks.zones[0].workers`.
//!
//! The API server's admission decodes a payload with [`super::decode`] and runs these against the Shoot or
//! CloudProfile that carries it; nothing here looks at AWS itself.

mod cloudprofile;
mod infrastructure;
mod worker;

pub use cloudprofile::{validate_cloud_profile_config, validate_worker_machine_images};
pub use infrastructure::{validate_ignore_tags, validate_infrastructure_config, validate_infrastructure_config_update};
pub use worker::{validate_control_plane_config, validate_worker_config, validate_worker_config_against_pool};

use crate::provider::validation::Format;

/// Field of the Shoot's node network, which holds the zones' `workers` subnets.
pub const SHOOT_NODES_FIELD: &str = "spec.networking.nodes";

fn lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// Regex `\w`.
fn word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `<prefix>[a-z0-9]+`.
fn aws_id(value: &str, prefix: &str) -> bool {
    value.strip_prefix(prefix).is_some_and(|rest| !rest.is_empty() && rest.bytes().all(lower_alnum))
}

pub(super) const VPC_ID: Format = Format { regex: "^vpc-[a-z0-9]+$", matches: |v| aws_id(v, "vpc-"), max_len: 255 };
pub(super) const EIP_ALLOCATION_ID: Format =
    Format { regex: "^eipalloc-[a-z0-9]+$", matches: |v| aws_id(v, "eipalloc-"), max_len: 255 };
pub(super) const SNAPSHOT_ID: Format =
    Format { regex: "^snap-[a-z0-9]+$", matches: |v| aws_id(v, "snap-"), max_len: 255 };
pub(super) const ZONE_NAME: Format =
    Format { regex: "^[a-z0-9-]+$", matches: |v| v.bytes().all(|b| lower_alnum(b) || b == b'-'), max_len: 255 };
pub(super) const IAM_INSTANCE_PROFILE_NAME: Format =
    Format { regex: r"^[\w+=,.@-]+$", matches: |v| v.bytes().all(|b| word(b) || b"+=,.@-".contains(&b)), max_len: 128 };
pub(super) const IAM_INSTANCE_PROFILE_ARN: Format = Format {
    regex: r"^arn:[\w +=,.@\-/:]+$",
    matches: |v| {
        v.strip_prefix("arn:")
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| word(b) || b" +=,.@-/:".contains(&b)))
    },
    max_len: 255,
};
pub(super) const TAG_KEY: Format = Format {
    regex: r"^[\w +\-=\.:/@]+$",
    matches: |v| v.bytes().all(|b| word(b) || b" +-=.:/@".contains(&b)),
    max_len: 128,
};
pub(super) const K8S_RESOURCE_NAME: Format = Format {
    regex: "^[a-z0-9.-]+$",
    matches: |v| v.bytes().all(|b| lower_alnum(b) || b".-".contains(&b)),
    max_len: 253,
};

#[cfg(test)]
mod tests;
