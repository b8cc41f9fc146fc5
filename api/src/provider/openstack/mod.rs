//! `openstack.provider.extensions.gardener.cloud`: the OpenStack provider's configuration and status payloads,
//! wire-compatible with gardener/gardener-extension-provider-openstack.

pub mod v1alpha1;
