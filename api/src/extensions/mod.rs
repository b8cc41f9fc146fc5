//! `extensions.gardener.cloud`: the resources a gardenlet hands to provider extensions in a seed.

pub mod v1alpha1;
