//! Provider extension APIs (`<provider>.provider.extensions.gardener.cloud`): the payloads of the
//! `providerConfig` / `providerStatus` fields that Gardener's own kinds carry as opaque JSON
//! (`Shoot.spec.provider.infrastructureConfig`, `CloudProfile.spec.providerConfig`, `Infrastructure.status.providerStatus`,
//! ...), with their validation.
//!
//! Architecture invariant: wire types and pure checks only, no cloud SDK. The API server's admission decodes and
//! validates these payloads; the provider extension crates (which hold the SDKs) decode them to act on them.

pub mod aws;
