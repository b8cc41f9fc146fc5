//! Seed validation.

use super::super::seed::*;
use super::{parse_cidr, val, validate_immutable};
use crate::field::FieldError;
use crate::names::{validate_dns1123_subdomain, validate_object_name};

/// Validates a Seed: provider, networks (parse, no overlap), ingress, taints.
pub fn validate_seed(seed: &Seed) -> Vec<FieldError> {
    let mut errs = validate_object_name(seed.metadata.name.as_deref().unwrap_or(""), "metadata.name", false);
    let spec = &seed.spec;
    if spec.provider.type_.is_empty() {
        errs.push(FieldError::required("spec.provider.type", "must provide a provider type"));
    }
    if spec.provider.region.is_empty() {
        errs.push(FieldError::required("spec.provider.region", "must provide a provider region"));
    }
    let n = &spec.networks;
    let mut cidrs = Vec::new();
    for (value, f) in
        [(n.nodes.as_deref(), "nodes"), (Some(n.pods.as_str()), "pods"), (Some(n.services.as_str()), "services")]
    {
        let Some(v) = value else { continue };
        let field = format!("spec.networks.{f}");
        if v.is_empty() {
            errs.push(FieldError::required(&field, ""));
        } else if let Some(c) = parse_cidr(v, &field, &mut errs) {
            cidrs.push((field, v, c));
        }
    }
    for (i, (fa, va, a)) in cidrs.iter().enumerate() {
        for (fb, _, b) in &cidrs[i + 1..] {
            if a.overlaps(b) {
                errs.push(FieldError::invalid(fa, &val(va), &format!("must not overlap with {fb:?}")));
            }
        }
    }
    if let Some(d) = &n.shoot_defaults {
        for (value, f) in [(&d.pods, "pods"), (&d.services, "services")] {
            if let Some(v) = value {
                parse_cidr(v, &format!("spec.networks.shootDefaults.{f}"), &mut errs);
            }
        }
    }
    for (i, b) in n.block_cidrs.iter().enumerate() {
        parse_cidr(b, &format!("spec.networks.blockCIDRs[{i}]"), &mut errs);
    }
    if let Some(ing) = &spec.ingress {
        if ing.domain.is_empty() {
            errs.push(FieldError::required("spec.ingress.domain", ""));
        } else {
            errs.extend(validate_dns1123_subdomain(&ing.domain, "spec.ingress.domain"));
        }
        if ing.controller.kind != "nginx" {
            errs.push(FieldError::not_supported(
                "spec.ingress.controller.kind",
                &val(&ing.controller.kind),
                &["nginx".to_string()],
            ));
        }
    }
    if let Some(p) = &spec.dns.provider {
        if p.type_.is_empty() {
            errs.push(FieldError::required("spec.dns.provider.type", ""));
        }
    }
    if let Some(b) = &spec.backup {
        errs.extend(super::validate_backup_provider(&b.provider, "spec.backup.provider"));
    }
    let mut keys = std::collections::BTreeSet::new();
    for (i, t) in spec.taints.iter().enumerate() {
        let p = format!("spec.taints[{i}].key");
        if t.key.is_empty() {
            errs.push(FieldError::required(&p, "cannot be empty"));
        } else {
            for m in crate::names::is_qualified_name(&t.key) {
                errs.push(FieldError::invalid(&p, &val(&t.key), &m));
            }
            if !keys.insert(t.key.clone()) {
                errs.push(FieldError::duplicate(&p, &val(&t.key)));
            }
        }
    }
    errs
}

/// Validates a Seed update: provider region and networks immutable, then [`validate_seed`].
pub fn validate_seed_update(new: &Seed, old: &Seed) -> Vec<FieldError> {
    let mut errs = Vec::new();
    errs.extend(validate_immutable(&new.spec.provider.region, &old.spec.provider.region, "spec.provider.region"));
    errs.extend(validate_immutable(&new.spec.networks.pods, &old.spec.networks.pods, "spec.networks.pods"));
    errs.extend(validate_immutable(&new.spec.networks.services, &old.spec.networks.services, "spec.networks.services"));
    if old.spec.networks.nodes.is_some() {
        errs.extend(validate_immutable(&new.spec.networks.nodes, &old.spec.networks.nodes, "spec.networks.nodes"));
    }
    errs.extend(validate_seed(new));
    errs
}
