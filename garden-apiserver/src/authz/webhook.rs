//! Delegated authorization: a SubjectAccessReview to the garden kube-apiserver per decision, answers kept for a short
//! time (kube's `--authorization-webhook-cache-authorized-ttl` / `-unauthorized-ttl`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use k8s_openapi::api::authorization::v1::{
    NonResourceAttributes, ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};

use super::{Decision, RequestAttributes};
use crate::error::ApiError;

const MAX_ENTRIES: usize = 10_000;

pub struct SubjectAccessReviewer {
    client: kube::Client,
    allowed_ttl: Duration,
    denied_ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, Decision)>>,
}

impl SubjectAccessReviewer {
    pub fn new(client: kube::Client, allowed_ttl: Duration, denied_ttl: Duration) -> Self {
        Self { client, allowed_ttl, denied_ttl, cache: Mutex::new(HashMap::new()) }
    }

    /// The garden's decision on `a`; an error (a 500, as in kube) when it cannot be asked.
    pub async fn authorize(&self, a: &RequestAttributes) -> Result<Decision, ApiError> {
        let key = format!("{a:?}");
        if let Some((at, d)) = self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            let ttl = if *d == Decision::Allow { self.allowed_ttl } else { self.denied_ttl };
            if at.elapsed() < ttl {
                return Ok(d.clone());
            }
        }
        let api: kube::Api<SubjectAccessReview> = kube::Api::all(self.client.clone());
        let answer = api.create(&Default::default(), &review(a)).await.map_err(|e| {
            tracing::warn!(error = %e, "SubjectAccessReview failed");
            ApiError::internal(format!("the authorization webhook could not be asked: {e}"))
        })?;
        let status = answer.status.unwrap_or_default();
        let decision = if status.allowed {
            Decision::Allow
        } else if status.denied == Some(true) {
            Decision::Deny(status.reason.unwrap_or_default())
        } else {
            Decision::NoOpinion
        };
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= MAX_ENTRIES {
            cache.clear();
        }
        cache.insert(key, (Instant::now(), decision.clone()));
        Ok(decision)
    }
}

fn review(a: &RequestAttributes) -> SubjectAccessReview {
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let spec = SubjectAccessReviewSpec {
        user: Some(a.user.name.clone()),
        uid: some(&a.user.uid),
        groups: Some(a.user.groups.clone()),
        resource_attributes: a.resource_request.then(|| ResourceAttributes {
            verb: Some(a.verb.clone()),
            group: Some(a.api_group.clone()),
            resource: Some(a.resource.clone()),
            subresource: some(&a.subresource),
            namespace: some(&a.namespace),
            name: some(&a.name),
            ..Default::default()
        }),
        non_resource_attributes: (!a.resource_request)
            .then(|| NonResourceAttributes { path: Some(a.path.clone()), verb: Some(a.verb.clone()) }),
        ..Default::default()
    };
    SubjectAccessReview { spec, ..Default::default() }
}
