//! Authentication: a chain of authenticators (request headers from a front proxy, x509 client certificates, static
//! tokens, bootstrap tokens, service account tokens, TokenReview delegated to a garden kube-apiserver); anonymous
//! only when enabled.

pub mod webhook;
pub mod x509;

pub use x509::user_from_cert;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use serde_json::Value;

use crate::authz::UserInfo;
use crate::error::ApiError;
use crate::serviceaccount::TokenIssuer;

/// kube's `--token-auth-file`: `token,user,uid,"group1,group2"` per line. Unlike kube-apiserver, a file given by
/// path is read again when it changes (checked at most once a second), so `hack/token-for-user.sh` can add users to
/// a running local garden; a change that does not parse keeps the tokens read before (and is logged).
#[derive(Default)]
pub struct TokenFile {
    path: Option<std::path::PathBuf>,
    state: std::sync::RwLock<TokenState>,
}

#[derive(Default)]
struct TokenState {
    tokens: HashMap<String, UserInfo>,
    modified: Option<std::time::SystemTime>,
    checked: Option<std::time::Instant>,
}

impl TokenFile {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        let text =
            std::fs::read_to_string(path).with_context(|| format!("failed to read token file {}", path.display()))?;
        let tokens = parse_tokens(&text).with_context(|| format!("invalid token file {}", path.display()))?;
        let state = TokenState { tokens, modified, checked: Some(std::time::Instant::now()) };
        Ok(Self { path: Some(path.to_path_buf()), state: std::sync::RwLock::new(state) })
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let state = TokenState { tokens: parse_tokens(text)?, ..Default::default() };
        Ok(Self { path: None, state: std::sync::RwLock::new(state) })
    }

    /// The user of `token`, if the file lists it.
    pub fn get(&self, token: &str) -> Option<UserInfo> {
        self.reload_if_changed();
        self.state.read().unwrap_or_else(|e| e.into_inner()).tokens.get(token).cloned()
    }

    fn reload_if_changed(&self) {
        let Some(path) = &self.path else { return };
        {
            let state = self.state.read().unwrap_or_else(|e| e.into_inner());
            if state.checked.is_some_and(|c| c.elapsed() < std::time::Duration::from_secs(1)) {
                return;
            }
        }
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        state.checked = Some(std::time::Instant::now());
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        if modified == state.modified {
            return;
        }
        state.modified = modified;
        match std::fs::read_to_string(path).map_err(anyhow::Error::from).and_then(|t| parse_tokens(&t)) {
            Ok(tokens) => {
                tracing::info!(path = %path.display(), tokens = tokens.len(), "token file read again");
                state.tokens = tokens;
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %format!("{e:#}"), "token file unreadable; keeping the tokens read before")
            }
        }
    }
}

fn parse_tokens(text: &str) -> anyhow::Result<HashMap<String, UserInfo>> {
    let mut tokens = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields = split_csv(line);
        if fields.len() < 3 {
            anyhow::bail!("line {}: want at least token,user,uid", i + 1);
        }
        let groups = fields
            .get(3)
            .map(|g| g.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
            .unwrap_or_default();
        tokens.insert(fields[0].clone(), UserInfo { name: fields[1].clone(), uid: fields[2].clone(), groups });
    }
    Ok(tokens)
}

fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur).trim().to_string()),
            c => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out
}

/// The authenticator chain of the server.
#[derive(Default)]
pub struct Authenticator {
    pub tokens: TokenFile,
    pub service_accounts: Option<TokenIssuer>,
    pub anonymous: bool,
    /// Client CA and front-proxy settings.
    pub x509: x509::ClientCerts,
    /// Bearer tokens this server does not know are asked about here (aggregated servers).
    pub token_review: Option<webhook::TokenReviewer>,
}

impl Authenticator {
    /// Who sends a request: its client certificate (front proxy or client CA), else its bearer token (this server's
    /// own, else by TokenReview when delegated), else anonymous when enabled. An untrusted certificate without a
    /// token is a 401.
    pub async fn identify(
        &self,
        certs: &[rustls::pki_types::CertificateDer<'static>],
        headers: &http::HeaderMap,
        sa_uid: impl Fn(&str, &str) -> Option<String>,
        secret: impl Fn(&str, &str) -> Option<Arc<Value>>,
    ) -> Result<UserInfo, ApiError> {
        let authorization = headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let cert_user = match self.x509.identify(certs, headers) {
            x509::CertIdentity::User(u) => Some(u),
            x509::CertIdentity::None => None,
            x509::CertIdentity::Refused(why) => {
                tracing::debug!(reason = %why, "client certificate refused");
                if authorization.is_none() {
                    return Err(ApiError::unauthorized());
                }
                None
            }
        };
        match self.authenticate(cert_user.as_ref(), authorization, sa_uid, secret) {
            Err(e) if e.code == 401 => {
                let token = authorization.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim);
                let (Some(reviewer), Some(token)) = (&self.token_review, token) else { return Err(e) };
                let mut user = reviewer.review(token).await?.ok_or_else(ApiError::unauthorized)?;
                if !user.in_group(crate::authz::SYSTEM_AUTHENTICATED) {
                    user.groups.push(crate::authz::SYSTEM_AUTHENTICATED.into());
                }
                Ok(user)
            }
            r => r,
        }
    }

    /// Who is calling: the client certificate wins, then a bearer token (static; a bootstrap token
    /// `<id>.<secret>` whose Secret `kube-system/bootstrap-token-<id>`, per `secret(namespace, name)`, allows it;
    /// or a service account token whose account still exists with the same uid, per `sa_uid(namespace, name)`);
    /// otherwise anonymous (if enabled) or 401.
    pub fn authenticate(
        &self,
        cert_user: Option<&UserInfo>,
        authorization: Option<&str>,
        sa_uid: impl Fn(&str, &str) -> Option<String>,
        secret: impl Fn(&str, &str) -> Option<Arc<Value>>,
    ) -> Result<UserInfo, ApiError> {
        let mut user = if let Some(u) = cert_user {
            u.clone()
        } else if let Some(token) = authorization.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim) {
            match self.tokens.get(token) {
                Some(u) => u,
                None => match parse_bootstrap_token(token) {
                    Some((id, token_secret)) => {
                        let stored = secret(BOOTSTRAP_TOKEN_NAMESPACE, &format!("{BOOTSTRAP_TOKEN_SECRET_PREFIX}{id}"));
                        bootstrap_token_user(id, token_secret, stored.as_deref(), jiff::Timestamp::now()).map_err(
                            |reason| {
                                // The token id is the public half of the token; the secret never reaches a log.
                                tracing::debug!(token_id = id, reason, "bootstrap token refused");
                                ApiError::unauthorized()
                            },
                        )?
                    }
                    None => self.service_account(token, sa_uid).ok_or_else(ApiError::unauthorized)?,
                },
            }
        } else if self.anonymous {
            return Ok(UserInfo {
                name: "system:anonymous".into(),
                uid: String::new(),
                groups: vec!["system:unauthenticated".into()],
            });
        } else {
            return Err(ApiError::unauthorized());
        };
        if !user.groups.iter().any(|g| g == "system:authenticated") {
            user.groups.push("system:authenticated".into());
        }
        Ok(user)
    }

    fn service_account(&self, token: &str, sa_uid: impl Fn(&str, &str) -> Option<String>) -> Option<UserInfo> {
        let claims = self.service_accounts.as_ref()?.verify(token, jiff::Timestamp::now().as_second())?;
        let sa = &claims.kubernetes;
        (sa_uid(&sa.namespace, &sa.serviceaccount.name)? == sa.serviceaccount.uid).then(|| claims.user())
    }
}

/// Where bootstrap token Secrets live.
pub const BOOTSTRAP_TOKEN_NAMESPACE: &str = "kube-system";
/// A bootstrap token Secret is named this plus the token id.
pub const BOOTSTRAP_TOKEN_SECRET_PREFIX: &str = "bootstrap-token-";
/// The `type` of bootstrap token Secrets.
pub const BOOTSTRAP_TOKEN_SECRET_TYPE: &str = "bootstrap.kubernetes.io/token";
/// The group every bootstrap token user is in; extra groups must start with it plus `:`.
pub const BOOTSTRAPPERS_GROUP: &str = "system:bootstrappers";
/// User names of bootstrap tokens are this plus the token id.
pub const BOOTSTRAP_USER_PREFIX: &str = "system:bootstrap:";

/// `<token-id>.<token-secret>` with the id `[a-z0-9]{6}` and the secret `[a-z0-9]{16}`, split; None for any other
/// token (which then is not a bootstrap token at all).
pub fn parse_bootstrap_token(token: &str) -> Option<(&str, &str)> {
    let (id, secret) = token.split_once('.')?;
    let ok = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    (ok(id, 6) && ok(secret, 16)).then_some((id, secret))
}

/// Byte strings equal, in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// kube's bootstrap group name rule: `system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]`.
fn valid_bootstrap_group(group: &str) -> bool {
    let Some(rest) = group.strip_prefix("system:bootstrappers:") else { return false };
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b':' || b == b'-';
    !rest.is_empty()
        && rest.len() <= 256
        && rest.bytes().all(allowed)
        && rest.bytes().last().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// kube's bootstrap token authenticator for a well-formed token `id.token_secret` and the stored Secret
/// `kube-system/bootstrap-token-<id>` (None: absent): the Secret must not be deleting, be of type
/// `bootstrap.kubernetes.io/token`, hold the same `token-id` and `token-secret` (compared in constant time),
/// `usage-bootstrap-authentication: "true"`, and an `expiration` (RFC 3339) not before `now` (absent: no expiry;
/// unparseable: expired); `auth-extra-groups` (comma separated) must all match kube's bootstrap group rule.
/// The user is `system:bootstrap:<id>` in `system:bootstrappers` plus the extra groups (sorted, deduplicated).
/// Err: why the token is refused (never containing the secret).
pub fn bootstrap_token_user(
    id: &str,
    token_secret: &str,
    secret: Option<&Value>,
    now: jiff::Timestamp,
) -> Result<UserInfo, &'static str> {
    use base64::Engine;
    let secret = secret.ok_or("no bootstrap token secret")?;
    if secret.pointer("/metadata/deletionTimestamp").is_some_and(|v| !v.is_null()) {
        return Err("the bootstrap token secret is being deleted");
    }
    if secret.get("type").and_then(Value::as_str) != Some(BOOTSTRAP_TOKEN_SECRET_TYPE) {
        return Err("the secret is not of type bootstrap.kubernetes.io/token");
    }
    let data = |key: &str| -> Option<Vec<u8>> {
        let b64 = secret.get("data")?.get(key)?.as_str()?;
        base64::engine::general_purpose::STANDARD.decode(b64).ok()
    };
    let stored_secret = data("token-secret").unwrap_or_default();
    if !constant_time_eq(&stored_secret, token_secret.as_bytes()) {
        return Err("the token secret does not match");
    }
    if data("token-id").as_deref() != Some(id.as_bytes()) {
        return Err("the token id does not match");
    }
    if let Some(expiration) = data("expiration").filter(|e| !e.is_empty()) {
        let at = std::str::from_utf8(&expiration).ok().and_then(|e| e.parse::<jiff::Timestamp>().ok());
        match at {
            Some(at) if at > now => {}
            Some(_) => return Err("the token has expired"),
            None => return Err("the token's expiration is unparseable (treated as expired)"),
        }
    }
    if data("usage-bootstrap-authentication").as_deref() != Some(b"true") {
        return Err("the token is not for authentication (usage-bootstrap-authentication)");
    }
    let mut groups = BTreeSet::from([BOOTSTRAPPERS_GROUP.to_string()]);
    let extra = data("auth-extra-groups").unwrap_or_default();
    let extra = std::str::from_utf8(&extra).map_err(|_| "auth-extra-groups is not UTF-8")?;
    if !extra.is_empty() {
        for group in extra.split(',') {
            if !valid_bootstrap_group(group) {
                return Err("auth-extra-groups has a group not starting with system:bootstrappers:");
            }
            groups.insert(group.to_string());
        }
    }
    Ok(UserInfo {
        name: format!("{BOOTSTRAP_USER_PREFIX}{id}"),
        uid: String::new(),
        groups: groups.into_iter().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_file_parses_quoted_groups() {
        let f = TokenFile::parse("t1,alice,uid1,\"dev,ops\"\nt2,bob,uid2\n").unwrap();
        let a = Authenticator { tokens: f, ..Default::default() };
        let alice = a.authenticate(None, Some("Bearer t1"), |_, _| None, |_, _| None).unwrap();
        assert_eq!(alice.name, "alice");
        assert_eq!(alice.groups, vec!["dev", "ops", "system:authenticated"]);
        assert_eq!(a.authenticate(None, Some("Bearer nope"), |_, _| None, |_, _| None).unwrap_err().code, 401);
        assert_eq!(a.authenticate(None, None, |_, _| None, |_, _| None).unwrap_err().code, 401);
    }

    #[test]
    fn a_token_file_is_read_again_when_it_changes() {
        let dir = std::env::temp_dir().join(format!("tokens-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tokens.csv");
        std::fs::write(&path, "t1,alice,uid1\n").unwrap();
        let f = TokenFile::load(&path).unwrap();
        assert_eq!(f.get("t1").unwrap().name, "alice");
        assert!(f.get("t2").is_none());
        std::thread::sleep(std::time::Duration::from_millis(1100));
        std::fs::write(&path, "t1,alice,uid1\nt2,bob,uid2,\"dev\"\n").unwrap();
        assert_eq!(f.get("t2").unwrap().groups, vec!["dev"]);
        std::thread::sleep(std::time::Duration::from_millis(1100));
        std::fs::write(&path, "broken\n").unwrap();
        assert_eq!(f.get("t2").unwrap().name, "bob", "a broken file keeps the tokens read before");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn anonymous_only_when_enabled() {
        let a = Authenticator { anonymous: true, ..Default::default() };
        assert_eq!(a.authenticate(None, None, |_, _| None, |_, _| None).unwrap().name, "system:anonymous");
    }

    #[test]
    fn service_account_tokens_need_the_account() {
        let issuer = TokenIssuer::from_secret(b"0123456789abcdef0123456789abcdef");
        let now = jiff::Timestamp::now().as_second();
        let token = format!("Bearer {}", issuer.issue("ns", "robot", "uid-1", &[], now, 600));
        let a = Authenticator { service_accounts: Some(issuer), ..Default::default() };
        let u = a.authenticate(None, Some(&token), |_, _| Some("uid-1".into()), |_, _| None).unwrap();
        assert_eq!(u.name, "system:serviceaccount:ns:robot");
        // Deleted (or recreated with another uid) accounts no longer authenticate.
        assert_eq!(a.authenticate(None, Some(&token), |_, _| None, |_, _| None).unwrap_err().code, 401);
        assert_eq!(a.authenticate(None, Some(&token), |_, _| Some("uid-2".into()), |_, _| None).unwrap_err().code, 401);
    }

    fn token_secret(extra: serde_json::Map<String, Value>) -> Value {
        use base64::Engine;
        let b64 = |s: &str| Value::String(base64::engine::general_purpose::STANDARD.encode(s));
        let mut data = serde_json::Map::new();
        for (k, v) in [
            ("token-id", "abcdef"),
            ("token-secret", "0123456789abcdef"),
            ("usage-bootstrap-authentication", "true"),
            ("expiration", "2030-01-01T00:00:00Z"),
            ("auth-extra-groups", "system:bootstrappers:machine-controller"),
        ] {
            data.insert(k.into(), b64(v));
        }
        for (k, v) in extra {
            match v {
                Value::Null => data.remove(&k),
                Value::String(s) => data.insert(k, b64(&s)),
                other => data.insert(k, other),
            };
        }
        serde_json::json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "bootstrap-token-abcdef", "namespace": "kube-system"},
            "type": "bootstrap.kubernetes.io/token",
            "data": data,
        })
    }

    fn with(pairs: &[(&str, Value)]) -> Value {
        token_secret(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
    }

    fn now() -> jiff::Timestamp {
        "2026-06-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn bootstrap_tokens_are_recognised_by_their_shape() {
        assert_eq!(parse_bootstrap_token("abcdef.0123456789abcdef"), Some(("abcdef", "0123456789abcdef")));
        for t in [
            "abcdef.0123456789abcde",
            "abcdef.0123456789abcdefg",
            "abcde.0123456789abcdef",
            "ABCDEF.0123456789abcdef",
            "abcdef-0123456789abcdef",
            "abcdef.0123456789abcdeF",
            "a.b.c",
            "",
        ] {
            assert_eq!(parse_bootstrap_token(t), None, "{t}");
        }
    }

    #[test]
    fn a_valid_bootstrap_token_authenticates_with_its_groups() {
        let u = bootstrap_token_user("abcdef", "0123456789abcdef", Some(&with(&[])), now()).unwrap();
        assert_eq!(u.name, "system:bootstrap:abcdef");
        assert_eq!(u.groups, vec!["system:bootstrappers", "system:bootstrappers:machine-controller"]);
        // Several extra groups, sorted and deduplicated; none at all.
        let s = with(&[(
            "auth-extra-groups",
            "system:bootstrappers:b,system:bootstrappers:a-1,system:bootstrappers:b".into(),
        )]);
        let u = bootstrap_token_user("abcdef", "0123456789abcdef", Some(&s), now()).unwrap();
        assert_eq!(u.groups, vec!["system:bootstrappers", "system:bootstrappers:a-1", "system:bootstrappers:b"]);
        let s = with(&[("auth-extra-groups", Value::Null)]);
        assert_eq!(
            bootstrap_token_user("abcdef", "0123456789abcdef", Some(&s), now()).unwrap().groups,
            vec!["system:bootstrappers"]
        );
        // Without an expiration the token does not expire (kube).
        let s = with(&[("expiration", Value::Null)]);
        assert!(bootstrap_token_user("abcdef", "0123456789abcdef", Some(&s), now()).is_ok());
    }

    #[test]
    fn bootstrap_tokens_are_refused_unless_the_secret_allows_them() {
        let refused =
            |s: Option<&Value>, token_secret: &str| bootstrap_token_user("abcdef", token_secret, s, now()).is_err();
        let good = "0123456789abcdef";
        assert!(refused(None, good), "no secret");
        assert!(refused(Some(&with(&[])), "0123456789abcdee"), "wrong secret");
        assert!(refused(Some(&with(&[("token-id", "abcdeg".into())])), good), "another token id");
        assert!(refused(Some(&with(&[("token-secret", Value::Null)])), good), "no token-secret");
        assert!(refused(Some(&with(&[("expiration", "2026-05-31T23:59:59Z".into())])), good), "expired");
        assert!(refused(Some(&with(&[("expiration", "2026-06-01T00:00:00Z".into())])), good), "expires now");
        assert!(refused(Some(&with(&[("expiration", "tomorrow".into())])), good), "unparseable expiration");
        assert!(refused(Some(&with(&[("usage-bootstrap-authentication", "false".into())])), good), "usage");
        assert!(refused(Some(&with(&[("usage-bootstrap-authentication", Value::Null)])), good), "no usage");
        for bad in ["system:masters", "system:bootstrappers", "system:bootstrappers:", "system:bootstrappers:A"] {
            let s = with(&[("auth-extra-groups", format!("system:bootstrappers:ok,{bad}").into())]);
            assert!(refused(Some(&s), good), "extra group {bad}");
        }
        let mut s = with(&[]);
        s["type"] = "Opaque".into();
        assert!(refused(Some(&s), good), "type");
        let mut s = with(&[]);
        s["metadata"]["deletionTimestamp"] = "2026-05-01T00:00:00Z".into();
        assert!(refused(Some(&s), good), "deleting");
        assert!(!refused(Some(&with(&[("expiration", "2026-06-01T00:00:01Z".into())])), good));
    }

    #[test]
    fn the_chain_reads_the_bootstrap_token_secret_from_kube_system() {
        let a = Authenticator::default();
        let secret = Arc::new(with(&[("expiration", "2999-01-01T00:00:00Z".into())]));
        let lookup =
            |ns: &str, name: &str| (ns == "kube-system" && name == "bootstrap-token-abcdef").then(|| secret.clone());
        let u = a.authenticate(None, Some("Bearer abcdef.0123456789abcdef"), |_, _| None, lookup).unwrap();
        assert_eq!(u.name, "system:bootstrap:abcdef");
        assert_eq!(
            u.groups,
            vec!["system:bootstrappers", "system:bootstrappers:machine-controller", "system:authenticated"]
        );
        let wrong = a.authenticate(None, Some("Bearer abcdef.0123456789abcdee"), |_, _| None, lookup);
        assert_eq!(wrong.unwrap_err().code, 401);
        let unknown = a.authenticate(None, Some("Bearer zzzzzz.0123456789abcdef"), |_, _| None, lookup);
        assert_eq!(unknown.unwrap_err().code, 401);
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}
