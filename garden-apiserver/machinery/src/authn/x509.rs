//! Client certificates, checked by the authenticator rather than by the TLS handshake (as kube does): a certificate
//! signed by the client CA names the user (CN) and groups (O); one signed by the request-header CA, with an allowed
//! CN, makes the X-Remote-* headers of the request trusted (an aggregated server behind a front proxy). Both CAs can
//! be swapped at run time (the extension-apiserver-authentication ConfigMap changes).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use http::HeaderMap;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

use crate::authz::UserInfo;

/// The TLS side: any client certificate is accepted as long as the client proves it holds its key (the handshake
/// signature is verified); whether the certificate is trusted is decided per request by [`ClientCerts`], so that an
/// untrusted certificate is a 401 like in kube, not a failed handshake.
#[derive(Debug)]
pub struct AnyClientCert(pub Arc<CryptoProvider>);

impl ClientCertVerifier for AnyClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }
    fn client_auth_mandatory(&self) -> bool {
        false
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A CA bundle client certificates are checked against (chain, validity, client-auth usage).
pub struct CertAuthority(Arc<dyn ClientCertVerifier>);

impl CertAuthority {
    pub fn from_pem(pem: &[u8]) -> anyhow::Result<Self> {
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls_pemfile::certs(&mut &*pem) {
            roots.add(c?)?;
        }
        anyhow::ensure!(!roots.is_empty(), "no CA certificate in the bundle");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Ok(Self(WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build()?))
    }

    pub fn from_file(path: &std::path::Path) -> anyhow::Result<Self> {
        use anyhow::Context;
        let pem = std::fs::read(path).with_context(|| format!("failed to read {}", path.display()))?;
        Self::from_pem(&pem).with_context(|| format!("invalid CA bundle {}", path.display()))
    }

    /// Whether `chain` (leaf first) leads to one of the CAs.
    pub fn verifies(&self, chain: &[CertificateDer<'static>]) -> bool {
        let Some((leaf, intermediates)) = chain.split_first() else { return false };
        self.0.verify_client_cert(leaf, intermediates, UnixTime::now()).is_ok()
    }
}

/// kube's request-header authentication settings (the `requestheader-*` keys of extension-apiserver-authentication).
pub struct RequestHeader {
    pub ca: CertAuthority,
    /// CNs the front proxy's certificate may have; empty: any certificate of the CA.
    pub allowed_names: Vec<String>,
    pub username_headers: Vec<String>,
    pub group_headers: Vec<String>,
    pub extra_headers_prefix: Vec<String>,
}

/// What the client certificate of a request says.
#[derive(Debug, PartialEq, Eq)]
pub enum CertIdentity {
    /// No certificate, or a front-proxy certificate without a user header (other authenticators decide).
    None,
    User(UserInfo),
    /// A certificate no configured CA trusts, or a front proxy with a CN not allowed: why.
    Refused(String),
}

/// The client CA and the request-header settings of a server, swappable while it runs.
#[derive(Default)]
pub struct ClientCerts {
    client_ca: RwLock<Option<Arc<CertAuthority>>>,
    request_header: RwLock<Option<Arc<RequestHeader>>>,
}

impl ClientCerts {
    pub fn set_client_ca(&self, ca: Option<CertAuthority>) {
        *self.client_ca.write().unwrap_or_else(|e| e.into_inner()) = ca.map(Arc::new);
    }

    pub fn set_request_header(&self, rh: Option<RequestHeader>) {
        *self.request_header.write().unwrap_or_else(|e| e.into_inner()) = rh.map(Arc::new);
    }

    /// kube's order: the request-header authenticator first, then x509.
    pub fn identify(&self, chain: &[CertificateDer<'static>], headers: &HeaderMap) -> CertIdentity {
        if chain.is_empty() {
            return CertIdentity::None;
        }
        let rh = self.request_header.read().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(rh) = rh.filter(|rh| rh.ca.verifies(chain)) {
            let cn = user_from_cert(chain[0].as_ref()).map(|u| u.name).unwrap_or_default();
            if !rh.allowed_names.is_empty() && !rh.allowed_names.contains(&cn) {
                return CertIdentity::Refused(format!(
                    "the front-proxy client certificate's CN {cn:?} is not one of the allowed names"
                ));
            }
            if let Some(user) = user_from_headers(&rh, headers) {
                return CertIdentity::User(user);
            }
            return CertIdentity::None;
        }
        let ca = self.client_ca.read().unwrap_or_else(|e| e.into_inner()).clone();
        match ca.filter(|ca| ca.verifies(chain)).and_then(|_| user_from_cert(chain[0].as_ref())) {
            Some(user) => CertIdentity::User(user),
            None => CertIdentity::Refused("the client certificate is not signed by a trusted CA".into()),
        }
    }
}

/// Identity from a client certificate: CN = user, O = groups.
pub fn user_from_cert(der: &[u8]) -> Option<UserInfo> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let subject = cert.subject();
    let name = subject.iter_common_name().next()?.as_str().ok()?.to_string();
    let groups = subject.iter_organization().filter_map(|o| o.as_str().ok().map(str::to_string)).collect();
    Some(UserInfo { name, uid: String::new(), groups })
}

/// The user the front proxy vouches for: the first non-empty user header, every value of every group header.
/// Extra attributes (X-Remote-Extra-*) are read by kube but not kept here: this server's users have none.
fn user_from_headers(rh: &RequestHeader, headers: &HeaderMap) -> Option<UserInfo> {
    let value = |h: &str| headers.get(h).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
    let name = rh.username_headers.iter().find_map(|h| value(h))?.to_string();
    let groups = rh
        .group_headers
        .iter()
        .flat_map(|h| headers.get_all(h.as_str()).iter())
        .filter_map(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect();
    Some(UserInfo { name, uid: String::new(), groups })
}

/// The keys of kube-system/extension-apiserver-authentication, as kube-apiserver writes them.
pub mod configmap {
    pub const NAMESPACE: &str = "kube-system";
    pub const NAME: &str = "extension-apiserver-authentication";
    pub const CLIENT_CA: &str = "client-ca-file";
    pub const REQUESTHEADER_CA: &str = "requestheader-client-ca-file";
    pub const ALLOWED_NAMES: &str = "requestheader-allowed-names";
    pub const USERNAME_HEADERS: &str = "requestheader-username-headers";
    pub const GROUP_HEADERS: &str = "requestheader-group-headers";
    pub const EXTRA_HEADERS_PREFIX: &str = "requestheader-extra-headers-prefix";
}

/// The settings an aggregated server takes from the ConfigMap's data, flags (non-empty) winning over it.
pub struct Published {
    pub client_ca: Option<CertAuthority>,
    pub request_header: Option<RequestHeader>,
}

impl Published {
    pub fn parse(data: &BTreeMap<String, String>, flags: &crate::config::DelegationOptions) -> anyhow::Result<Self> {
        use anyhow::Context;
        use configmap::*;
        let list = |key: &str, flag: &[String], default: &str| -> anyhow::Result<Vec<String>> {
            if !flag.is_empty() {
                return Ok(flag.to_vec());
            }
            match data.get(key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                Some(v) => serde_json::from_str(v).with_context(|| format!("{key} is not a JSON list of strings")),
                None if default.is_empty() => Ok(Vec::new()),
                None => Ok(vec![default.to_string()]),
            }
        };
        let client_ca = match data.get(CLIENT_CA).filter(|v| !v.trim().is_empty()) {
            Some(pem) => Some(CertAuthority::from_pem(pem.as_bytes()).context(CLIENT_CA)?),
            None => None,
        };
        let rh_ca = match &flags.requestheader_client_ca_file {
            Some(path) => Some(CertAuthority::from_file(path)?),
            None => match data.get(REQUESTHEADER_CA).filter(|v| !v.trim().is_empty()) {
                Some(pem) => Some(CertAuthority::from_pem(pem.as_bytes()).context(REQUESTHEADER_CA)?),
                None => None,
            },
        };
        let request_header = match rh_ca {
            Some(ca) => Some(RequestHeader {
                ca,
                allowed_names: list(ALLOWED_NAMES, &flags.requestheader_allowed_names, "")?,
                username_headers: list(USERNAME_HEADERS, &flags.requestheader_username_headers, "X-Remote-User")?,
                group_headers: list(GROUP_HEADERS, &flags.requestheader_group_headers, "X-Remote-Group")?,
                extra_headers_prefix: list(
                    EXTRA_HEADERS_PREFIX,
                    &flags.requestheader_extra_headers_prefix,
                    "X-Remote-Extra-",
                )?,
            }),
            None => None,
        };
        Ok(Self { client_ca, request_header })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca(cn: &str) -> crate::certs::Ca {
        let dir = std::env::temp_dir().join(format!("x509-{cn}-{}", std::process::id()));
        let ca = crate::certs::CertDir(dir.clone()).load_or_create_ca().unwrap();
        std::fs::remove_dir_all(dir).unwrap();
        ca
    }

    fn chain(ca: &crate::certs::Ca, cn: &str, groups: &[&str]) -> Vec<CertificateDer<'static>> {
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        let (cert, _) = ca.client_cert(cn, &groups, time::Duration::hours(1)).unwrap();
        rustls_pemfile::certs(&mut cert.as_bytes()).collect::<Result<_, _>>().unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        h
    }

    #[test]
    fn request_headers_are_trusted_only_from_the_front_proxy() {
        let (client_ca, proxy_ca, other_ca) = (ca("client"), ca("proxy"), ca("other"));
        let certs = ClientCerts::default();
        certs.set_client_ca(Some(CertAuthority::from_pem(client_ca.cert_pem.as_bytes()).unwrap()));
        let data = BTreeMap::from([
            (configmap::REQUESTHEADER_CA.to_string(), proxy_ca.cert_pem.clone()),
            (configmap::ALLOWED_NAMES.to_string(), r#"["front-proxy-client"]"#.to_string()),
        ]);
        let published = Published::parse(&data, &Default::default()).unwrap();
        assert!(published.client_ca.is_none());
        certs.set_request_header(published.request_header);
        let forged = headers(&[("X-Remote-User", "alice"), ("X-Remote-Group", "a"), ("X-Remote-Group", "b")]);

        let proxy = chain(&proxy_ca, "front-proxy-client", &[]);
        let alice = UserInfo { name: "alice".into(), uid: String::new(), groups: vec!["a".into(), "b".into()] };
        assert_eq!(certs.identify(&proxy, &forged), CertIdentity::User(alice));
        assert_eq!(certs.identify(&proxy, &HeaderMap::new()), CertIdentity::None, "no user header: not decided");
        // A certificate of the right CA with a CN not allowed.
        assert!(matches!(certs.identify(&chain(&proxy_ca, "mallory", &[]), &forged), CertIdentity::Refused(_)));
        // A client certificate of the client CA: its own identity, the headers ignored.
        let bob = chain(&client_ca, "bob", &["dev"]);
        assert_eq!(
            certs.identify(&bob, &forged),
            CertIdentity::User(UserInfo { name: "bob".into(), uid: String::new(), groups: vec!["dev".into()] })
        );
        // A certificate of an unknown CA, and no certificate at all.
        let other = chain(&other_ca, "front-proxy-client", &[]);
        assert!(matches!(certs.identify(&other, &forged), CertIdentity::Refused(_)));
        assert_eq!(certs.identify(&[], &forged), CertIdentity::None);
    }

    #[test]
    fn published_settings_are_checked() {
        let data = BTreeMap::from([(configmap::CLIENT_CA.to_string(), "not a pem".to_string())]);
        let e = Published::parse(&data, &Default::default()).err().unwrap();
        assert!(format!("{e:#}").contains("client-ca-file"), "{e:#}");
        let proxy_ca = ca("proxy2");
        let data = BTreeMap::from([
            (configmap::REQUESTHEADER_CA.to_string(), proxy_ca.cert_pem.clone()),
            (configmap::USERNAME_HEADERS.to_string(), "X-Remote-User".to_string()),
        ]);
        let e = Published::parse(&data, &Default::default()).err().unwrap();
        assert!(format!("{e:#}").contains("not a JSON list"), "{e:#}");
    }
}
