//! Kubeconfigs: the session's (one context per targeted level: garden, seed, shoot, control plane), shoot
//! kubeconfigs requested from `shoots/adminkubeconfig` or `shoots/viewerkubeconfig` and cached until shortly before
//! they expire, and `kubectl config view`'s transformations (redact, minify, flatten).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine as _;
use garden_api::core::v1beta1::Shoot;
use kube::api::{Api, PostParams};
use kube::config::Kubeconfig;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::cli::AccessLevel;
use crate::garden::{self, is_forbidden, Garden};
use crate::{config, files};

/// Lifetime asked for shoot kubeconfigs.
const SHOOT_KUBECONFIG_SECONDS: i64 = 3600;
/// A cached shoot kubeconfig is used until this long before it expires.
const RENEW_BEFORE: Duration = Duration::from_secs(300);

/// Context names in session kubeconfigs.
pub fn shoot_context(project: &str, shoot: &str) -> String {
    format!("shoot--{project}--{shoot}")
}

pub fn control_plane_context(project: &str, shoot: &str) -> String {
    format!("shoot--{project}--{shoot}--control-plane")
}

pub fn seed_context(seed: &str) -> String {
    format!("seed-{seed}")
}

/// `base` (a single-context kubeconfig) renamed `name`, its context's namespace set to `namespace`.
pub fn renamed(base: &Kubeconfig, name: &str, namespace: Option<&str>) -> Kubeconfig {
    let mut k = base.clone();
    for c in &mut k.clusters {
        c.name = name.to_string();
    }
    for a in &mut k.auth_infos {
        a.name = name.to_string();
    }
    for c in &mut k.contexts {
        c.name = name.to_string();
        if let Some(ctx) = c.context.as_mut() {
            ctx.cluster = name.to_string();
            ctx.user = Some(name.to_string());
            if let Some(ns) = namespace {
                ctx.namespace = Some(ns.to_string());
            }
        }
    }
    k.current_context = Some(name.to_string());
    k
}

/// Several single-context kubeconfigs in one, `current` the current context.
pub fn merge(parts: Vec<Kubeconfig>, current: &str) -> Kubeconfig {
    let mut out = Kubeconfig { api_version: Some("v1".into()), kind: Some("Config".into()), ..Default::default() };
    for p in parts {
        out.clusters.extend(p.clusters);
        out.auth_infos.extend(p.auth_infos);
        out.contexts.extend(p.contexts);
    }
    out.current_context = Some(current.to_string());
    out
}

/// Only the current context and the cluster and user it names.
pub fn minify(k: &Kubeconfig) -> Result<Kubeconfig> {
    let current = k.current_context.clone().context("the kubeconfig has no current context")?;
    let ctx = k.contexts.iter().find(|c| c.name == current).context("the current context is missing")?;
    let (cluster, user) =
        ctx.context.as_ref().map(|c| (c.cluster.clone(), c.user.clone().unwrap_or_default())).unwrap_or_default();
    let mut out = k.clone();
    out.contexts.retain(|c| c.name == current);
    out.clusters.retain(|c| c.name == cluster);
    out.auth_infos.retain(|a| a.name == user);
    Ok(out)
}

/// The files the kubeconfig names, inlined.
pub fn flatten(k: &Kubeconfig) -> Result<Kubeconfig> {
    let read = |path: &str| std::fs::read(path).with_context(|| format!("reading {path}, named by the kubeconfig"));
    let b64 = |bytes: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = k.clone();
    for c in out.clusters.iter_mut().filter_map(|c| c.cluster.as_mut()) {
        if let Some(path) = c.certificate_authority.take() {
            c.certificate_authority_data = Some(b64(read(&path)?));
        }
    }
    for a in out.auth_infos.iter_mut().filter_map(|a| a.auth_info.as_mut()) {
        if let Some(path) = a.client_certificate.take() {
            a.client_certificate_data = Some(b64(read(&path)?));
        }
        if let Some(path) = a.client_key.take() {
            a.client_key_data = Some(SecretString::from(b64(read(&path)?)));
        }
        if let Some(path) = a.token_file.take() {
            let token = String::from_utf8(read(&path)?).context("the token file is not UTF-8")?;
            a.token = Some(SecretString::from(token.trim().to_string()));
        }
    }
    Ok(out)
}

/// Secrets replaced the way `kubectl config view` does (`DATA+OMITTED`, `REDACTED`).
pub fn redact(k: &Kubeconfig) -> Kubeconfig {
    let mut out = k.clone();
    let omitted = || "DATA+OMITTED".to_string();
    for c in out.clusters.iter_mut().filter_map(|c| c.cluster.as_mut()) {
        if c.certificate_authority_data.is_some() {
            c.certificate_authority_data = Some(omitted());
        }
    }
    for a in out.auth_infos.iter_mut().filter_map(|a| a.auth_info.as_mut()) {
        if a.client_certificate_data.is_some() {
            a.client_certificate_data = Some(omitted());
        }
        if a.client_key_data.is_some() {
            a.client_key_data = Some(SecretString::from(omitted()));
        }
        if a.token.is_some() {
            a.token = Some(SecretString::from("REDACTED".to_string()));
        }
        if a.password.is_some() {
            a.password = Some(SecretString::from("REDACTED".to_string()));
        }
    }
    out
}

/// YAML of a kubeconfig.
pub fn to_yaml(k: &Kubeconfig) -> Result<String> {
    Ok(serde_yaml::to_string(k)?)
}

/// A shoot kubeconfig as cached on disk.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cached {
    expiration_timestamp: String,
    kubeconfig: String,
}

/// Which kubeconfig a shoot got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granted {
    Admin,
    Viewer,
}

impl Granted {
    fn subresource(self) -> &'static str {
        match self {
            Granted::Admin => "adminkubeconfig",
            Granted::Viewer => "viewerkubeconfig",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Granted::Admin => "admin",
            Granted::Viewer => "viewer",
        }
    }
}

/// The shoot's kubeconfig at `level` (from the cache while it is fresh), reduced to its current context.
pub async fn shoot(garden: &Garden, shoot: &Shoot, level: AccessLevel) -> Result<(Kubeconfig, Granted)> {
    let ns = shoot.metadata.namespace.clone().unwrap_or_default();
    let name = shoot.metadata.name.clone().unwrap_or_default();
    let order: &[Granted] = match level {
        AccessLevel::Admin => &[Granted::Admin],
        AccessLevel::Viewer => &[Granted::Viewer],
        AccessLevel::Auto => &[Granted::Admin, Granted::Viewer],
    };
    let mut refusals = Vec::new();
    for &granted in order {
        let cache = cache_path(garden, &ns, &name, granted);
        let text = match fresh_cached(&cache) {
            Some(text) => text,
            None => match request(garden, &ns, &name, granted).await {
                Ok((text, expires)) => {
                    let cached = Cached { expiration_timestamp: expires, kubeconfig: text.clone() };
                    files::write_private(&cache, serde_json::to_string(&cached)?.as_bytes())?;
                    text
                }
                Err(e) if is_forbidden(&e) => {
                    refusals.push(format!("you may not create shoots/{} of {ns}/{name}", granted.subresource()));
                    continue;
                }
                Err(e) => {
                    let what = format!("requesting the {} kubeconfig of shoot {ns}/{name}", granted.name());
                    return Err(garden.error(e, &what));
                }
            },
        };
        if !refusals.is_empty() {
            eprintln!("note: {}; using a viewer kubeconfig (read-only)", refusals.join("; "));
        }
        return Ok((parse_shoot_kubeconfig(&text)?, granted));
    }
    bail!(
        "{} (ask a project admin for access; --access-level {} chooses the kind)",
        refusals.join("; "),
        if level == AccessLevel::Viewer { "admin|auto" } else { "viewer" }
    )
}

fn parse_shoot_kubeconfig(text: &str) -> Result<Kubeconfig> {
    let k =
        Kubeconfig::from_yaml(text).map_err(|e| anyhow!("the shoot kubeconfig the garden returned is invalid: {e}"))?;
    garden::reduce(&k, None, "shoot")
}

async fn request(garden: &Garden, ns: &str, name: &str, granted: Granted) -> Result<(String, String), kube::Error> {
    let api: Api<Shoot> = Api::namespaced(garden.client.clone(), ns);
    let body = json!({
        "apiVersion": "authentication.gardener.cloud/v1alpha1",
        "kind": "AdminKubeconfigRequest",
        "spec": {"expirationSeconds": SHOOT_KUBECONFIG_SECONDS},
    });
    let resp: serde_json::Value =
        api.create_subresource(granted.subresource(), name, &PostParams::default(), &body).await?;
    let encoded = resp["status"]["kubeconfig"].as_str().unwrap_or_default();
    let text = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    let expires = resp["status"]["expirationTimestamp"].as_str().unwrap_or_default().to_string();
    Ok((text, expires))
}

/// `$GCTL_HOME/cache/kubeconfigs/<garden>-<hash of the garden credentials>/<ns>/<shoot>/<admin|viewer>.json`: a
/// garden entry pointed at other credentials never reuses what the first ones were given.
fn cache_path(garden: &Garden, ns: &str, name: &str, granted: Granted) -> PathBuf {
    use sha2::Digest;
    let identity = serde_json::to_vec(&garden.kubeconfig).unwrap_or_default();
    let hash = sha2::Sha256::digest(&identity);
    let short: String = hash.iter().take(6).map(|b| format!("{b:02x}")).collect();
    config::home()
        .join("cache/kubeconfigs")
        .join(format!("{}-{short}", garden.identity))
        .join(ns)
        .join(name)
        .join(format!("{}.json", granted.name()))
}

fn fresh_cached(path: &std::path::Path) -> Option<String> {
    let cached: Cached = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let expires: jiff::Timestamp = cached.expiration_timestamp.parse().ok()?;
    let renew_at = expires.checked_sub(jiff::SignedDuration::try_from(RENEW_BEFORE).ok()?).ok()?;
    (jiff::Timestamp::now() < renew_at).then_some(cached.kubeconfig)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn sample() -> Kubeconfig {
        Kubeconfig::from_yaml(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\n    \
             certificate-authority-data: Q0E=\nusers:\n- name: u\n  user:\n    token: secret-token\n    \
             client-key-data: S0VZ\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n\
             - name: other\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\n",
        )
        .unwrap()
    }

    #[test]
    fn redaction_hides_every_secret() {
        let text = to_yaml(&redact(&sample())).unwrap();
        assert!(!text.contains("secret-token") && !text.contains("S0VZ") && !text.contains("Q0E="), "{text}");
        assert!(text.contains("REDACTED") && text.contains("DATA+OMITTED"), "{text}");
    }

    #[test]
    fn merge_minify_and_rename() {
        let a = renamed(&garden::reduce(&sample(), None, "a").unwrap(), "garden-local", Some("garden-dev"));
        let b = renamed(&garden::reduce(&sample(), Some("other"), "b").unwrap(), "shoot--dev--web", None);
        let merged = merge(vec![a, b], "shoot--dev--web");
        assert_eq!(merged.contexts.len(), 2);
        assert_eq!(merged.contexts[0].context.as_ref().unwrap().namespace.as_deref(), Some("garden-dev"));
        let min = minify(&merged).unwrap();
        assert_eq!(min.contexts.len(), 1);
        assert_eq!(min.clusters[0].name, "shoot--dev--web");
        assert_eq!(
            min.auth_infos[0].auth_info.as_ref().unwrap().token.as_ref().unwrap().expose_secret(),
            "secret-token"
        );
    }

    #[test]
    fn flatten_inlines_files() {
        let dir = std::env::temp_dir().join(format!("gardenctl-kc-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ca.crt"), "CA").unwrap();
        std::fs::write(dir.join("token"), "tok\n").unwrap();
        let mut k = sample();
        let cluster = k.clusters[0].cluster.as_mut().unwrap();
        cluster.certificate_authority_data = None;
        cluster.certificate_authority = Some(dir.join("ca.crt").display().to_string());
        let user = k.auth_infos[0].auth_info.as_mut().unwrap();
        user.token = None;
        user.token_file = Some(dir.join("token").display().to_string());
        let flat = flatten(&k).unwrap();
        assert_eq!(flat.clusters[0].cluster.as_ref().unwrap().certificate_authority_data.as_deref(), Some("Q0E="));
        assert_eq!(flat.auth_infos[0].auth_info.as_ref().unwrap().token.as_ref().unwrap().expose_secret(), "tok");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
