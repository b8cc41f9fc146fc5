//! Authentication: a chain of authenticators (x509 client certificates, static tokens); anonymous only when enabled.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;

use crate::authz::UserInfo;
use crate::error::ApiError;

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
    pub anonymous: bool,
}

impl Authenticator {
    /// Who is calling: the client certificate wins, then a bearer token; otherwise anonymous (if enabled) or 401.
    pub fn authenticate(
        &self,
        cert_user: Option<&UserInfo>,
        authorization: Option<&str>,
    ) -> Result<UserInfo, ApiError> {
        let mut user = if let Some(u) = cert_user {
            u.clone()
        } else if let Some(token) = authorization.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim) {
            self.tokens.tokens.get(token).cloned().ok_or_else(ApiError::unauthorized)?
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_file_parses_quoted_groups() {
        let f = TokenFile::parse("t1,alice,uid1,\"dev,ops\"\nt2,bob,uid2\n").unwrap();
        let a = Authenticator { tokens: f, anonymous: false };
        let alice = a.authenticate(None, Some("Bearer t1")).unwrap();
        assert_eq!(alice.name, "alice");
        assert_eq!(alice.groups, vec!["dev", "ops", "system:authenticated"]);
        assert_eq!(a.authenticate(None, Some("Bearer nope")).unwrap_err().code, 401);
        assert_eq!(a.authenticate(None, None).unwrap_err().code, 401);
    }

    #[test]
    fn anonymous_only_when_enabled() {
        let a = Authenticator { tokens: TokenFile::default(), anonymous: true };
        assert_eq!(a.authenticate(None, None).unwrap().name, "system:anonymous");
    }
}
