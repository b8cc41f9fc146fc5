//! Control-plane secrets of a shoot, generated with rcgen and stored as Secrets in the shoot's seed
//! namespace under Gardener's names:
//!
//! | Secret | keys | signs / is |
//! |---|---|---|
//! | `ca` | `ca.crt`, `ca.key` | the cluster CA; signs the API server's serving certificate |
//! | `ca-client` | `ca.crt`, `ca.key` | signs client certificates (admin kubeconfigs) |
//! | `ca-etcd` | `ca.crt`, `ca.key` | signs etcd's server and client certificates |
//! | `kube-apiserver` | `tls.crt`, `tls.key` | the API server's serving certificate |
//! | `etcd-server-cert` | `tls.crt`, `tls.key` | etcd's serving certificate |
//! | `etcd-client-tls` | `tls.crt`, `tls.key` | the API server's client certificate towards etcd |
//! | `service-account-key` | `id_rsa` | PEM private key signing service account tokens |
//!
//! [`ensure_secrets`] is idempotent: it creates what is missing and reuses what exists (a create that
//! loses a race, or repeats after a crash, reads the existing Secret). CAs are ensured before the
//! certificates they sign, so a leaf is always signed by the CA that is stored. An existing serving
//! certificate is reused as is, even if `hosts` changed since it was issued.
//!
//! A deleted Secret is created again. What cannot be derived (the three CAs and the service-account key,
//! [`Roots`]) comes back from the copy the control plane's runtime keeps (see
//! [`crate::runtime::ControlPlaneRuntime::kept_roots`]), so clients, nodes and tokens keep working; only
//! when no copy exists is a new CA generated, and then every certificate it signs is issued again.
//!
//! Keys are ECDSA P-256 (rcgen with ring cannot generate RSA; `id_rsa` keeps Gardener's key name).
//! Key material is never logged.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use kube::api::PostParams;
use kube::Api;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use tracing::info;

use crate::error::Error;

/// Validity of CAs, in days (10 years).
pub const CA_VALIDITY_DAYS: i32 = 3650;
/// Validity of leaf certificates, in days (1 year).
pub const LEAF_VALIDITY_DAYS: i32 = 365;
/// Label put on every Secret created here.
pub const MANAGED_BY_LABEL: (&str, &str) = ("managed-by", "gardenlet");

/// The material of a shoot's control-plane secrets (PEM).
#[derive(Clone, PartialEq, Eq)]
pub struct ControlPlaneSecrets {
    /// Cluster CA certificate (signs the API server's serving certificate).
    pub ca_cert: String,
    /// Cluster CA key.
    pub ca_key: String,
    /// Client CA certificate (signs client certificates, Gardener's `ca-client`).
    pub client_ca_cert: String,
    /// Client CA key.
    pub client_ca_key: String,
    /// etcd CA certificate.
    pub etcd_ca_cert: String,
    /// etcd CA key.
    pub etcd_ca_key: String,
    /// kube-apiserver serving certificate.
    pub server_cert: String,
    /// kube-apiserver serving key.
    pub server_key: String,
    /// etcd serving certificate.
    pub etcd_server_cert: String,
    /// etcd serving key.
    pub etcd_server_key: String,
    /// etcd client certificate (used by the API server).
    pub etcd_client_cert: String,
    /// etcd client key.
    pub etcd_client_key: String,
    /// Private key (PEM) signing service account tokens.
    pub service_account_key: String,
}

impl std::fmt::Debug for ControlPlaneSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlPlaneSecrets").finish_non_exhaustive()
    }
}

/// A certificate and its private key, both PEM.
#[derive(Clone, PartialEq, Eq)]
pub struct CertPair {
    /// Certificate (PEM).
    pub cert: String,
    /// Private key (PEM).
    pub key: String,
}

impl std::fmt::Debug for CertPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertPair").field("cert", &self.cert).finish_non_exhaustive()
    }
}

fn cert_err(what: &str) -> impl FnOnce(rcgen::Error) -> Error + '_ {
    move |source| Error::Certificate { what: what.to_string(), source }
}

/// Valid from yesterday (UTC, so freshly issued certificates are valid despite small clock skew) for
/// `days` days from today.
fn set_validity(params: &mut CertificateParams, days: i32) {
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let ymd = |d: jiff::civil::Date| rcgen::date_time_ymd(d.year().into(), d.month() as u8, d.day() as u8);
    let start = today.checked_sub(jiff::Span::new().days(1)).unwrap_or(today);
    let end = today.checked_add(jiff::Span::new().days(days)).unwrap_or(jiff::civil::Date::MAX);
    params.not_before = ymd(start);
    params.not_after = ymd(end);
}

fn dn(cn: &str, orgs: &[String]) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    for o in orgs {
        dn.push(DnType::OrganizationName, o.as_str());
    }
    dn
}

fn issuer<'a>(ca: &'a CertPair, key: &'a KeyPair) -> Result<Issuer<'a, &'a KeyPair>, Error> {
    Issuer::from_ca_cert_pem(&ca.cert, key).map_err(cert_err("parse CA certificate"))
}

fn ca_key(ca: &CertPair) -> Result<KeyPair, Error> {
    KeyPair::from_pem(&ca.key).map_err(cert_err("parse CA key"))
}

/// A self-signed CA with common name `cn`, valid 10 years.
pub fn generate_ca(cn: &str) -> Result<CertPair, Error> {
    let what = "generate CA";
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(cert_err(what))?;
    params.distinguished_name = dn(cn, &[]);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    set_validity(&mut params, CA_VALIDITY_DAYS);
    let key = KeyPair::generate().map_err(cert_err(what))?;
    let cert = params.self_signed(&key).map_err(cert_err(what))?;
    Ok(CertPair { cert: cert.pem(), key: key.serialize_pem() })
}

/// A serving certificate (ExtendedKeyUsage ServerAuth) signed by `ca` for `hosts` (DNS names or IP
/// addresses, all put into the SubjectAltNames; the first is the common name), valid 1 year.
pub fn sign_server(ca: &CertPair, hosts: &[String]) -> Result<CertPair, Error> {
    let what = "sign server certificate";
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(cert_err(what))?;
    for h in hosts {
        params.subject_alt_names.push(match h.parse::<std::net::IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName(h.clone().try_into().map_err(cert_err(what))?),
        });
    }
    params.distinguished_name = dn(hosts.first().map(String::as_str).unwrap_or("kube-apiserver"), &[]);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    set_validity(&mut params, LEAF_VALIDITY_DAYS);
    let ca_key = ca_key(ca)?;
    let key = KeyPair::generate().map_err(cert_err(what))?;
    let cert = params.signed_by(&key, &issuer(ca, &ca_key)?).map_err(cert_err(what))?;
    Ok(CertPair { cert: cert.pem(), key: key.serialize_pem() })
}

/// A client certificate (ExtendedKeyUsage ClientAuth) signed by `ca` with CN = `cn` (the user) and
/// O = `orgs` (the groups), valid `validity_days` days.
pub fn sign_client(ca: &CertPair, cn: &str, orgs: &[String], validity_days: i32) -> Result<CertPair, Error> {
    let what = "sign client certificate";
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(cert_err(what))?;
    params.distinguished_name = dn(cn, orgs);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    set_validity(&mut params, validity_days);
    let ca_key = ca_key(ca)?;
    let key = KeyPair::generate().map_err(cert_err(what))?;
    let cert = params.signed_by(&key, &issuer(ca, &ca_key)?).map_err(cert_err(what))?;
    Ok(CertPair { cert: cert.pem(), key: key.serialize_pem() })
}

/// A new private key (PEM) for signing service account tokens.
pub fn generate_service_account_key() -> Result<String, Error> {
    Ok(KeyPair::generate().map_err(cert_err("generate service account key"))?.serialize_pem())
}

/// The secret material of a control plane that cannot be derived from anything else: the cluster, client and
/// etcd CAs (with their keys) and the service-account signing key.
#[derive(Clone, PartialEq, Eq)]
pub struct Roots {
    /// Cluster CA.
    pub ca: CertPair,
    /// Client CA.
    pub client_ca: CertPair,
    /// etcd CA.
    pub etcd_ca: CertPair,
    /// Service-account signing key (PEM).
    pub service_account_key: String,
}

impl std::fmt::Debug for Roots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Roots").finish_non_exhaustive()
    }
}

impl ControlPlaneSecrets {
    /// The part of the material that cannot be derived.
    pub fn roots(&self) -> Roots {
        Roots {
            ca: CertPair { cert: self.ca_cert.clone(), key: self.ca_key.clone() },
            client_ca: CertPair { cert: self.client_ca_cert.clone(), key: self.client_ca_key.clone() },
            etcd_ca: CertPair { cert: self.etcd_ca_cert.clone(), key: self.etcd_ca_key.clone() },
            service_account_key: self.service_account_key.clone(),
        }
    }
}

/// Names of the Secrets [`ensure_secrets`] keeps in a shoot's seed namespace.
pub const CONTROL_PLANE_SECRETS: [&str; 7] =
    ["ca", "ca-client", "ca-etcd", "kube-apiserver", "etcd-server-cert", "etcd-client-tls", "service-account-key"];

/// What [`ensure_secret`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// The Secret existed and was reused.
    Reused,
    /// The Secret was missing and created from `generate`.
    Created,
}

/// Creates Secret `name` with `data` unless it exists; returns the stored data (the existing Secret's
/// on conflict) and whether it was created. `generate` runs when the Secret is missing, or when `renew` is set
/// (an existing Secret is then replaced).
async fn ensure_secret(
    api: &Api<Secret>,
    name: &str,
    type_: &str,
    keys: &[&str],
    renew: bool,
    generate: impl FnOnce() -> Result<Vec<String>, Error>,
) -> Result<(Vec<String>, Outcome), Error> {
    let secret_err = |source| Error::EnsureSecret { namespace: api_namespace(api), name: name.to_string(), source };
    let existing = match api.get_opt(name).await.map_err(secret_err)? {
        Some(s) if renew => {
            let values = generate()?;
            let mut next = s.clone();
            next.data = Some(
                keys.iter().zip(&values).map(|(k, v)| (k.to_string(), ByteString(v.clone().into_bytes()))).collect(),
            );
            api.replace(name, &PostParams::default(), &next).await.map_err(secret_err)?;
            info!(namespace = %api_namespace(api), secret = name, "issued control-plane secret again (new CA)");
            return Ok((values, Outcome::Created));
        }
        Some(s) => s,
        None => {
            let values = generate()?;
            let data: BTreeMap<String, ByteString> =
                keys.iter().zip(&values).map(|(k, v)| (k.to_string(), ByteString(v.clone().into_bytes()))).collect();
            let secret = Secret {
                metadata: ObjectMeta {
                    name: Some(name.to_string()),
                    labels: Some(BTreeMap::from([(MANAGED_BY_LABEL.0.to_string(), MANAGED_BY_LABEL.1.to_string())])),
                    ..Default::default()
                },
                type_: Some(type_.to_string()),
                data: Some(data),
                ..Default::default()
            };
            match api.create(&PostParams::default(), &secret).await {
                Ok(_) => {
                    info!(namespace = %api_namespace(api), secret = name, "created control-plane secret");
                    return Ok((values, Outcome::Created));
                }
                Err(kube::Error::Api(s)) if s.code == 409 => api.get(name).await.map_err(secret_err)?,
                Err(e) => return Err(secret_err(e)),
            }
        }
    };
    let data = existing.data.unwrap_or_default();
    let values = keys
        .iter()
        .map(|k| {
            data.get(*k).and_then(|v| String::from_utf8(v.0.clone()).ok()).ok_or_else(|| Error::InvalidSecret {
                namespace: api_namespace(api),
                name: name.to_string(),
                reason: format!("key {k} is missing or not UTF-8"),
            })
        })
        .collect::<Result<_, _>>()?;
    Ok((values, Outcome::Reused))
}

/// A CA Secret: reused, else restored from `kept`, else generated (then `true`: a new CA, whose leaves must be
/// issued again).
async fn ensure_ca(
    api: &Api<Secret>,
    name: &str,
    cn: &str,
    kept: Option<&CertPair>,
) -> Result<(CertPair, bool), Error> {
    let (values, outcome) = ensure_secret(api, name, OPAQUE, CA_KEYS, false, || match kept {
        Some(k) => {
            info!(namespace = %api_namespace(api), secret = name, "restoring the CA from the control plane's copy");
            Ok(to_vec(k.clone()))
        }
        None => generate_ca(cn).map(to_vec),
    })
    .await?;
    let new_ca = outcome == Outcome::Created && kept.is_none();
    Ok((pair(values), new_ca))
}

fn api_namespace(api: &Api<Secret>) -> String {
    api.namespace().unwrap_or_default().to_string()
}

fn pair(mut v: Vec<String>) -> CertPair {
    let key = v.pop().unwrap_or_default();
    let cert = v.pop().unwrap_or_default();
    CertPair { cert, key }
}

impl ControlPlaneSecrets {
    /// The material from its parts: the cluster, client and etcd CAs; the API server's serving pair and etcd's
    /// server and client pairs; the service-account key.
    fn assemble(
        [ca, client_ca, etcd_ca]: [CertPair; 3],
        [server, etcd_server, etcd_client]: [CertPair; 3],
        service_account_key: String,
    ) -> Self {
        ControlPlaneSecrets {
            ca_cert: ca.cert,
            ca_key: ca.key,
            client_ca_cert: client_ca.cert,
            client_ca_key: client_ca.key,
            etcd_ca_cert: etcd_ca.cert,
            etcd_ca_key: etcd_ca.key,
            server_cert: server.cert,
            server_key: server.key,
            etcd_server_cert: etcd_server.cert,
            etcd_server_key: etcd_server.key,
            etcd_client_cert: etcd_client.cert,
            etcd_client_key: etcd_client.key,
            service_account_key,
        }
    }
}

fn to_vec(p: CertPair) -> Vec<String> {
    vec![p.cert, p.key]
}

const OPAQUE: &str = "Opaque";
const TLS: &str = "kubernetes.io/tls";
const CA_KEYS: &[&str] = &["ca.crt", "ca.key"];
const TLS_KEYS: &[&str] = &["tls.crt", "tls.key"];

/// Complete secret material without an API server, for tests of the runtimes.
#[cfg(test)]
pub fn test_secrets(hosts: &[&str]) -> ControlPlaneSecrets {
    let hosts: Vec<String> = hosts.iter().map(|h| h.to_string()).collect();
    let (ca, client_ca, etcd_ca) =
        (generate_ca("kubernetes").unwrap(), generate_ca("kubernetes-client").unwrap(), generate_ca("etcd").unwrap());
    let server = sign_server(&ca, &hosts).unwrap();
    let etcd_server = sign_server(&etcd_ca, &hosts).unwrap();
    let etcd_client = sign_client(&etcd_ca, "etcd-client", &[], 365).unwrap();
    let cas = [ca, client_ca, etcd_ca];
    ControlPlaneSecrets::assemble(cas, [server, etcd_server, etcd_client], generate_service_account_key().unwrap())
}

/// Ensures the control-plane Secrets in `seed_namespace` exist (creating what is missing, reusing what
/// exists; safe to re-run after a crash) and returns their material. `hosts` are the DNS names and IP
/// addresses of the API server's serving certificate (used only when it is created). `kept` is the runtime's
/// copy of the roots: a deleted CA or service-account key Secret is restored from it. The flag says whether the
/// cluster CA was generated anew (no Secret and no copy): kubeconfigs issued before no longer verify.
pub async fn ensure_secrets(
    client: &kube::Client,
    seed_namespace: &str,
    hosts: &[String],
    kept: Option<&Roots>,
) -> Result<(ControlPlaneSecrets, bool), Error> {
    let api: Api<Secret> = Api::namespaced(client.clone(), seed_namespace);
    let (ca, new_ca) = ensure_ca(&api, "ca", "kubernetes", kept.map(|k| &k.ca)).await?;
    let (client_ca, _) = ensure_ca(&api, "ca-client", "kubernetes-client", kept.map(|k| &k.client_ca)).await?;
    let (etcd_ca, new_etcd_ca) = ensure_ca(&api, "ca-etcd", "etcd", kept.map(|k| &k.etcd_ca)).await?;
    let server = pair(
        ensure_secret(&api, "kube-apiserver", TLS, TLS_KEYS, new_ca, || sign_server(&ca, hosts).map(to_vec)).await?.0,
    );
    let etcd_hosts: Vec<String> = ["etcd-main-client", "etcd-main-local", "localhost", "127.0.0.1", "::1"]
        .iter()
        .map(|h| h.to_string())
        .chain(std::iter::once(format!("etcd-main-client.{seed_namespace}.svc")))
        .collect();
    let etcd_server = pair(
        ensure_secret(&api, "etcd-server-cert", TLS, TLS_KEYS, new_etcd_ca, || {
            sign_server(&etcd_ca, &etcd_hosts).map(to_vec)
        })
        .await?
        .0,
    );
    let etcd_client = pair(
        ensure_secret(&api, "etcd-client-tls", TLS, TLS_KEYS, new_etcd_ca, || {
            sign_client(&etcd_ca, "etcd-client", &[], LEAF_VALIDITY_DAYS).map(to_vec)
        })
        .await?
        .0,
    );
    let (mut sa, _) = ensure_secret(&api, "service-account-key", OPAQUE, &["id_rsa"], false, || match kept {
        Some(k) => Ok(vec![k.service_account_key.clone()]),
        None => generate_service_account_key().map(|k| vec![k]),
    })
    .await?;
    let cas = [ca, client_ca, etcd_ca];
    let secrets = ControlPlaneSecrets::assemble(cas, [server, etcd_server, etcd_client], sa.pop().unwrap_or_default());
    Ok((secrets, new_ca))
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::extensions::GeneralName;
    use x509_parser::prelude::*;

    fn parse(pem: &str) -> Vec<u8> {
        x509_parser::pem::parse_x509_pem(pem.as_bytes()).expect("PEM").1.contents
    }

    #[test]
    fn ca_is_a_ca_valid_ten_years() {
        let ca = generate_ca("kubernetes").unwrap();
        assert!(ca.key.contains("PRIVATE KEY"));
        let der = parse(&ca.cert);
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        assert!(cert.is_ca());
        assert_eq!(cert.subject().iter_common_name().next().unwrap().as_str().unwrap(), "kubernetes");
        let days = (cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp()) / 86_400;
        assert!((3650..=3652).contains(&days), "{days}");
        assert!(cert.validity().is_valid());
        let ku = cert.key_usage().unwrap().unwrap().value;
        assert!(ku.key_cert_sign());
        assert!(format!("{ca:?}").find("PRIVATE").is_none(), "Debug must not show keys");
    }

    #[test]
    fn server_cert_has_sans_and_server_auth() {
        let ca = generate_ca("kubernetes").unwrap();
        let hosts = vec!["api.example.com".to_string(), "127.0.0.1".to_string()];
        let leaf = sign_server(&ca, &hosts).unwrap();
        let der = parse(&leaf.cert);
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        assert!(!cert.is_ca());
        let eku = cert.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.server_auth && !eku.client_auth);
        let sans = &cert.subject_alternative_name().unwrap().unwrap().value.general_names;
        assert!(sans.contains(&GeneralName::DNSName("api.example.com")));
        assert!(sans.contains(&GeneralName::IPAddress(&[127, 0, 0, 1])));
        let days = (cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp()) / 86_400;
        assert!((365..=367).contains(&days), "{days}");
        // Signed by the CA.
        let ca_der = parse(&ca.cert);
        let (_, ca_cert) = X509Certificate::from_der(&ca_der).unwrap();
        assert_eq!(cert.issuer(), ca_cert.subject());
        cert.verify_signature(Some(ca_cert.public_key())).unwrap();
    }

    #[test]
    fn client_cert_has_user_groups_and_client_auth() {
        let ca = generate_ca("kubernetes-client").unwrap();
        let leaf = sign_client(&ca, "admin", &["system:masters".to_string()], 30).unwrap();
        let der = parse(&leaf.cert);
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        let eku = cert.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.client_auth && !eku.server_auth);
        assert_eq!(cert.subject().iter_common_name().next().unwrap().as_str().unwrap(), "admin");
        assert_eq!(cert.subject().iter_organization().next().unwrap().as_str().unwrap(), "system:masters");
        let days = (cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp()) / 86_400;
        assert!((30..=32).contains(&days), "{days}");
        let ca_der = parse(&ca.cert);
        let (_, ca_cert) = X509Certificate::from_der(&ca_der).unwrap();
        cert.verify_signature(Some(ca_cert.public_key())).unwrap();
    }

    #[test]
    fn bad_ca_is_an_error() {
        let ca = CertPair { cert: "nope".into(), key: "nope".into() };
        assert!(sign_server(&ca, &["a".into()]).is_err());
        assert!(generate_service_account_key().unwrap().contains("PRIVATE KEY"));
    }
}
