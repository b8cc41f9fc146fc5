//! Static Shoot validation (create and update).

use super::super::shoot::*;
use super::{parse_cidr, val, validate_immutable, validate_tolerations};
use crate::constants::GARDEN_NAMESPACE;
use crate::field::FieldError;
use crate::names::{validate_dns1123_label, validate_dns1123_subdomain, validate_labels, validate_object_name};
use crate::semver::Version;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// Max length of a worker pool name.
pub const MAX_WORKER_NAME_LENGTH: usize = 15;
/// Max length of a (data) volume name.
pub const MAX_VOLUME_NAME_LENGTH: usize = 15;
/// Max combined length of project name and shoot name.
pub const SHOOT_NAME_PROJECT_LENGTH_LIMIT: usize = 21;
const SUPPORTED_PURPOSES: &[&str] = &[PURPOSE_DEVELOPMENT, PURPOSE_EVALUATION, PURPOSE_PRODUCTION, PURPOSE_TESTING];
const UPDATE_STRATEGIES: &[&str] = &["AutoInPlaceUpdate", "AutoRollingUpdate", "ManualInPlaceUpdate"];

fn strs(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn k8s_at_least(version: &str, minor: u64) -> bool {
    Version::parse_lenient(version).is_some_and(|v| (v.major, v.minor) >= (1, minor))
}

/// Validates a Shoot (metadata name and spec) as Gardener's static validation does.
pub fn validate_shoot(shoot: &Shoot) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = shoot.metadata.name.as_deref().unwrap_or("");
    if name.is_empty() && shoot.metadata.generate_name.as_deref().is_some_and(|g| !g.is_empty()) {
        // generateName: the server assigns the name.
    } else {
        errs.extend(validate_object_name(name, "metadata.name", true));
    }
    if name.contains("--") {
        errs.push(FieldError::invalid("metadata.name", &val(name), "name may not contain two consecutive hyphens"));
    }
    let namespace = shoot.metadata.namespace.as_deref().unwrap_or("");
    let spec = &shoot.spec;
    let workerless = spec.provider.workers.is_empty();

    errs.extend(validate_cloud_profile_reference(spec));
    if spec.provider.type_.is_empty() {
        errs.push(FieldError::required("spec.provider.type", "must specify a provider type"));
    }
    if spec.kubernetes.version.is_empty() {
        errs.push(FieldError::required("spec.kubernetes.version", "kubernetes version must not be empty"));
    } else if Version::parse(&spec.kubernetes.version).is_none() {
        errs.push(FieldError::invalid(
            "spec.kubernetes.version",
            &val(&spec.kubernetes.version),
            "must be a semantic version",
        ));
    }
    errs.extend(validate_networking(spec.networking.as_ref(), workerless));
    errs.extend(validate_maintenance(spec.maintenance.as_ref()));
    errs.extend(validate_hibernation(spec.hibernation.as_ref()));
    if spec.region.is_empty() {
        errs.push(FieldError::required("spec.region", "must specify a region"));
    }

    let secret_binding = spec.secret_binding_name.as_deref().unwrap_or("");
    let credentials_binding = spec.credentials_binding_name.as_deref().unwrap_or("");
    if workerless {
        if spec.secret_binding_name.is_some() {
            errs.push(FieldError::forbidden(
                "spec.secretBindingName",
                "this field should not be set for workerless Shoot clusters",
            ));
        }
        if spec.credentials_binding_name.is_some() {
            errs.push(FieldError::forbidden(
                "spec.credentialsBindingName",
                "this field should not be set for workerless Shoot clusters",
            ));
        }
    } else {
        if secret_binding.is_empty() && credentials_binding.is_empty() {
            errs.push(FieldError::required("spec.secretBindingName", "must be set when credentialsBindingName is not"));
        } else if !secret_binding.is_empty() && !credentials_binding.is_empty() {
            errs.push(FieldError::forbidden("spec.secretBindingName", "is incompatible with credentialsBindingName"));
        }
        if !secret_binding.is_empty() && k8s_at_least(&spec.kubernetes.version, 34) {
            errs.push(FieldError::forbidden(
                "spec.secretBindingName",
                "for Kubernetes versions >= 1.34, secretBindingName field is no longer supported, use spec.credentialsBindingName instead",
            ));
        }
    }

    if spec.seed_name.as_deref() == Some("") {
        errs.push(FieldError::invalid("spec.seedName", &val(""), "seed name must not be empty when providing the key"));
    }
    if let Some(purpose) = &spec.purpose {
        let mut allowed = strs(SUPPORTED_PURPOSES);
        if namespace == GARDEN_NAMESPACE {
            allowed.push(PURPOSE_INFRASTRUCTURE.into());
            allowed.sort();
        }
        if !allowed.contains(purpose) {
            errs.push(FieldError::not_supported("spec.purpose", &val(purpose), &allowed));
        }
    }
    errs.extend(validate_tolerations(&spec.tolerations, "spec.tolerations"));
    if let Some(ec) = &spec.exposure_class_name {
        for e in validate_dns1123_subdomain(ec, "spec.exposureClassName") {
            errs.push(e);
        }
    }
    if let Some(s) = &spec.scheduler_name {
        errs.extend(validate_dns1123_label(s, "spec.schedulerName"));
    }
    for (i, ext) in spec.extensions.iter().enumerate() {
        if ext.type_.is_empty() {
            errs.push(FieldError::required(format!("spec.extensions[{i}].type"), "field must not be empty"));
        }
    }
    errs.extend(validate_workers(spec));
    errs
}

fn validate_cloud_profile_reference(spec: &ShootSpec) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if k8s_at_least(&spec.kubernetes.version, 34) && spec.cloud_profile_name.as_deref().is_some_and(|n| !n.is_empty()) {
        errs.push(FieldError::forbidden(
            "spec.cloudProfileName",
            "for Kubernetes version >= 1.34, cloudProfileName field is no longer supported, use spec.cloudProfile.name instead",
        ));
    }
    let reference = spec.cloud_profile.clone().or_else(|| {
        spec.cloud_profile_name
            .as_ref()
            .map(|n| super::super::CloudProfileReference { kind: "CloudProfile".into(), name: n.clone() })
    });
    match reference {
        Some(r) if !r.name.is_empty() => {
            let kinds = strs(&["CloudProfile", "NamespacedCloudProfile"]);
            if !kinds.contains(&r.kind) {
                errs.push(FieldError::not_supported("spec.cloudProfile.kind", &val(&r.kind), &kinds));
            }
            if let (Some(name), Some(cp)) = (&spec.cloud_profile_name, &spec.cloud_profile) {
                if cp.kind == "CloudProfile" && !name.is_empty() && name != &cp.name {
                    errs.push(FieldError::invalid(
                        "spec.cloudProfileName",
                        &val(name),
                        "must match spec.cloudProfile.name when spec.cloudProfile.kind is CloudProfile",
                    ));
                }
            }
        }
        _ => errs.push(FieldError::required("spec.cloudProfile.name", "must specify a cloud profile")),
    }
    errs
}

fn validate_networking(networking: Option<&Networking>, workerless: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(n) = networking else {
        if !workerless {
            errs.push(FieldError::required("spec.networking", "networking should not be nil for a Shoot with workers"));
        }
        return errs;
    };
    if workerless {
        for (set, f) in [
            (n.type_.is_some(), "type"),
            (n.provider_config.is_some(), "providerConfig"),
            (n.pods.is_some(), "pods"),
            (n.nodes.is_some(), "nodes"),
        ] {
            if set {
                errs.push(FieldError::forbidden(
                    format!("spec.networking.{f}"),
                    "this field should not be set for workerless Shoot clusters",
                ));
            }
        }
    } else if n.type_.as_deref().unwrap_or("").is_empty() {
        errs.push(FieldError::required("spec.networking.type", "networking type must be provided"));
    }
    let families = [super::super::IP_FAMILY_IPV4.to_string(), super::super::IP_FAMILY_IPV6.to_string()];
    let mut seen = Vec::new();
    for (i, f) in n.ip_families.iter().enumerate() {
        let p = format!("spec.networking.ipFamilies[{i}]");
        if !families.contains(f) {
            errs.push(FieldError::not_supported(&p, &val(f), &families));
        } else if seen.contains(f) {
            errs.push(FieldError::duplicate(&p, &val(f)));
        }
        seen.push(f.clone());
    }
    let mut cidrs = Vec::new();
    for (value, f) in [(&n.pods, "pods"), (&n.nodes, "nodes"), (&n.services, "services")] {
        if let Some(v) = value {
            if let Some(c) = parse_cidr(v, &format!("spec.networking.{f}"), &mut errs) {
                cidrs.push((f, v, c));
            }
        }
    }
    for (i, (fa, va, a)) in cidrs.iter().enumerate() {
        for (fb, _, b) in &cidrs[i + 1..] {
            if a.overlaps(b) {
                errs.push(FieldError::invalid(
                    format!("spec.networking.{fa}"),
                    &val(va),
                    &format!("must not overlap with \"spec.networking.{fb}\""),
                ));
            }
        }
    }
    errs
}

fn validate_maintenance(maintenance: Option<&Maintenance>) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(w) = maintenance.and_then(|m| m.time_window.as_ref()) {
        match super::super::helper::maintenance_window_duration(&w.begin, &w.end) {
            Err(e) => errs.push(FieldError::invalid("spec.maintenance.timeWindow.begin/end", &val(w), &e)),
            Ok(d) if d > 6 * 3600 => errs.push(FieldError::invalid(
                "spec.maintenance.timeWindow",
                &val(&format!("{}h{}m0s", d / 3600, d % 3600 / 60)),
                "time window must not be greater than 6h0m0s",
            )),
            Ok(d) if d < 30 * 60 => errs.push(FieldError::invalid(
                "spec.maintenance.timeWindow",
                &val(&format!("{}m0s", d / 60)),
                "time window must not be smaller than 30m0s",
            )),
            Ok(_) => {}
        }
    }
    errs
}

fn validate_hibernation(hibernation: Option<&Hibernation>) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(h) = hibernation else { return errs };
    let mut seen = std::collections::BTreeSet::new();
    for (i, s) in h.schedules.iter().enumerate() {
        let p = format!("spec.hibernation.schedules[{i}]");
        if s.start.is_none() && s.end.is_none() {
            errs.push(FieldError::required(format!("{p}.start/end"), "either start or end has to be provided"));
        }
        for (spec, f) in [(&s.start, "start"), (&s.end, "end")] {
            let Some(spec) = spec else { continue };
            let fp = format!("{p}.{f}");
            if !seen.insert(spec.clone()) {
                errs.push(FieldError::duplicate(&fp, &val(spec)));
            } else if let Err(e) = crate::cron::validate_cron(spec) {
                errs.push(FieldError::invalid(&fp, &val(spec), &e));
            }
        }
        if let Some(loc) = &s.location {
            if loc.is_empty() || loc.contains(' ') {
                errs.push(FieldError::invalid(format!("{p}.location"), &val(loc), "not a valid time zone location"));
            }
        }
    }
    errs
}

fn int_or_percent(v: &IntOrString) -> Result<i64, String> {
    match v {
        IntOrString::Int(i) => Ok(i64::from(*i)),
        IntOrString::String(s) => s
            .strip_suffix('%')
            .and_then(|n| n.parse::<i64>().ok())
            .ok_or_else(|| "must be an integer or percentage (e.g '5%')".to_string()),
    }
}

fn validate_workers(spec: &ShootSpec) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for (i, w) in spec.provider.workers.iter().enumerate() {
        let p = format!("spec.provider.workers[{i}]");
        if !names.insert(w.name.clone()) {
            errs.push(FieldError::duplicate(format!("{p}.name"), &val(&w.name)));
        }
        errs.extend(validate_worker(w, &spec.kubernetes.version, &p));
    }
    if !spec.provider.workers.is_empty()
        && !spec.provider.workers.iter().any(|w| w.maximum > 0 && w.system_components.as_ref().is_none_or(|s| s.allow))
    {
        errs.push(FieldError::forbidden(
            "spec.provider.workers",
            "at least one active (workers[i].maximum > 0) worker pool with systemComponents.allow=true needed",
        ));
    }
    errs
}

fn validate_worker(w: &Worker, k8s_version: &str, p: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if w.name.is_empty() {
        errs.push(FieldError::required(format!("{p}.name"), ""));
    } else {
        errs.extend(validate_dns1123_label(&w.name, &format!("{p}.name")));
        if w.name.len() > MAX_WORKER_NAME_LENGTH {
            errs.push(FieldError::too_long(format!("{p}.name"), MAX_WORKER_NAME_LENGTH));
        }
    }
    if w.machine.type_.is_empty() {
        errs.push(FieldError::required(format!("{p}.machine.type"), "must specify a machine type"));
    }
    match &w.machine.image {
        None => errs.push(FieldError::required(format!("{p}.machine.image"), "must specify a machine image")),
        Some(img) => {
            if img.name.is_empty() {
                errs.push(FieldError::required(format!("{p}.machine.image.name"), "must specify a machine image name"));
            }
            if img.version.as_deref().unwrap_or("").is_empty() {
                errs.push(FieldError::required(
                    format!("{p}.machine.image.version"),
                    "must specify a machine image version",
                ));
            }
        }
    }
    if w.minimum < 0 {
        errs.push(FieldError::invalid(format!("{p}.minimum"), &val(&w.minimum), "minimum value must not be negative"));
    }
    if w.maximum < 0 {
        errs.push(FieldError::invalid(format!("{p}.maximum"), &val(&w.maximum), "maximum value must not be negative"));
    }
    if w.maximum < w.minimum {
        errs.push(FieldError::forbidden(format!("{p}.maximum"), "maximum value must not be less than minimum value"));
    }
    let mut surge = 0;
    let mut unavailable = 0;
    for (v, f, out) in
        [(&w.max_surge, "maxSurge", &mut surge), (&w.max_unavailable, "maxUnavailable", &mut unavailable)]
    {
        let Some(v) = v else { continue };
        match int_or_percent(v) {
            Err(e) => errs.push(FieldError::invalid(format!("{p}.{f}"), &val(v), &e)),
            Ok(n) if n < 0 => {
                errs.push(FieldError::invalid(format!("{p}.{f}"), &val(v), "must be greater than or equal to 0"))
            }
            Ok(n) => {
                if f == "maxUnavailable" && matches!(v, IntOrString::String(_)) && n > 100 {
                    errs.push(FieldError::invalid(format!("{p}.{f}"), &val(v), "must not be greater than 100%"));
                }
                *out = n;
            }
        }
    }
    let manual = w.update_strategy.as_deref() == Some("ManualInPlaceUpdate");
    if manual {
        if let Some(v) = &w.max_surge {
            errs.push(FieldError::invalid(
                format!("{p}.maxSurge"),
                &val(v),
                "should not be set when `updateStrategy` is `ManualInPlaceUpdate`",
            ));
        }
        if let Some(v) = &w.max_unavailable {
            errs.push(FieldError::invalid(
                format!("{p}.maxUnavailable"),
                &val(v),
                "should not be set when `updateStrategy` is `ManualInPlaceUpdate`",
            ));
        }
    } else if surge == 0 && unavailable == 0 {
        errs.push(FieldError::invalid(
            format!("{p}.maxUnavailable"),
            &val(&w.max_unavailable),
            "may not be 0 when `maxSurge` is 0",
        ));
    }
    if let Some(s) = &w.update_strategy {
        if !UPDATE_STRATEGIES.contains(&s.as_str()) {
            errs.push(FieldError::not_supported(format!("{p}.updateStrategy"), &val(s), &strs(UPDATE_STRATEGIES)));
        }
    }
    errs.extend(validate_labels(&w.labels, &format!("{p}.labels")));
    for (j, t) in w.taints.iter().enumerate() {
        let tp = format!("{p}.taints[{j}]");
        if t.key.is_empty() {
            errs.push(FieldError::required(format!("{tp}.key"), ""));
        }
        if !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&t.effect.as_str()) {
            errs.push(FieldError::not_supported(
                format!("{tp}.effect"),
                &val(&t.effect),
                &strs(&["NoExecute", "NoSchedule", "PreferNoSchedule"]),
            ));
        }
    }
    if let Some(version) = w.kubernetes.as_ref().and_then(|k| k.version.as_ref()) {
        if let (Some(wv), Some(cv)) = (Version::parse(version), Version::parse(k8s_version)) {
            if wv > cv {
                errs.push(FieldError::forbidden(
                    format!("{p}.kubernetes.version"),
                    "worker group kubernetes version must not be higher than control plane version",
                ));
            } else if cv.major == wv.major && cv.minor > wv.minor + 3 {
                errs.push(FieldError::forbidden(
                    format!("{p}.kubernetes.version"),
                    "worker group kubernetes version must be at most three minor versions behind control plane version",
                ));
            }
        }
    }
    let size_ok =
        |s: &str| s.strip_suffix("Gi").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if let Some(v) = &w.volume {
        if let Some(n) = &v.name {
            errs.extend(validate_volume_name(n, &format!("{p}.volume.name")));
        }
        if !size_ok(&v.size) {
            errs.push(FieldError::invalid(
                format!("{p}.volume.size"),
                &val(&v.size),
                "volume size must match the regex ^(\\d)+Gi$",
            ));
        }
    }
    if !w.data_volumes.is_empty() && w.volume.is_none() {
        errs.push(FieldError::required(
            format!("{p}.volume"),
            "a worker volume must be defined if data volumes are defined",
        ));
    }
    let mut volume_names = std::collections::BTreeSet::new();
    for (j, dv) in w.data_volumes.iter().enumerate() {
        let dp = format!("{p}.dataVolumes[{j}]");
        errs.extend(validate_volume_name(&dv.name, &format!("{dp}.name")));
        if !volume_names.insert(dv.name.clone()) {
            errs.push(FieldError::duplicate(format!("{dp}.name"), &val(&dv.name)));
        }
        if !size_ok(&dv.size) {
            errs.push(FieldError::invalid(
                format!("{dp}.size"),
                &val(&dv.size),
                "data volume size must match the regex ^(\\d)+Gi$",
            ));
        }
    }
    if let Some(k) = &w.kubelet_data_volume_name {
        if !w.data_volumes.iter().any(|d| &d.name == k) {
            errs.push(FieldError::invalid(
                format!("{p}.kubeletDataVolumeName"),
                &val(k),
                &format!("KubeletDataVolumeName refers to unrecognized data volume {k}"),
            ));
        }
    }
    if let Some(cri) = &w.cri {
        if cri.name != CRI_CONTAINERD {
            errs.push(FieldError::not_supported(format!("{p}.cri.name"), &val(&cri.name), &strs(&[CRI_CONTAINERD])));
        }
        let mut types = std::collections::BTreeSet::new();
        for (j, cr) in cri.container_runtimes.iter().enumerate() {
            let cp = format!("{p}.cri.containerRuntimes[{j}].type");
            if cr.type_.is_empty() {
                errs.push(FieldError::required(&cp, "must specify a container runtime type"));
            } else if !types.insert(cr.type_.clone()) {
                errs.push(FieldError::duplicate(
                    &cp,
                    &val(&format!("must specify different type, {} already exist", cr.type_)),
                ));
            }
        }
    }
    if let Some(arch) = &w.machine.architecture {
        if !VALID_ARCHITECTURES.contains(&arch.as_str()) {
            errs.push(FieldError::not_supported(
                format!("{p}.machine.architecture"),
                &val(arch),
                &strs(VALID_ARCHITECTURES),
            ));
        }
    }
    if let Some(prio) = w.priority {
        if prio < -1 {
            errs.push(FieldError::invalid(format!("{p}.priority"), &val(&prio), "can not be less than -1"));
        }
    }
    errs
}

fn validate_volume_name(name: &str, field: &str) -> Vec<FieldError> {
    let mut errs = validate_dns1123_label(name, field);
    if name.len() > MAX_VOLUME_NAME_LENGTH {
        errs.push(FieldError::too_long(field, MAX_VOLUME_NAME_LENGTH));
    }
    errs
}

/// Validates an update of a Shoot: immutable fields, version upgrade rules, then [`validate_shoot`] on `new`.
pub fn validate_shoot_update(new: &Shoot, old: &Shoot) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let (ns, os) = (&new.spec, &old.spec);
    if new.metadata.deletion_timestamp.is_some() && ns != os {
        return vec![FieldError::forbidden("spec", "cannot update shoot spec if deletion timestamp is set")];
    }
    errs.extend(validate_immutable(&ns.region, &os.region, "spec.region"));
    errs.extend(validate_immutable(&ns.provider.type_, &os.provider.type_, "spec.provider.type"));
    if os.credentials_binding_name.is_some() && ns.credentials_binding_name.as_deref().unwrap_or("").is_empty() {
        errs.push(FieldError::forbidden("spec.credentialsBindingName", "the field cannot be unset"));
    }
    let migration = os.secret_binding_name.is_some()
        && ns.secret_binding_name.is_none()
        && !ns.credentials_binding_name.as_deref().unwrap_or("").is_empty();
    if !migration {
        errs.extend(validate_immutable(&ns.secret_binding_name, &os.secret_binding_name, "spec.secretBindingName"));
    }
    // Changing the seed of a scheduled shoot moves its control plane (migration); unscheduling is impossible.
    if os.seed_name.is_some() && ns.seed_name.as_deref().unwrap_or("").is_empty() {
        errs.push(FieldError::forbidden("spec.seedName", "spec.seedName cannot be unset once the shoot is scheduled"));
    }
    if let (Some(od), Some(nd)) = (&os.dns, &ns.dns) {
        if od.domain.is_some() {
            errs.extend(validate_immutable(&nd.domain, &od.domain, "spec.dns.domain"));
        }
    }
    errs.extend(validate_version_update(&ns.kubernetes.version, &os.kubernetes.version, "spec.kubernetes.version"));
    if let Some(on) = &os.networking {
        match &ns.networking {
            None => errs
                .push(FieldError::forbidden("spec.networking", "networking cannot be set to nil if it's already set")),
            Some(nn) => {
                errs.extend(validate_immutable(&nn.type_, &on.type_, "spec.networking.type"));
                if on.pods.is_some() {
                    errs.extend(validate_immutable(&nn.pods, &on.pods, "spec.networking.pods"));
                }
                if on.services.is_some() {
                    errs.extend(validate_immutable(&nn.services, &on.services, "spec.networking.services"));
                }
                if on.nodes.is_some() {
                    errs.extend(validate_immutable(&nn.nodes, &on.nodes, "spec.networking.nodes"));
                }
            }
        }
    }
    if !os.provider.workers.is_empty() && ns.provider.workers.is_empty() {
        errs.push(FieldError::forbidden(
            "spec.provider.workers",
            "cannot switch from a Shoot with workers to a workerless Shoot",
        ));
    } else if os.provider.workers.is_empty() && !ns.provider.workers.is_empty() {
        errs.push(FieldError::forbidden(
            "spec.provider.workers",
            "cannot switch from a workerless Shoot to a Shoot with workers",
        ));
    }
    if let (Some(on), Some(nn)) = (old.status.as_ref(), new.status.as_ref()) {
        if !on.technical_id.is_empty() {
            errs.extend(validate_immutable(&nn.technical_id, &on.technical_id, "status.technicalID"));
        }
        if !on.uid.is_empty() {
            errs.extend(validate_immutable(&nn.uid, &on.uid, "status.uid"));
        }
    }
    errs.extend(validate_shoot(new));
    errs
}

fn validate_version_update(new: &str, old: &str, field: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if new.is_empty() {
        return vec![FieldError::invalid(
            field,
            &val(new),
            "cannot validate kubernetes version upgrade because it is unset",
        )];
    }
    let (Some(n), Some(o)) = (Version::parse(new), Version::parse(old)) else {
        return errs;
    };
    if n < o {
        errs.push(FieldError::forbidden(field, "kubernetes version downgrade is not supported"));
    }
    if (n.major, n.minor) >= (o.major, o.minor + 2) {
        errs.push(FieldError::forbidden(field, "kubernetes version upgrade cannot skip a minor version"));
    }
    errs
}

/// Gardener's ShootValidator rule keeping `shoot--<project>--<name>` short:
/// `len(project) + len(shoot) <= 21`.
pub fn validate_shoot_name_length(project_name: &str, shoot_name: &str) -> Vec<FieldError> {
    if project_name.len() + shoot_name.len() > SHOOT_NAME_PROJECT_LENGTH_LIMIT {
        return vec![FieldError::invalid(
            "metadata.name",
            &val(shoot_name),
            &format!(
                "the length of the shoot name and the project name must not exceed {SHOOT_NAME_PROJECT_LENGTH_LIMIT} characters (project: {project_name}; shoot: {shoot_name})"
            ),
        )];
    }
    vec![]
}

/// Same rule for `metadata.generateName`: `len(project) + len(generateName) <= 16` (5 random chars follow).
pub fn validate_shoot_generate_name_length(project_name: &str, generate_name: &str) -> Vec<FieldError> {
    let limit = SHOOT_NAME_PROJECT_LENGTH_LIMIT - 5;
    if project_name.len() + generate_name.len() > limit {
        return vec![FieldError::invalid(
            "metadata.name",
            &val(""),
            &format!(
                "the length of the shoot generateName and the project name must not exceed {limit} characters (project: {project_name}; shoot with generateName: {generate_name})"
            ),
        )];
    }
    vec![]
}
