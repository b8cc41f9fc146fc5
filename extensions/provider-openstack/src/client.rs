//! Sessions from a shoot's credentials, calls with retries, and OpenStack errors mapped to the driver's codes and
//! to Gardener's error codes.
//!
//! What `openstack_sdk` lacks and this module adds: a retry with backoff when a service answers 429 or 503 (or
//! cannot be reached), a session per (credentials, region) reused across calls, and a count of the requests made
//! in this process by operation ([`api_calls`]). Microversions are the SDK's:
//! the session negotiates them with nova from its version document.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use machine_driver::{Code, DriverError};
use openstack_sdk::api::{paged, Pageable, Pagination, QueryAsync, RestEndpoint};
use openstack_sdk::config::{Auth, CloudConfig};
use openstack_sdk::types::ServiceType;
use openstack_sdk::{AsyncOpenStack, OpenStackError};
use serde::de::DeserializeOwned;

/// Gardener's error codes this provider reports.
pub const ERR_INFRA_UNAUTHENTICATED: &str = "ERR_INFRA_UNAUTHENTICATED";
pub const ERR_INFRA_UNAUTHORIZED: &str = "ERR_INFRA_UNAUTHORIZED";
pub const ERR_INFRA_QUOTA_EXCEEDED: &str = "ERR_INFRA_QUOTA_EXCEEDED";
pub const ERR_INFRA_RATE_LIMITS_EXCEEDED: &str = "ERR_INFRA_RATE_LIMITS_EXCEEDED";
pub const ERR_INFRA_RESOURCES_DEPLETED: &str = "ERR_INFRA_RESOURCES_DEPLETED";
pub const ERR_INFRA_DEPENDENCIES: &str = "ERR_INFRA_DEPENDENCIES";
pub const ERR_CONFIGURATION_PROBLEM: &str = "ERR_CONFIGURATION_PROBLEM";

/// Requests made in this process, by operation (every attempt; a list counts one per call: the lists here stay
/// within one page, nova's and neutron's default page limit being 1000).
static API_CALLS: std::sync::Mutex<BTreeMap<String, u64>> = std::sync::Mutex::new(BTreeMap::new());

/// The requests made in this process so far, by operation (`keystone authentication`, `create server`, ...).
pub fn api_calls() -> BTreeMap<String, u64> {
    API_CALLS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

fn count_call(operation: &str) {
    let mut calls = API_CALLS.lock().unwrap_or_else(|e| e.into_inner());
    match calls.get_mut(operation) {
        Some(n) => *n += 1,
        None => {
            calls.insert(operation.to_string(), 1);
        }
    }
}

/// Attempts of a call answered 429/503 or not answered at all, and the first wait (doubled each time).
const ATTEMPTS: u32 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// A shoot's OpenStack credentials (the keys of Gardener's provider-openstack secrets).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Credentials {
    pub auth_url: String,
    pub domain_name: String,
    pub tenant_name: String,
    pub login: Login,
}

#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Login {
    Password { username: String, password: String },
    ApplicationCredential { id: Option<String>, name: Option<String>, username: Option<String>, secret: String },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, who) = match &self.login {
            Login::Password { username, .. } => ("password", username.as_str()),
            Login::ApplicationCredential { id, name, .. } => {
                ("applicationCredential", id.as_deref().or(name.as_deref()).unwrap_or_default())
            }
        };
        f.debug_struct("Credentials")
            .field("auth_url", &self.auth_url)
            .field("domain_name", &self.domain_name)
            .field("tenant_name", &self.tenant_name)
            .field(kind, &who)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// The credentials in a secret: `domainName`, `tenantName`, `authURL` (or the CloudProfile's keystone URL
    /// given as `default_auth_url`), and `username` / `password` or `applicationCredentialID` /
    /// `applicationCredentialName` (with `username`) / `applicationCredentialSecret`. A missing key is named.
    pub fn from_secret(data: &BTreeMap<String, Vec<u8>>, default_auth_url: Option<&str>) -> Result<Self, String> {
        let get =
            |k: &str| data.get(k).map(|v| String::from_utf8_lossy(v).trim().to_string()).filter(|v| !v.is_empty());
        let need = |k: &str| get(k).ok_or_else(|| format!("the credentials secret has no {k}"));
        let auth_url = match get("authURL").or_else(|| default_auth_url.map(str::to_string)) {
            Some(url) => url,
            None => {
                return Err("the credentials secret has no authURL and the CloudProfile names no keystone URL".into())
            }
        };
        let login = match get("applicationCredentialSecret") {
            Some(secret) => {
                let id = get("applicationCredentialID");
                let name = get("applicationCredentialName");
                if id.is_none() && name.is_none() {
                    return Err(
                        "the credentials secret has applicationCredentialSecret but neither applicationCredentialID nor applicationCredentialName"
                            .into(),
                    );
                }
                Login::ApplicationCredential { id, name, username: get("username"), secret }
            }
            None => Login::Password { username: need("username")?, password: need("password")? },
        };
        Ok(Credentials { auth_url, domain_name: need("domainName")?, tenant_name: need("tenantName")?, login })
    }

    fn cloud_config(&self, region: &str) -> CloudConfig {
        let mut auth = Auth { auth_url: Some(self.auth_url.clone()), ..Default::default() };
        let auth_type = match &self.login {
            Login::Password { username, password } => {
                auth.username = Some(username.clone());
                auth.password = Some(password.clone().into());
                auth.user_domain_name = Some(self.domain_name.clone());
                auth.project_name = Some(self.tenant_name.clone());
                auth.project_domain_name = Some(self.domain_name.clone());
                "password"
            }
            Login::ApplicationCredential { id, name, username, secret } => {
                auth.application_credential_id = id.clone();
                auth.application_credential_name = name.clone();
                auth.application_credential_secret = Some(secret.clone().into());
                auth.username = username.clone();
                auth.user_domain_name = Some(self.domain_name.clone());
                "v3applicationcredential"
            }
        };
        CloudConfig {
            auth: Some(auth),
            auth_type: Some(auth_type.to_string()),
            region_name: Some(region.to_string()),
            interface: Some("public".to_string()),
            auth_cache: Some(false),
            ..Default::default()
        }
    }
}

/// A failed OpenStack call: the operation, the HTTP status when there was an answer, and what the service said.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{operation}: {message}")]
pub struct OsError {
    pub operation: String,
    pub status: Option<u16>,
    pub message: String,
}

impl OsError {
    fn from_sdk(operation: &str, err: &dyn std::error::Error) -> Self {
        let text = source_chain(err);
        // The SDK's messages carry `status: `NNN`` for answered calls.
        let status = text
            .split("status: `")
            .nth(1)
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            // keystone's refusal of the credentials reaches us as the SDK's authentication error, without a status
            .or_else(|| text.contains("requires authentication").then_some(401));
        let message = text.replace("\n\t", " ").replace('\n', " ");
        OsError { operation: operation.to_string(), status, message }
    }

    pub fn not_found(&self) -> bool {
        self.status == Some(404)
    }

    fn retryable(&self) -> bool {
        matches!(self.status, None | Some(429) | Some(502) | Some(503) | Some(504))
    }

    /// The machine driver's code of this error.
    pub fn code(&self) -> Code {
        let text = self.message.to_ascii_lowercase();
        match self.status {
            Some(401) => Code::Unauthenticated,
            Some(403) if text.contains("quota") => Code::ResourceExhausted,
            Some(403) => Code::PermissionDenied,
            Some(404) => Code::NotFound,
            Some(409) if text.contains("quota") => Code::ResourceExhausted,
            Some(409) => Code::AlreadyExists,
            Some(413) | Some(429) => Code::Unavailable,
            Some(400) => Code::InvalidArgument,
            None | Some(500..=599) if text.contains("no valid host") => Code::ResourceExhausted,
            None | Some(502..=504) => Code::Unavailable,
            _ => Code::Unknown,
        }
    }

    /// Gardener's error code of this error, when one applies.
    pub fn gardener_code(&self) -> Option<&'static str> {
        let text = self.message.to_ascii_lowercase();
        Some(match self.code() {
            Code::Unauthenticated => ERR_INFRA_UNAUTHENTICATED,
            Code::PermissionDenied => ERR_INFRA_UNAUTHORIZED,
            Code::ResourceExhausted if text.contains("no valid host") => ERR_INFRA_RESOURCES_DEPLETED,
            Code::ResourceExhausted => ERR_INFRA_QUOTA_EXCEEDED,
            Code::Unavailable if self.status == Some(429) || self.status == Some(413) => ERR_INFRA_RATE_LIMITS_EXCEEDED,
            Code::InvalidArgument => ERR_CONFIGURATION_PROBLEM,
            _ => return None,
        })
    }
}

impl From<OsError> for DriverError {
    fn from(e: OsError) -> Self {
        DriverError::new(e.code(), e.to_string())
    }
}

/// One session per (credentials, region), authenticated once and reused (the SDK renews its token).
#[derive(Default)]
pub struct Sessions {
    /// Held across a first authentication, so that concurrent callers do not each log in.
    sessions: tokio::sync::Mutex<HashMap<(Credentials, String), AsyncOpenStack>>,
}

impl Sessions {
    pub async fn get(&self, creds: &Credentials, region: &str) -> Result<AsyncOpenStack, OsError> {
        let key = (creds.clone(), region.to_string());
        let mut sessions = self.sessions.lock().await;
        if let Some(s) = sessions.get(&key) {
            return Ok(s.clone());
        }
        let session = connect(creds, region).await?;
        sessions.insert(key, session.clone());
        Ok(session)
    }

    /// Forgets the session of `creds` (after a 401: the password may have changed).
    pub async fn forget(&self, creds: &Credentials, region: &str) {
        self.sessions.lock().await.remove(&(creds.clone(), region.to_string()));
    }
}

/// Authenticates with keystone and discovers the versioned endpoints of the services this provider calls
/// (catalogs may list them unversioned), with retries on 429/503 and unanswered calls.
pub async fn connect(creds: &Credentials, region: &str) -> Result<AsyncOpenStack, OsError> {
    let config = creds.cloud_config(region);
    let session = retrying("keystone authentication", || async {
        AsyncOpenStack::builder(&config)
            .disable_auth_cache(true)
            .connect()
            .await
            .map_err(|e: OpenStackError| OsError::from_sdk("keystone authentication", &e))
    })
    .await?;
    for service in [ServiceType::Network, ServiceType::Compute, ServiceType::Image] {
        let operation = format!("discovering the {service:?} endpoint");
        retrying(&operation, || async {
            session.discover_service_endpoint(&service).await.map_err(|e| OsError::from_sdk(&operation, &e))
        })
        .await?;
    }
    Ok(session)
}

/// Runs `endpoint` and decodes its answer (the SDK unwraps the resource key), with retries on 429/503 and
/// unanswered calls.
pub async fn call<E, T>(session: &AsyncOpenStack, operation: &str, endpoint: &E) -> Result<T, OsError>
where
    E: RestEndpoint + Sync,
    T: DeserializeOwned + Send + 'static,
{
    retrying(operation, || async { endpoint.query_async(session).await.map_err(|e| OsError::from_sdk(operation, &e)) })
        .await
}

/// Runs a list `endpoint` through all its pages, with retries as [`call`].
pub async fn call_all<E, T>(session: &AsyncOpenStack, operation: &str, endpoint: &E) -> Result<Vec<T>, OsError>
where
    E: RestEndpoint + Pageable + Sync + Send + Clone,
    T: DeserializeOwned + Send + 'static,
{
    let pages = paged(endpoint.clone(), Pagination::All);
    retrying(operation, || async { pages.query_async(session).await.map_err(|e| OsError::from_sdk(operation, &e)) })
        .await
}

/// Runs `endpoint` for its effect (a DELETE or an action without a body).
pub async fn run<E>(session: &AsyncOpenStack, operation: &str, endpoint: &E) -> Result<(), OsError>
where
    E: RestEndpoint + Sync + Clone,
{
    let endpoint = openstack_sdk::api::ignore(endpoint.clone());
    retrying(operation, || async { endpoint.query_async(session).await.map_err(|e| OsError::from_sdk(operation, &e)) })
        .await
}

async fn retrying<T, F, Fut>(operation: &str, mut attempt: F) -> Result<T, OsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, OsError>>,
{
    let mut wait = FIRST_BACKOFF;
    for n in 1..=ATTEMPTS {
        count_call(operation);
        match attempt().await {
            Err(e) if e.retryable() && n < ATTEMPTS => {
                tracing::debug!(operation, error = %e, attempt = n, "retrying");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            other => return other,
        }
    }
    unreachable!("the last attempt returns")
}

/// An error with its causes, `: `-separated.
fn source_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        let s = e.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = e.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.as_bytes().to_vec())).collect()
    }

    #[test]
    fn credentials_come_from_gardeners_keys_and_never_print_the_secret() {
        let c = Credentials::from_secret(
            &secret(&[
                ("authURL", "http://k/v3"),
                ("domainName", "Default"),
                ("tenantName", "p"),
                ("username", "u"),
                ("password", "hunter2"),
            ]),
            None,
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
        let e = Credentials::from_secret(&secret(&[("authURL", "x"), ("domainName", "d"), ("tenantName", "t")]), None)
            .unwrap_err();
        assert_eq!(e, "the credentials secret has no username");
        let c = Credentials::from_secret(
            &secret(&[
                ("domainName", "d"),
                ("tenantName", "t"),
                ("applicationCredentialID", "id"),
                ("applicationCredentialSecret", "s3"),
            ]),
            Some("http://profile/v3"),
        )
        .unwrap();
        assert_eq!(c.auth_url, "http://profile/v3");
        assert!(matches!(c.login, Login::ApplicationCredential { .. }));
    }

    #[test]
    fn statuses_map_to_driver_and_gardener_codes() {
        let e =
            |status: Option<u16>, message: &str| OsError { operation: "op".into(), status, message: message.into() };
        assert_eq!(e(Some(401), "x").gardener_code(), Some(ERR_INFRA_UNAUTHENTICATED));
        assert_eq!(e(Some(403), "Policy doesn't allow").gardener_code(), Some(ERR_INFRA_UNAUTHORIZED));
        assert_eq!(e(Some(403), "Quota exceeded for instances").gardener_code(), Some(ERR_INFRA_QUOTA_EXCEEDED));
        assert_eq!(e(Some(409), "Quota exceeded for resources: ['network']").code(), Code::ResourceExhausted);
        assert_eq!(e(Some(429), "slow down").gardener_code(), Some(ERR_INFRA_RATE_LIMITS_EXCEEDED));
        assert_eq!(e(Some(500), "No valid host was found.").gardener_code(), Some(ERR_INFRA_RESOURCES_DEPLETED));
        assert_eq!(e(Some(404), "gone").code(), Code::NotFound);
        assert!(e(Some(503), "").retryable() && e(None, "refused").retryable() && !e(Some(400), "").retryable());
    }
}
