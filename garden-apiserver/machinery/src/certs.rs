//! Certificates with rcgen: the garden CA, the serving certificate, client certificates, and the one place
//! that builds kubeconfigs.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};

/// A CA that can sign certificates.
pub struct Ca {
    pub cert_pem: String,
    key: KeyPair,
}

impl Ca {
    /// A CA from PEM material (e.g. a shoot's `ca-client` secret).
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> anyhow::Result<Ca> {
        Ok(Ca { cert_pem: cert_pem.to_string(), key: KeyPair::from_pem(key_pem).context("invalid CA key")? })
    }

    fn issuer(&self) -> anyhow::Result<Issuer<'_, &KeyPair>> {
        Issuer::from_ca_cert_pem(&self.cert_pem, &self.key).context("failed to parse CA certificate")
    }

    /// A client certificate for `user` in `groups` (CN = user, O = groups), valid for `validity`.
    pub fn client_cert(&self, user: &str, groups: &[String], validity: Duration) -> anyhow::Result<(String, String)> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, user);
        for g in groups {
            dn.push(DnType::OrganizationName, g.as_str());
        }
        params.distinguished_name = dn;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::minutes(1);
        params.not_after = now + validity;
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer()?)?;
        Ok((cert.pem(), key.serialize_pem()))
    }

    /// A serving certificate for `hosts` (DNS names or IPs).
    pub fn serving_cert(&self, hosts: &[String]) -> anyhow::Result<(String, String)> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        for h in hosts {
            params.subject_alt_names.push(match h.parse::<std::net::IpAddr>() {
                Ok(ip) => SanType::IpAddress(ip),
                Err(_) => SanType::DnsName(h.clone().try_into()?),
            });
        }
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "garden-apiserver");
        params.distinguished_name = dn;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::minutes(1);
        params.not_after = now + Duration::days(365);
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer()?)?;
        Ok((cert.pem(), key.serialize_pem()))
    }
}

/// Files of a certificate directory.
pub struct CertDir(pub PathBuf);

/// The names a generated serving certificate is for when nothing else is asked: loopback and the bind address.
pub fn default_hosts(bind_address: &str) -> Vec<String> {
    vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string(), bind_address.to_string()]
}

impl CertDir {
    pub fn ca_cert(&self) -> PathBuf {
        self.0.join("ca.crt")
    }
    pub fn ca_key(&self) -> PathBuf {
        self.0.join("ca.key")
    }
    pub fn serving_cert(&self) -> PathBuf {
        self.0.join("apiserver.crt")
    }
    pub fn serving_key(&self) -> PathBuf {
        self.0.join("apiserver.key")
    }

    /// Load the CA, creating it on first use.
    pub fn load_or_create_ca(&self) -> anyhow::Result<Ca> {
        if self.ca_cert().exists() && self.ca_key().exists() {
            return self.load_ca();
        }
        std::fs::create_dir_all(&self.0).with_context(|| format!("failed to create cert dir {}", self.0.display()))?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "garden-ca");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::minutes(1);
        params.not_after = now + Duration::days(3650);
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        write_private(&self.ca_key(), &key.serialize_pem())?;
        std::fs::write(self.ca_cert(), cert.pem())?;
        Ok(Ca { cert_pem: cert.pem(), key })
    }

    /// Load an existing CA (for minting kubeconfigs).
    pub fn load_ca(&self) -> anyhow::Result<Ca> {
        let cert_pem = std::fs::read_to_string(self.ca_cert())
            .with_context(|| format!("failed to read {}", self.ca_cert().display()))?;
        let key_pem = std::fs::read_to_string(self.ca_key())
            .with_context(|| format!("failed to read {}", self.ca_key().display()))?;
        Ok(Ca { cert_pem, key: KeyPair::from_pem(&key_pem)? })
    }

    /// Serving cert + key paths, generating them (signed by the CA) when absent.
    pub fn ensure_serving(&self, ca: &Ca, hosts: &[String]) -> anyhow::Result<(PathBuf, PathBuf)> {
        if !(self.serving_cert().exists() && self.serving_key().exists()) {
            let (cert, key) = ca.serving_cert(hosts)?;
            write_private(&self.serving_key(), &key)?;
            std::fs::write(self.serving_cert(), cert)?;
        }
        Ok((self.serving_cert(), self.serving_key()))
    }
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    write_private_bytes(path, contents.as_bytes())
}

/// Write a file only its owner can read.
pub fn write_private_bytes(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("failed to write {}", path.display()))?;
    f.write_all(contents)?;
    Ok(())
}

/// A kubeconfig with one cluster, one user (client cert) and one context, as YAML.
pub fn kubeconfig(cluster: &str, server: &str, ca_pem: &str, user: &str, cert_pem: &str, key_pem: &str) -> String {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let doc = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster, "cluster": {"server": server, "certificate-authority-data": b64(ca_pem)}}],
        "users": [{"name": user, "user": {"client-certificate-data": b64(cert_pem), "client-key-data": b64(key_pem)}}],
        "contexts": [{"name": format!("{user}@{cluster}"), "context": {"cluster": cluster, "user": user}}],
        "current-context": format!("{user}@{cluster}"),
        "preferences": {},
    });
    serde_yaml::to_string(&doc).unwrap_or_default()
}
