//! Delegated authentication of bearer tokens: a TokenReview to the garden kube-apiserver, the answer kept for a
//! short time (kube's `--authentication-token-webhook-cache-ttl`), keyed by a hash of the token.

use std::time::Duration;

use k8s_openapi::api::authentication::v1::{TokenReview, TokenReviewSpec};
use sha2::{Digest, Sha256};

use crate::authz::UserInfo;
use crate::error::ApiError;
use crate::expiring::ExpiringCache;

pub struct TokenReviewer {
    client: kube::Client,
    ttl: Duration,
    cache: ExpiringCache<[u8; 32], Option<UserInfo>>,
}

impl TokenReviewer {
    pub fn new(client: kube::Client, ttl: Duration) -> Self {
        Self { client, ttl, cache: ExpiringCache::default() }
    }

    /// The user of `token`, None when the garden says it is not authenticated; an error when it cannot be asked.
    pub async fn review(&self, token: &str) -> Result<Option<UserInfo>, ApiError> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(user) = self.cache.get(&key, |_| self.ttl) {
            return Ok(user);
        }
        let review = TokenReview {
            spec: TokenReviewSpec { token: Some(token.to_string()), audiences: None },
            ..Default::default()
        };
        let api: kube::Api<TokenReview> = kube::Api::all(self.client.clone());
        let answer = api.create(&Default::default(), &review).await.map_err(|e| {
            // The error never carries the token (it is in the request body, not the URL).
            tracing::warn!(error = %e, "TokenReview failed");
            ApiError::unauthorized()
        })?;
        let status = answer.status.unwrap_or_default();
        let user = match (status.authenticated, status.user) {
            (Some(true), Some(u)) => Some(UserInfo {
                name: u.username.unwrap_or_default(),
                uid: u.uid.unwrap_or_default(),
                groups: u.groups.unwrap_or_default(),
            }),
            _ => None,
        };
        self.cache.insert(key, user.clone());
        Ok(user)
    }
}
