//! `aws.provider.extensions.gardener.cloud`: the AWS provider's configuration and status payloads, wire-compatible
//! with gardener/gardener-extension-provider-aws.

pub mod v1alpha1;
