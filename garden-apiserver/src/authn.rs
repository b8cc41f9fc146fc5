//! Authentication: a chain of authenticators (x509 client certificates, static tokens); anonymous only when enabled.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;

use crate::authz::UserInfo;
use crate::error::ApiError;
use crate::serviceaccount::TokenIssuer;

/// Identity from the TLS client certificate (CN = user, O = groups), already verified by rustls.
pub fn user_from_cert(der: &[u8]) -> Option<UserInfo> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let subject = cert.subject();
    let name = subject.iter_common_name().next()?.as_str().ok()?.to_string();
    let groups = subject.iter_organization().filter_map(|o| o.as_str().ok().map(str::to_string)).collect();
    Some(UserInfo { name, uid: String::new(), groups })
}

/// kube's `--token-auth-file`: `token,user,uid,"group1,group2"` per line.
#[derive(Default)]
pub struct TokenFile {
    tokens: HashMap<String, UserInfo>,
}

impl TokenFile {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("failed to read token file {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("invalid token file {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
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
        Ok(Self { tokens })
    }
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
pub struct Authenticator {
    pub tokens: TokenFile,
    pub service_accounts: Option<TokenIssuer>,
    pub anonymous: bool,
}

impl Authenticator {
    /// Who is calling: the client certificate wins, then a bearer token (static, or a service account token
    /// whose account still exists with the same uid, per `sa_uid(namespace, name)`); otherwise anonymous (if
    /// enabled) or 401.
    pub fn authenticate(
        &self,
        cert_user: Option<&UserInfo>,
        authorization: Option<&str>,
        sa_uid: impl Fn(&str, &str) -> Option<String>,
    ) -> Result<UserInfo, ApiError> {
        let mut user = if let Some(u) = cert_user {
            u.clone()
        } else if let Some(token) = authorization.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim) {
            match self.tokens.tokens.get(token) {
                Some(u) => u.clone(),
                None => self.service_account(token, sa_uid).ok_or_else(ApiError::unauthorized)?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_file_parses_quoted_groups() {
        let f = TokenFile::parse("t1,alice,uid1,\"dev,ops\"\nt2,bob,uid2\n").unwrap();
        let a = Authenticator { tokens: f, service_accounts: None, anonymous: false };
        let alice = a.authenticate(None, Some("Bearer t1"), |_, _| None).unwrap();
        assert_eq!(alice.name, "alice");
        assert_eq!(alice.groups, vec!["dev", "ops", "system:authenticated"]);
        assert_eq!(a.authenticate(None, Some("Bearer nope"), |_, _| None).unwrap_err().code, 401);
        assert_eq!(a.authenticate(None, None, |_, _| None).unwrap_err().code, 401);
    }

    #[test]
    fn anonymous_only_when_enabled() {
        let a = Authenticator { tokens: TokenFile::default(), service_accounts: None, anonymous: true };
        assert_eq!(a.authenticate(None, None, |_, _| None).unwrap().name, "system:anonymous");
    }

    #[test]
    fn service_account_tokens_need_the_account() {
        let issuer = TokenIssuer::from_secret(b"0123456789abcdef0123456789abcdef");
        let now = jiff::Timestamp::now().as_second();
        let token = format!("Bearer {}", issuer.issue("ns", "robot", "uid-1", &[], now, 600));
        let a = Authenticator { tokens: TokenFile::default(), service_accounts: Some(issuer), anonymous: false };
        let u = a.authenticate(None, Some(&token), |_, _| Some("uid-1".into())).unwrap();
        assert_eq!(u.name, "system:serviceaccount:ns:robot");
        // Deleted (or recreated with another uid) accounts no longer authenticate.
        assert_eq!(a.authenticate(None, Some(&token), |_, _| None).unwrap_err().code, 401);
        assert_eq!(a.authenticate(None, Some(&token), |_, _| Some("uid-2".into())).unwrap_err().code, 401);
    }
}
