//! `machine.sapcloud.io`: the machine-controller-manager's (MCM) API group, wire-compatible with MCM's CRDs.

pub mod v1alpha1;
