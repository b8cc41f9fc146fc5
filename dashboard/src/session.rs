//! Sessions without server-side state: the user's token, a CSRF token and the expiry, sealed with AES-256-GCM into
//! the `garden_session` cookie (HttpOnly, SameSite=Strict). A cookie that fails to open, or has expired, is no
//! session.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

pub const COOKIE: &str = "garden_session";

/// What the cookie holds.
#[derive(Clone, Serialize, Deserialize)]
pub struct Session {
    /// The user's bearer token for the garden.
    pub token: String,
    /// Writes must carry it in `X-CSRF-Token`.
    pub csrf: String,
    /// Seconds since the epoch.
    pub expires: u64,
    /// The user's name when the token says it (service account tokens), else empty.
    pub user: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("Session").field("user", &self.user).field("expires", &self.expires).finish()
    }
}

/// Seals and opens session cookies with one key.
pub struct Sealer {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl Sealer {
    /// A key from 32 bytes, or a random one (sessions then end when the process does).
    pub fn new(key: Option<[u8; 32]>) -> anyhow::Result<Sealer> {
        let rng = SystemRandom::new();
        let bytes = match key {
            Some(k) => k,
            None => {
                let mut k = [0u8; 32];
                rng.fill(&mut k).map_err(|_| anyhow::anyhow!("no randomness"))?;
                k
            }
        };
        let key = UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| anyhow::anyhow!("bad session key"))?;
        Ok(Sealer { key: LessSafeKey::new(key), rng })
    }

    /// A random URL-safe token of 32 bytes.
    pub fn random_token(&self) -> String {
        let mut b = [0u8; 32];
        let _ = self.rng.fill(&mut b);
        URL_SAFE_NO_PAD.encode(b)
    }

    /// A new session for `token`, valid for `ttl`.
    pub fn start(&self, token: String, user: String, ttl: Duration) -> Session {
        Session { token, csrf: self.random_token(), expires: now() + ttl.as_secs(), user }
    }

    pub fn seal(&self, session: &Session) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        let _ = self.rng.fill(&mut nonce);
        let mut data = serde_json::to_vec(session).unwrap_or_default();
        // Sealing in place cannot fail for a buffer of this size.
        let _ = self.key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(COOKIE), &mut data);
        let mut out = nonce.to_vec();
        out.extend(data);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// The session in a cookie value, if it opens and has not expired.
    pub fn open(&self, value: &str) -> Option<Session> {
        let raw = URL_SAFE_NO_PAD.decode(value).ok()?;
        if raw.len() <= NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let mut sealed = sealed.to_vec();
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let plain = self.key.open_in_place(nonce, Aad::from(COOKIE), &mut sealed).ok()?;
        let session: Session = serde_json::from_slice(plain).ok()?;
        (session.expires > now()).then_some(session)
    }
}

/// The `Set-Cookie` value carrying `sealed`.
pub fn set_cookie(sealed: &str, ttl: Duration) -> String {
    format!("{COOKIE}={sealed}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}", ttl.as_secs())
}

/// The `Set-Cookie` value that removes the cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// The session cookie's value among the request's `Cookie` headers.
pub fn cookie_value(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// Equal, in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_sessions_open_only_with_their_key_and_before_expiry() {
        let sealer = Sealer::new(None).unwrap();
        let s = sealer.start("secret-token".into(), "alice".into(), Duration::from_secs(60));
        let cookie = sealer.seal(&s);
        assert!(!cookie.contains("secret-token"));
        let opened = sealer.open(&cookie).unwrap();
        assert_eq!((opened.token.as_str(), opened.csrf.as_str()), ("secret-token", s.csrf.as_str()));
        assert!(Sealer::new(None).unwrap().open(&cookie).is_none(), "another key");
        let mut tampered = cookie.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(sealer.open(&String::from_utf8(tampered).unwrap()).is_none());
        let expired = Session { expires: now() - 1, ..s };
        assert!(sealer.open(&sealer.seal(&expired)).is_none());
        assert!(format!("{expired:?}").contains("alice") && !format!("{expired:?}").contains("secret"));
    }

    #[test]
    fn cookies_and_comparison() {
        let mut h = http::HeaderMap::new();
        h.append(http::header::COOKIE, "a=1; garden_session=xyz".parse().unwrap());
        assert_eq!(cookie_value(&h).as_deref(), Some("xyz"));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
        assert!(set_cookie("v", Duration::from_secs(5)).contains("HttpOnly; SameSite=Strict"));
    }
}
