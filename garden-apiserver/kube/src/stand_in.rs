//! What a garden's kube-apiserver serves beyond a shoot's core API, for `--api-profile kube`: APIServices
//! (`apiregistration.k8s.io/v1`, read by the aggregator) and the reviews aggregated servers delegate to it
//! (TokenReview, SubjectAccessReview).

use k8s_openapi::api::{authentication::v1 as authn, authorization::v1 as authz};
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1 as apireg;
use serde_json::{json, Value};

use api_machinery::error::FieldError;
use api_machinery::registry::{str_at, Column, Plain, ResourceType, Strategy, TypedCodec};

pub const APIREGISTRATION: &str = "apiregistration.k8s.io";

fn review(
    group: &'static str,
    kind: &'static str,
    plural: &'static str,
    codec: Box<dyn api_machinery::registry::Codec>,
) -> ResourceType {
    let mut t = crate::core::rt(group, kind, plural, false, &[], codec, Box::new(Plain));
    t.create_only = true;
    t
}

pub fn types() -> Vec<ResourceType> {
    let mut apiservices = crate::core::rt(
        APIREGISTRATION,
        "APIService",
        "apiservices",
        false,
        &[],
        TypedCodec::<apireg::APIService>::boxed(),
        Box::new(ApiServiceStrategy),
    );
    apiservices.subresources = &["status"];
    vec![
        apiservices,
        review("authentication.k8s.io", "TokenReview", "tokenreviews", TypedCodec::<authn::TokenReview>::boxed()),
        review(
            "authorization.k8s.io",
            "SubjectAccessReview",
            "subjectaccessreviews",
            TypedCodec::<authz::SubjectAccessReview>::boxed(),
        ),
    ]
}

/// kube's APIService validation: the name is `<version>.<group>`, priorities in range, a service needs a CA bundle
/// unless TLS verification is skipped, a local APIService (no service) has no CA bundle.
struct ApiServiceStrategy;
impl Strategy for ApiServiceStrategy {
    fn validate(&self, obj: &Value, _old: Option<&Value>) -> Vec<FieldError> {
        let mut errs = Vec::new();
        let s = |p: &str| str_at(obj, p).unwrap_or_default();
        let (group, version) = (s("/spec/group"), s("/spec/version"));
        let name = s("/metadata/name");
        if version.is_empty() {
            errs.push(FieldError::required("spec.version", ""));
        }
        let want = if group.is_empty() { version.to_string() } else { format!("{version}.{group}") };
        if !version.is_empty() && name != want {
            errs.push(FieldError::invalid(
                "metadata.name",
                &json!(name),
                &format!("must be {want:?} (<version>.<group>)"),
            ));
        }
        let int = |p: &str| obj.pointer(p).and_then(Value::as_i64).unwrap_or(0);
        let gpm = int("/spec/groupPriorityMinimum");
        if !(1..=20000).contains(&gpm) {
            errs.push(FieldError::invalid("spec.groupPriorityMinimum", &json!(gpm), "must be in the range 1-20000"));
        }
        let vp = int("/spec/versionPriority");
        if !(1..=1000).contains(&vp) {
            errs.push(FieldError::invalid("spec.versionPriority", &json!(vp), "must be in the range 1-1000"));
        }
        let skip = obj.pointer("/spec/insecureSkipTLSVerify").and_then(Value::as_bool).unwrap_or(false);
        let has_ca = !s("/spec/caBundle").is_empty();
        match obj.pointer("/spec/service").filter(|v| !v.is_null()) {
            None if has_ca => {
                errs.push(FieldError::forbidden("spec.caBundle", "local APIServices may not have a caBundle"))
            }
            None if skip => errs.push(FieldError::forbidden(
                "spec.insecureSkipTLSVerify",
                "local APIServices may not have insecureSkipTLSVerify",
            )),
            Some(svc) => {
                for f in ["namespace", "name"] {
                    if svc.get(f).and_then(Value::as_str).unwrap_or_default().is_empty() {
                        errs.push(FieldError::required(format!("spec.service.{f}"), ""));
                    }
                }
                let port = svc.get("port").and_then(Value::as_i64).unwrap_or(443);
                if !(1..=65535).contains(&port) {
                    errs.push(FieldError::invalid("spec.service.port", &json!(port), "must be between 1 and 65535"));
                }
                if skip && has_ca {
                    errs.push(FieldError::invalid(
                        "spec.insecureSkipTLSVerify",
                        &json!(true),
                        "may not be true if caBundle is present",
                    ));
                }
            }
            None => {}
        }
        errs
    }
    fn columns(&self) -> Vec<Column> {
        vec![Column::new("Service", "The service it proxies to"), Column::new("Available", "Whether it answers")]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        let service = match obj.pointer("/spec/service").filter(|v| !v.is_null()) {
            Some(s) => format!(
                "{}/{}",
                s.get("namespace").and_then(Value::as_str).unwrap_or_default(),
                s.get("name").and_then(Value::as_str).unwrap_or_default()
            ),
            None => "Local".into(),
        };
        let available = obj
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .and_then(|cs| cs.iter().find(|c| c.get("type").and_then(Value::as_str) == Some("Available")))
            .map(|c| {
                let status = c.get("status").and_then(Value::as_str).unwrap_or("Unknown");
                match c.get("reason").and_then(Value::as_str) {
                    Some(r) if status != "True" => format!("{status} ({r})"),
                    _ => status.to_string(),
                }
            })
            .unwrap_or_else(|| "Unknown".into());
        vec![json!(service), json!(available)]
    }
}
