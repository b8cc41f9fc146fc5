//! Bootstrap tokens in a shoot (kube's `bootstrap.kubernetes.io/token` Secrets in `kube-system`): each
//! machine gets its own, put into its user data for `<<BOOTSTRAP_TOKEN>>`. The token ID derives from the
//! machine name, so a controller restarted mid-create finds the same token again. Node agents of this
//! product keep using the token as their credential (a kubelet would trade it for a certificate), so it
//! lives as long as its machine and is deleted with it.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, PostParams};
use kube::Client;
use rand::Rng;
use sha2::{Digest, Sha256};

/// Namespace of bootstrap token Secrets.
pub const NAMESPACE: &str = "kube-system";
/// The group, besides `system:bootstrappers`, that tokens of machines carry; the shoot's bootstrap policy
/// lets it register nodes and renew their leases.
pub const GROUP: &str = "system:bootstrappers:machine-controller";

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// The token ID of a machine: 6 characters of `[a-z0-9]` from a hash of its namespace and name.
pub fn token_id(namespace: &str, machine: &str) -> String {
    let digest = Sha256::digest(format!("{namespace}/{machine}").as_bytes());
    digest.iter().take(6).map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect()
}

fn secret_name(id: &str) -> String {
    format!("bootstrap-token-{id}")
}

fn random_secret() -> String {
    let mut rng = rand::rng();
    (0..16).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

fn token_of(secret: &Secret) -> Option<String> {
    let data = secret.data.as_ref()?;
    let get = |k: &str| data.get(k).and_then(|v| String::from_utf8(v.0.clone()).ok());
    Some(format!("{}.{}", get("token-id")?, get("token-secret")?))
}

/// The machine's bootstrap token (`<id>.<secret>`), created in the shoot when missing.
pub async fn ensure(shoot: &Client, namespace: &str, machine: &str) -> Result<String, kube::Error> {
    let api: Api<Secret> = Api::namespaced(shoot.clone(), NAMESPACE);
    let id = token_id(namespace, machine);
    // Created first (a new machine's token does not exist yet); an existing one is read on the conflict.
    let token_secret = random_secret();
    let data: BTreeMap<String, String> = [
        ("token-id", id.as_str()),
        ("token-secret", token_secret.as_str()),
        ("usage-bootstrap-authentication", "true"),
        ("usage-bootstrap-signing", "true"),
        ("auth-extra-groups", GROUP),
        ("description", &format!("node agent of machine {machine}")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let secret = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(secret_name(&id)),
            namespace: Some(NAMESPACE.into()),
            labels: Some([("machine.sapcloud.io/machine".to_string(), machine.to_string())].into()),
            ..Default::default()
        },
        type_: Some("bootstrap.kubernetes.io/token".into()),
        string_data: Some(data),
        ..Default::default()
    };
    match api.create(&PostParams::default(), &secret).await {
        Ok(_) => Ok(format!("{id}.{token_secret}")),
        Err(e) if component_base::api::is_status(&e, 409) => {
            let existing = api.get(&secret_name(&id)).await?;
            token_of(&existing).ok_or(e)
        }
        Err(e) => Err(e),
    }
}

/// Deletes the machine's bootstrap token (gone already is fine).
pub async fn delete(shoot: &Client, namespace: &str, machine: &str) -> Result<(), kube::Error> {
    let api: Api<Secret> = Api::namespaced(shoot.clone(), NAMESPACE);
    component_base::api::delete_if_exists(&api, &secret_name(&token_id(namespace, machine))).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_ids_are_stable_and_well_formed() {
        let a = token_id("shoot--dev--a", "m-1");
        assert_eq!(a, token_id("shoot--dev--a", "m-1"));
        assert_ne!(a, token_id("shoot--dev--a", "m-2"));
        assert_eq!(a.len(), 6);
        assert!(a.bytes().all(|b| ALPHABET.contains(&b)));
        let s = random_secret();
        assert_eq!(s.len(), 16);
        assert!(s.bytes().all(|b| ALPHABET.contains(&b)));
    }
}
