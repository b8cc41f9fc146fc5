//! Entry points of the fuzz targets (`garden-apiserver/fuzz/`, run by `hack/fuzz.sh`), kept in the library so
//! that every input a fuzzer ever crashed on (`fuzz/regressions/<target>/`) is replayed by `cargo test` too.
//!
//! Each entry takes arbitrary bytes and drives one attack surface of the server the way a request would; it
//! must return (with an error or not) and never panic. The first byte picks a variant where a surface has several.

use std::sync::{Arc, OnceLock};

use serde_json::Value;

use api_machinery::admission::{Attributes, Chain, Lookup, Operation};
use api_machinery::authz::UserInfo;
use api_machinery::registry::{Registry, ResourceType};

use crate::profiles::ApiProfile;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| ApiProfile::Garden.registry())
}

/// The served kind an object names by its apiVersion and kind.
fn kind_of(obj: &Value) -> Option<&'static Arc<ResourceType>> {
    let api_version = obj.get("apiVersion")?.as_str()?;
    let kind = obj.get("kind")?.as_str()?;
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    registry().by_kind(group, kind)
}

/// A request body: the first byte picks the content type (JSON, YAML, kube protobuf); a body that parses is
/// decoded by the codec of the kind it names, with its strategy's defaulting and validation, as a create is.
pub fn decode_request(data: &[u8]) -> bool {
    let Some((&selector, body)) = data.split_first() else {
        return false;
    };
    let content_type = match selector % 3 {
        0 => "application/json",
        1 => "application/yaml",
        _ => "application/vnd.kubernetes.protobuf",
    };
    let Ok(obj) = api_machinery::request::parse_body(content_type, body) else {
        return false;
    };
    let Some(rt) = kind_of(&obj) else {
        return false;
    };
    let Ok((mut obj, _unknown)) = rt.codec.decode(obj) else {
        return false;
    };
    rt.strategy.default(&mut obj);
    api_machinery::validation::validate(rt, &obj, None).is_empty()
}

/// A label selector and a field selector, parsed from the same text (split at the first newline) and matched
/// against a small object, as a LIST with `labelSelector` and `fieldSelector` does.
pub fn selectors(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let (labels, fields) = text.split_once('\n').unwrap_or((text, ""));
    let object_labels: std::collections::BTreeMap<String, String> =
        [("app", "web"), ("tier", "front"), ("gardener.cloud/role", "shoot")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    let label_match = api_machinery::selector::LabelSelector::parse(labels).map(|s| s.matches(&object_labels));
    let field_match = api_machinery::selector::FieldSelector::parse(fields).map(|s| {
        s.matches(|f| match f {
            "metadata.name" => Some("web".to_string()),
            "metadata.namespace" => Some("garden-dev".to_string()),
            _ => None,
        })
    });
    matches!((label_match, field_match), (Ok(true), Ok(true)))
}

/// The objects the admission of a Shoot reads: the local example CloudProfile and project `dev`.
struct Examples(Vec<(&'static str, &'static str, Arc<Value>)>);

impl Examples {
    fn load() -> Self {
        let mut out = Vec::new();
        for text in
            [include_str!("../../examples/cloudprofile-local.yaml"), include_str!("../../examples/project-dev.yaml")]
        {
            let Ok(obj) = serde_yaml::from_str::<Value>(text) else { continue };
            if let Some(rt) = kind_of(&obj) {
                out.push((rt.group, rt.plural, Arc::new(obj)));
            }
        }
        out.push(("", "namespaces", Arc::new(serde_json::json!({"metadata": {"name": "garden-dev"}}))));
        Self(out)
    }
}

impl Lookup for Examples {
    fn get(&self, group: &str, plural: &str, namespace: &str, name: &str) -> Option<Arc<Value>> {
        self.list(group, plural, namespace)
            .into_iter()
            .find(|o| o.pointer("/metadata/name").and_then(Value::as_str) == Some(name))
    }
    fn list(&self, group: &str, plural: &str, namespace: &str) -> Vec<Arc<Value>> {
        self.0
            .iter()
            .filter(|(g, p, o)| {
                *g == group
                    && *p == plural
                    && (namespace.is_empty()
                        || o.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or_default() == namespace)
            })
            .map(|(_, _, o)| o.clone())
            .collect()
    }
}

/// A Shoot create in project `dev` (JSON body): decoded by the Shoot codec, defaulted, validated, and put through
/// the garden's whole admission chain (mutating, then validating) against the example CloudProfile.
pub fn shoot_admission(data: &[u8]) -> bool {
    static CONTEXT: OnceLock<(Chain, Examples)> = OnceLock::new();
    let (chain, lookup) = CONTEXT.get_or_init(|| (ApiProfile::Garden.admission(), Examples::load()));
    let Ok(mut obj) = serde_json::from_slice::<Value>(data) else {
        return false;
    };
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("namespace".into(), Value::String("garden-dev".into()));
    }
    let Some(rt) = registry().by_kind("core.gardener.cloud", "Shoot") else {
        return false;
    };
    let Ok((mut obj, _unknown)) = rt.codec.decode(obj) else {
        return false;
    };
    rt.strategy.default(&mut obj);
    let name = obj.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_string();
    let user = UserInfo { name: "fuzzer".into(), ..Default::default() };
    let mut attrs = Attributes {
        operation: Operation::Create,
        resource: rt,
        subresource: "",
        namespace: "garden-dev",
        name: &name,
        obj: Some(&mut obj),
        old: None,
        user: &user,
        dry_run: true,
        decoded: Default::default(),
    };
    chain.mutate(&mut attrs, lookup).is_ok() && chain.validate(&attrs, lookup).is_ok()
}

/// The schemas the patch target merges by: those of every kind the garden serves.
fn schemas() -> &'static api_machinery::patch::Schemas {
    static SCHEMAS: OnceLock<api_machinery::patch::Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let types: Vec<&ResourceType> = registry().all().iter().map(|rt| rt.as_ref()).collect();
        api_machinery::patch::Schemas::build(&types)
    })
}

/// A PATCH of a live object: the first byte picks the patch type (JSON patch, merge patch, strategic merge patch,
/// server-side apply as manager `fuzzer`, with or without `force`); the rest is the live object (JSON, naming its
/// kind) and the patch (JSON, or YAML for apply), split at the first NUL byte. The result is decoded, defaulted and
/// validated as the kind's codec and strategy do after a patch.
///
/// Invariants checked (a violation panics, so the fuzzer reports it): the managedFields an apply writes survive
/// their FieldsV1 encoding unchanged, and applying the same configuration again at once changes nothing.
pub fn patch(data: &[u8]) -> bool {
    use api_machinery::patch::{apply_patch, server_side_apply, ApplyRequest, PatchType};
    let Some((&selector, rest)) = data.split_first() else {
        return false;
    };
    let (live, doc) = match rest.iter().position(|b| *b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &b""[..]),
    };
    let Ok(live) = serde_json::from_slice::<Value>(live) else {
        return false;
    };
    let Some(rt) = kind_of(&live) else {
        return false;
    };
    let schema = schemas().root(rt.group, rt.kind);
    let kind = [PatchType::Json, PatchType::Merge, PatchType::StrategicMerge, PatchType::Apply][selector as usize % 4];
    let content_type = if kind == PatchType::Apply { "application/yaml" } else { "application/json" };
    let Ok(doc) = api_machinery::request::parse_body(content_type, doc) else {
        return false;
    };
    let patched = if kind == PatchType::Apply {
        let api_version = rt.api_version();
        let req = ApplyRequest {
            schema,
            field_manager: "fuzzer",
            api_version: &api_version,
            now: "2026-01-01T00:00:00Z",
            force: selector & 0x10 != 0,
        };
        let Ok(applied) = server_side_apply(&req, Some(&live), &doc) else {
            return false;
        };
        for entry in api_machinery::patch::managed::read_managed(Some(&applied)) {
            let encoded = api_machinery::patch::fieldpath::encode_fields_v1(&entry.fields);
            assert_eq!(
                api_machinery::patch::fieldpath::decode_fields_v1(&encoded),
                entry.fields,
                "FieldsV1 round trip"
            );
        }
        let again = server_side_apply(&req, Some(&applied), &doc).expect("the same apply again succeeds");
        assert_eq!(again, applied, "applying the same configuration twice changes nothing");
        applied
    } else {
        match apply_patch(kind, schema, &live, &doc) {
            Ok(v) => v,
            Err(_) => return false,
        }
    };
    let Ok((mut obj, _unknown)) = rt.codec.decode(patched) else {
        return false;
    };
    rt.strategy.default(&mut obj);
    api_machinery::validation::validate(rt, &obj, None).is_empty()
}

/// Replays every input kept under `fuzz/regressions/<target>/` (inputs a fuzzer once crashed on, and seeds).
#[cfg(test)]
mod tests {
    use std::path::Path;

    fn replay(target: &str, entry: fn(&[u8]) -> bool) -> usize {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions").join(target);
        let mut n = 0;
        for file in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let data = std::fs::read(file.path()).unwrap();
            entry(&data);
            n += 1;
        }
        n
    }

    #[test]
    fn regressions_replay_without_panics() {
        assert!(replay("decode_request", super::decode_request) > 0);
        assert!(replay("selectors", super::selectors) > 0);
        assert!(replay("shoot_admission", super::shoot_admission) > 0);
        assert!(replay("patch", super::patch) > 0);
    }

    #[test]
    fn a_valid_shoot_passes_admission_and_a_broken_one_does_not() {
        let shoot: serde_json::Value =
            serde_yaml::from_str(include_str!("../../examples/shoot-local-workerless.yaml")).unwrap();
        assert!(super::shoot_admission(&serde_json::to_vec(&shoot).unwrap()));
        let mut broken = shoot.clone();
        broken["spec"]["kubernetes"]["version"] = serde_json::json!("0.0.1");
        assert!(!super::shoot_admission(&serde_json::to_vec(&broken).unwrap()));
        assert!(super::selectors(b"app=web,tier in (front)\nmetadata.name=web"));
        assert!(!super::selectors(b"app=web,tier notin (front)\n"));
    }

    /// The patch seeds are patches that apply (so the fuzzer starts from inputs that go all the way through).
    #[test]
    fn the_patch_seeds_apply() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/patch");
        for seed in ["seed-json-patch", "seed-merge-patch", "seed-strategic", "seed-apply", "seed-apply-force"] {
            assert!(super::patch(&std::fs::read(dir.join(seed)).unwrap()), "{seed}");
        }
        // alice owns data.a: a non-forced apply of another value is a conflict, a forced one takes it over.
        let mut conflicting = std::fs::read(dir.join("seed-apply-force")).unwrap();
        conflicting[0] = 3;
        assert!(!super::patch(&conflicting));
    }
}
