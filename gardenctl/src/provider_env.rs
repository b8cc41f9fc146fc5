//! The targeted shoot's cloud credentials as environment variables the cloud's own CLI reads (aws, openstack),
//! read from the Secret its CredentialsBinding (or SecretBinding) names, with the caller's own permissions.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use garden_api::core::v1beta1::{CloudProfile, SecretBinding, Shoot};
use garden_api::provider::openstack::v1alpha1::CloudProfileConfig;
use garden_api::security::v1alpha1::CredentialsBinding;
use k8s_openapi::api::core::v1::Secret;
use kube::api::Api;

use crate::garden::Garden;

/// Every variable a provider may set (what `-u` removes).
pub fn variables(provider: &str) -> Result<&'static [&'static str]> {
    Ok(match provider {
        "aws" => &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"],
        "openstack" => &[
            "OS_AUTH_URL",
            "OS_IDENTITY_API_VERSION",
            "OS_AUTH_TYPE",
            "OS_REGION_NAME",
            "OS_PROJECT_NAME",
            "OS_PROJECT_DOMAIN_NAME",
            "OS_USER_DOMAIN_NAME",
            "OS_USERNAME",
            "OS_PASSWORD",
            "OS_APPLICATION_CREDENTIAL_ID",
            "OS_APPLICATION_CREDENTIAL_NAME",
            "OS_APPLICATION_CREDENTIAL_SECRET",
        ],
        "local" => bail!("shoots of provider local need no cloud credentials: their machines are local processes"),
        other => bail!("provider-env knows providers aws and openstack, not '{other}'"),
    })
}

/// The variables for `shoot`, in [`variables`] order.
pub async fn values(garden: &Garden, shoot: &Shoot) -> Result<Vec<(&'static str, String)>> {
    let provider = shoot.spec.provider.type_.as_str();
    variables(provider)?;
    let data = credentials(garden, shoot).await?;
    let get = |key: &str| data.get(key).cloned().unwrap_or_default();
    let region = shoot.spec.region.clone();
    let mut out = Vec::new();
    match provider {
        "aws" => {
            for (var, key) in [("AWS_ACCESS_KEY_ID", "accessKeyID"), ("AWS_SECRET_ACCESS_KEY", "secretAccessKey")] {
                if get(key).is_empty() {
                    bail!("the shoot's credentials lack '{key}'");
                }
                out.push((var, get(key)));
            }
            out.push(("AWS_DEFAULT_REGION", region));
        }
        _ => {
            let auth_url = match get("authURL") {
                url if !url.is_empty() => url,
                _ => keystone_url(garden, shoot).await?,
            };
            out.push(("OS_AUTH_URL", auth_url));
            out.push(("OS_IDENTITY_API_VERSION", "3".into()));
            let app_id = get("applicationCredentialID");
            let app_name = get("applicationCredentialName");
            if !app_id.is_empty() || !app_name.is_empty() {
                out.push(("OS_AUTH_TYPE", "v3applicationcredential".into()));
                out.push(("OS_REGION_NAME", region));
                if !app_id.is_empty() {
                    out.push(("OS_APPLICATION_CREDENTIAL_ID", app_id));
                } else {
                    out.push(("OS_USERNAME", get("username")));
                    out.push(("OS_USER_DOMAIN_NAME", get("domainName")));
                    out.push(("OS_APPLICATION_CREDENTIAL_NAME", app_name));
                }
                out.push(("OS_APPLICATION_CREDENTIAL_SECRET", get("applicationCredentialSecret")));
            } else {
                for key in ["domainName", "tenantName", "username", "password"] {
                    if get(key).is_empty() {
                        bail!("the shoot's credentials lack '{key}'");
                    }
                }
                out.push(("OS_AUTH_TYPE", "password".into()));
                out.push(("OS_REGION_NAME", region));
                out.push(("OS_PROJECT_NAME", get("tenantName")));
                out.push(("OS_PROJECT_DOMAIN_NAME", get("domainName")));
                out.push(("OS_USER_DOMAIN_NAME", get("domainName")));
                out.push(("OS_USERNAME", get("username")));
                out.push(("OS_PASSWORD", get("password")));
            }
        }
    }
    Ok(out)
}

/// The data of the shoot's credentials Secret (decoded), read as the caller.
async fn credentials(garden: &Garden, shoot: &Shoot) -> Result<BTreeMap<String, String>> {
    let ns = shoot.metadata.namespace.clone().unwrap_or_default();
    let client = garden.client.clone();
    let (secret_ns, secret_name) = if let Some(binding) = shoot.spec.credentials_binding_name.as_deref() {
        let api: Api<CredentialsBinding> = Api::namespaced(client.clone(), &ns);
        let b = api
            .get(binding)
            .await
            .map_err(|e| garden.error(e, &format!("reading CredentialsBinding {ns}/{binding}")))?;
        let r = b.credentials_ref;
        if r.kind.as_deref() != Some("Secret") {
            bail!("CredentialsBinding {ns}/{binding} refers to a {}, not a Secret", r.kind.unwrap_or_default());
        }
        (r.namespace.unwrap_or_else(|| ns.clone()), r.name.unwrap_or_default())
    } else if let Some(binding) = shoot.spec.secret_binding_name.as_deref() {
        let api: Api<SecretBinding> = Api::namespaced(client.clone(), &ns);
        let b =
            api.get(binding).await.map_err(|e| garden.error(e, &format!("reading SecretBinding {ns}/{binding}")))?;
        (b.secret_ref.namespace.unwrap_or_else(|| ns.clone()), b.secret_ref.name.unwrap_or_default())
    } else {
        bail!(
            "shoot {ns}/{} names no credentials (neither credentialsBindingName nor secretBindingName)",
            shoot.metadata.name.as_deref().unwrap_or_default()
        );
    };
    let api: Api<Secret> = Api::namespaced(client, &secret_ns);
    let secret = api
        .get(&secret_name)
        .await
        .map_err(|e| garden.error(e, &format!("reading the shoot's credentials (Secret {secret_ns}/{secret_name})")))?;
    let mut out = BTreeMap::new();
    for (k, v) in secret.data.unwrap_or_default() {
        out.insert(k, String::from_utf8(v.0).with_context(|| "a credential is not UTF-8")?);
    }
    for (k, v) in secret.string_data.unwrap_or_default() {
        out.insert(k, v);
    }
    Ok(out)
}

/// The Keystone URL the shoot's CloudProfile gives for its region.
async fn keystone_url(garden: &Garden, shoot: &Shoot) -> Result<String> {
    let name = shoot
        .spec
        .cloud_profile
        .as_ref()
        .map(|r| r.name.clone())
        .or_else(|| shoot.spec.cloud_profile_name.clone())
        .context("the credentials lack 'authURL' and the shoot names no CloudProfile")?;
    let api: Api<CloudProfile> = Api::all(garden.client.clone());
    let profile = api.get(&name).await.map_err(|e| garden.error(e, &format!("reading CloudProfile {name}")))?;
    let config: CloudProfileConfig = profile
        .spec
        .provider_config
        .map(serde_json::from_value)
        .transpose()
        .with_context(|| format!("CloudProfile {name}: providerConfig"))?
        .unwrap_or_default();
    config.keystone_url_for(&shoot.spec.region).map(str::to_string).with_context(|| {
        format!(
            "neither the credentials ('authURL') nor CloudProfile {name} give a Keystone URL for region {}",
            shoot.spec.region
        )
    })
}
