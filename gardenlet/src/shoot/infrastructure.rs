//! The `Infrastructure` extension resource of a shoot in its seed namespace (Gardener's): the shoot's
//! `spec.provider.infrastructureConfig`, region and credentials, handed to the seed's provider extension, which
//! builds the network the machines live in and reports it in `status.providerStatus`; the Worker carries that
//! status on to the machine classes. The local provider needs no infrastructure (its machines are processes).
//!
//! The machines' SSH key pair (Gardener's `ssh-keypair` Secret in the seed namespace, keys `id_rsa` and
//! `id_rsa.pub` whatever the algorithm) is made here once, as ed25519, and its public half goes into the
//! Infrastructure, whose extension imports it as the cloud's key pair.

use base64::Engine;
use garden_api::core::v1beta1::Shoot;
use garden_api::extensions::v1alpha1::{Infrastructure, InfrastructureSpec};
use k8s_openapi::api::core::v1::{Secret, SecretReference};
use k8s_openapi::ByteString;
use kube::api::{Api, PostParams};
use kube::{Client, ResourceExt};
use ring::signature::KeyPair;

use crate::flow::Severe;
use crate::shoot::worker::CLOUD_PROVIDER_SECRET;

/// Whether the shoot's provider type builds an infrastructure (every type but `local`).
pub fn needed(shoot: &Shoot) -> bool {
    shoot.spec.provider.type_ != "local" && !shoot.spec.provider.workers.is_empty()
}

/// The Secret with the machines' SSH key pair.
pub const SSH_KEYPAIR_SECRET: &str = "ssh-keypair";
const PRIVATE_KEY: &str = "id_rsa";
const PUBLIC_KEY: &str = "id_rsa.pub";

/// A new ed25519 key pair: (PKCS#8 private key as PEM, OpenSSH public key line).
pub fn new_ssh_key_pair(comment: &str) -> anyhow::Result<(String, String)> {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 =
        ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| anyhow::anyhow!("key generation failed"))?;
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| anyhow::anyhow!("generated key does not parse"))?;
    // The OpenSSH wire form: string "ssh-ed25519", string <32-byte key>.
    let mut blob = Vec::new();
    for part in [b"ssh-ed25519".as_slice(), pair.public_key().as_ref()] {
        blob.extend_from_slice(&u32::try_from(part.len())?.to_be_bytes());
        blob.extend_from_slice(part);
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let public = format!("ssh-ed25519 {} {comment}\n", b64.encode(&blob));
    let body = b64.encode(pkcs8.as_ref());
    let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
    let private = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", lines.join("\n"));
    Ok((private, public))
}

/// The machines' SSH public key (OpenSSH line), from the `ssh-keypair` Secret, made first when missing.
pub async fn ensure_ssh_public_key(client: &Client, technical_id: &str) -> anyhow::Result<String> {
    let api: Api<Secret> = Api::namespaced(client.clone(), technical_id);
    if let Some(secret) = api.get_opt(SSH_KEYPAIR_SECRET).await? {
        if let Some(key) = secret.data.unwrap_or_default().get(PUBLIC_KEY) {
            return Ok(String::from_utf8(key.0.clone())?);
        }
    }
    let (private, public) = new_ssh_key_pair(technical_id)?;
    let secret = Secret {
        metadata: kube::api::ObjectMeta { name: Some(SSH_KEYPAIR_SECRET.into()), ..Default::default() },
        type_: Some("Opaque".into()),
        data: Some(
            [
                (PRIVATE_KEY.to_string(), ByteString(private.into_bytes())),
                (PUBLIC_KEY.to_string(), ByteString(public.clone().into_bytes())),
            ]
            .into(),
        ),
        ..Default::default()
    };
    match api.create(&PostParams::default(), &secret).await {
        Ok(_) => Ok(public),
        // Made concurrently (or a key-less Secret is in the way): the next reconcile reads it.
        Err(e) => Err(anyhow::anyhow!("cannot store the SSH key pair: {e}")),
    }
}

/// The Infrastructure the shoot asks for (named after the shoot, like Gardener's), with the machines' SSH
/// public key (OpenSSH line).
pub fn desired(shoot: &Shoot, technical_id: &str, ssh_public_key: &str) -> Infrastructure {
    let mut infra = Infrastructure {
        metadata: kube::api::ObjectMeta {
            name: Some(shoot.name_any()),
            namespace: Some(technical_id.to_string()),
            ..Default::default()
        },
        spec: InfrastructureSpec {
            type_: shoot.spec.provider.type_.clone(),
            provider_config: shoot.spec.provider.infrastructure_config.clone(),
            region: shoot.spec.region.clone(),
            secret_ref: SecretReference {
                name: Some(CLOUD_PROVIDER_SECRET.into()),
                namespace: Some(technical_id.to_string()),
            },
            ssh_public_key: Some(base64::engine::general_purpose::STANDARD.encode(ssh_public_key)),
        },
        ..Default::default()
    };
    infra.ensure_type_meta();
    infra
}

/// Creates the Infrastructure, or updates its spec when the shoot's changed.
pub async fn ensure(client: &Client, shoot: &Shoot, technical_id: &str) -> anyhow::Result<()> {
    let ssh_public_key = ensure_ssh_public_key(client, technical_id).await?;
    let api: Api<Infrastructure> = Api::namespaced(client.clone(), technical_id);
    let desired = desired(shoot, technical_id, &ssh_public_key);
    match api.get_opt(&shoot.name_any()).await? {
        None => {
            api.create(&PostParams::default(), &desired).await?;
        }
        Some(current) if current.spec != desired.spec => {
            let mut next = current.clone();
            next.spec = desired.spec;
            api.replace(&shoot.name_any(), &PostParams::default(), &next).await?;
        }
        Some(_) => {}
    }
    Ok(())
}

/// Error codes of an extension that waiting does not fix (Gardener's non-retryable codes): someone must act.
pub(crate) const SEVERE_CODES: [&str; 5] = [
    "ERR_INFRA_UNAUTHENTICATED",
    "ERR_INFRA_UNAUTHORIZED",
    "ERR_INFRA_QUOTA_EXCEEDED",
    "ERR_INFRA_DEPENDENCIES",
    "ERR_CONFIGURATION_PROBLEM",
];

/// The Infrastructure's `providerStatus` once the extension reported its current generation `Succeeded`; an
/// error with the extension's own description (and its error codes, which the shoot's lastErrors carry on)
/// otherwise. An error the extension reported at or after `since` with a code of [`SEVERE_CODES`] is a
/// [`Severe`] one (the flow stops waiting); an older one may already be retried with what changed since.
pub async fn provider_status(
    client: &Client,
    technical_id: &str,
    name: &str,
    since: jiff::Timestamp,
) -> anyhow::Result<serde_json::Value> {
    let api: Api<Infrastructure> = Api::namespaced(client.clone(), technical_id);
    let infra = api.get(name).await?;
    let generation = infra.metadata.generation.unwrap_or(0);
    let status = infra.status.unwrap_or_default();
    let op = status.last_operation.as_ref();
    if op.is_some_and(|o| o.state == "Succeeded") && status.observed_generation >= generation {
        if let Some(s) = status.provider_status.filter(|s| !s.is_null()) {
            return Ok(s);
        }
    }
    if let Some(e) = status.last_error.as_ref().filter(|_| op.is_some_and(|o| o.state != "Succeeded")) {
        let codes = if e.codes.is_empty() { String::new() } else { format!(" [{}]", e.codes.join(", ")) };
        let message = format!("Infrastructure {technical_id}/{name} failed{codes}: {}", e.description);
        let fresh = e.last_update_time.as_ref().is_some_and(|t| t.0 >= since);
        if fresh && e.codes.iter().any(|c| SEVERE_CODES.contains(&c.as_str())) {
            return Err(Severe(message).into());
        }
        anyhow::bail!(message)
    }
    match op.filter(|o| !o.description.is_empty()) {
        Some(o) => anyhow::bail!("Infrastructure {technical_id}/{name} is not ready: {}", o.description),
        None => anyhow::bail!(
            "Infrastructure {technical_id}/{name} is not ready: no provider extension on this seed has reconciled it yet"
        ),
    }
}

/// Deletes the Infrastructure and waits until the extension let it go (everything it built is gone).
pub async fn delete(client: &Client, technical_id: &str, name: &str) -> anyhow::Result<()> {
    let api: Api<Infrastructure> = Api::namespaced(client.clone(), technical_id);
    component_base::api::delete_if_exists(&api, name).await?;
    match api.get_opt(name).await? {
        None => Ok(()),
        Some(i) => {
            let status = i.status.unwrap_or_default();
            let detail = match (status.last_error, status.last_operation) {
                (Some(e), _) => e.description,
                (None, Some(o)) => o.description,
                (None, None) => String::new(),
            };
            anyhow::bail!("Infrastructure {technical_id}/{name} is still being deleted: {detail}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_keys_are_openssh_ed25519_lines_and_pkcs8_pem() {
        let (private, public) = new_ssh_key_pair("shoot--dev--a").unwrap();
        let mut parts = public.trim_end().split(' ');
        assert_eq!(parts.next(), Some("ssh-ed25519"));
        let blob = base64::engine::general_purpose::STANDARD.decode(parts.next().unwrap()).unwrap();
        assert_eq!(blob.len(), 4 + 11 + 4 + 32);
        assert_eq!(&blob[4..15], b"ssh-ed25519");
        assert_eq!(parts.next(), Some("shoot--dev--a"));
        assert!(private.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert_ne!(new_ssh_key_pair("x").unwrap().1, public, "every key pair is new");
    }
}
