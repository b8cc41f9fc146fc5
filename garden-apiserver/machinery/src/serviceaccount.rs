//! Service account tokens: short-lived JWTs (HS256) issued through `serviceaccounts/<name>/token`
//! (`kubectl create token`) and verified by this server. The signing key lives in `--cert-dir/sa.key`; only
//! this server issues and checks the tokens, so a symmetric key is enough and never leaves the machine.

use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::hmac;
use serde::{Deserialize, Serialize};

use crate::authz::UserInfo;

/// Issuer (`iss`) of the tokens.
pub const ISSUER: &str = "https://garden-apiserver.local";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ServiceAccountRef {
    pub name: String,
    pub uid: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct KubernetesClaims {
    pub namespace: String,
    pub serviceaccount: ServiceAccountRef,
}

/// The JWT claims, shaped like kube's bound service account tokens.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub aud: Vec<String>,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    #[serde(rename = "kubernetes.io")]
    pub kubernetes: KubernetesClaims,
}

impl Claims {
    /// The user a verified token authenticates as.
    pub fn user(&self) -> UserInfo {
        let ns = &self.kubernetes.namespace;
        UserInfo {
            name: self.sub.clone(),
            uid: self.kubernetes.serviceaccount.uid.clone(),
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{ns}"),
                "system:authenticated".into(),
            ],
        }
    }
}

/// Signs and verifies service account tokens.
pub struct TokenIssuer {
    key: hmac::Key,
}

impl TokenIssuer {
    /// Load the key from `path`, creating a random one on first use.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        let secret = match std::fs::read(path) {
            Ok(b) if b.len() >= 32 => b,
            _ => {
                use rand::RngCore;
                let mut b = vec![0u8; 32];
                rand::rng().fill_bytes(&mut b);
                crate::certs::write_private_bytes(path, &b)?;
                b
            }
        };
        Ok(Self::from_secret(&secret))
    }

    pub fn from_secret(secret: &[u8]) -> Self {
        Self { key: hmac::Key::new(hmac::HMAC_SHA256, secret) }
    }

    /// A token for service account `namespace/name` valid for `expiration_seconds` from `now` (unix seconds).
    pub fn issue(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
        audiences: &[String],
        now: i64,
        expiration_seconds: i64,
    ) -> String {
        let claims = Claims {
            iss: ISSUER.into(),
            sub: format!("system:serviceaccount:{namespace}:{name}"),
            aud: if audiences.is_empty() { vec![ISSUER.into()] } else { audiences.to_vec() },
            exp: now + expiration_seconds,
            iat: now,
            nbf: now,
            kubernetes: KubernetesClaims {
                namespace: namespace.into(),
                serviceaccount: ServiceAccountRef { name: name.into(), uid: uid.into() },
            },
        };
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let signing_input = format!("{header}.{body}");
        let sig = URL_SAFE_NO_PAD.encode(hmac::sign(&self.key, signing_input.as_bytes()).as_ref());
        format!("{signing_input}.{sig}")
    }

    /// The claims of a token signed by this issuer and valid at `now`; None otherwise.
    pub fn verify(&self, token: &str, now: i64) -> Option<Claims> {
        let mut parts = token.split('.');
        let (header, body, sig) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
        hmac::verify(&self.key, format!("{header}.{body}").as_bytes(), &sig).ok()?;
        let claims: Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
        (claims.iss == ISSUER && claims.nbf <= now + 60 && now < claims.exp).then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_expire() {
        let issuer = TokenIssuer::from_secret(b"0123456789abcdef0123456789abcdef");
        let t = issuer.issue("garden-dev", "robot", "uid-1", &[], 1_000, 600);
        let c = issuer.verify(&t, 1_100).expect("valid");
        assert_eq!(c.user().name, "system:serviceaccount:garden-dev:robot");
        assert!(c.user().groups.contains(&"system:serviceaccounts:garden-dev".to_string()));
        assert!(issuer.verify(&t, 1_600).is_none(), "expired");
        let other = TokenIssuer::from_secret(b"another-secret-another-secret-!!");
        assert!(other.verify(&t, 1_100).is_none(), "foreign signature");
        let mut tampered = t.clone();
        tampered.insert(t.find('.').unwrap() + 3, 'x');
        assert!(issuer.verify(&tampered, 1_100).is_none());
        assert!(issuer.verify("not.a.jwt", 1_100).is_none());
    }
}
