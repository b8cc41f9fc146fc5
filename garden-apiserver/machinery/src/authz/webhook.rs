//! Delegated authorization: a SubjectAccessReview to the garden kube-apiserver per decision, answers kept for a short
//! time (kube's `--authorization-webhook-cache-authorized-ttl` / `-unauthorized-ttl`).

use std::time::Duration;

use k8s_openapi::api::authorization::v1::{
    NonResourceAttributes, ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};

use super::{Decision, RequestAttributes};
use crate::error::ApiError;
use crate::expiring::ExpiringCache;

pub struct SubjectAccessReviewer {
    client: kube::Client,
    allowed_ttl: Duration,
    denied_ttl: Duration,
    cache: ExpiringCache<String, Decision>,
}

impl SubjectAccessReviewer {
    pub fn new(client: kube::Client, allowed_ttl: Duration, denied_ttl: Duration) -> Self {
        Self { client, allowed_ttl, denied_ttl, cache: ExpiringCache::default() }
    }

    /// The garden's decision on `a`; an error (a 500, as in kube) when it cannot be asked.
    pub async fn authorize(&self, a: &RequestAttributes) -> Result<Decision, ApiError> {
        let key = format!("{a:?}");
        let ttl = |d: &Decision| if *d == Decision::Allow { self.allowed_ttl } else { self.denied_ttl };
        if let Some(d) = self.cache.get(&key, ttl) {
            return Ok(d);
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
        self.cache.insert(key, decision.clone());
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
