//! Gardener's `shoots/adminkubeconfig` and `shoots/viewerkubeconfig` subresources: short-lived kubeconfigs for a
//! shoot's API server.

use api_machinery::admission::Lookup;
use api_machinery::apiserver::now_rfc3339;
use api_machinery::certs;
use api_machinery::error::{ApiError, ApiResult, FieldError};
use api_machinery::handler::ReqCtx;
use api_machinery::registry::{Action, ResourceType};
use api_machinery::request::{json_response, parse_body, Body};
use futures::future::BoxFuture;
use http::Response;
use serde_json::{json, Value};

use crate::rbac::SHOOT_VIEWERS_GROUP;

/// The shoot kubeconfig subresources, as [`Action`]s of the Shoot kind.
pub const ACTIONS: &[Action] = &[
    Action {
        subresource: "adminkubeconfig",
        group: "authentication.gardener.cloud",
        version: "v1alpha1",
        kind: "AdminKubeconfigRequest",
        create,
    },
    Action {
        subresource: "viewerkubeconfig",
        group: "authentication.gardener.cloud",
        version: "v1alpha1",
        kind: "AdminKubeconfigRequest",
        create,
    },
];

fn create<'a>(c: &'a ReqCtx, rt: &'a ResourceType, body: &'a [u8]) -> BoxFuture<'a, ApiResult<Response<Body>>> {
    Box::pin(shoot_kubeconfig(c, rt, body))
}

/// `POST shoots/{name}/adminkubeconfig` (and `viewerkubeconfig`): a kubeconfig for the shoot's API server with a
/// client certificate signed by the shoot's client CA (secret `ca-client` in the shoot's seed namespace, which
/// only the API server and the gardenlet can read), valid for `spec.expirationSeconds` (default 1 hour).
async fn shoot_kubeconfig(c: &ReqCtx, rt: &ResourceType, body: &[u8]) -> ApiResult<Response<Body>> {
    use base64::Engine;
    let kind = "AdminKubeconfigRequest";
    let group = "authentication.gardener.cloud";
    let req = parse_body(&c.content_type, body)?;
    let expiration = req.pointer("/spec/expirationSeconds").and_then(Value::as_i64).unwrap_or(3600);
    if !(600..=86_400).contains(&expiration) {
        return Err(ApiError::invalid(
            group,
            kind,
            &c.info.name,
            &[FieldError::invalid(
                "spec.expirationSeconds",
                &json!(expiration),
                "must be between 600 (10 minutes) and 86400 (1 day)",
            )],
        ));
    }
    let shoot = c.srv.get(rt, &c.info.namespace, &c.info.name).await?;
    let not_ready = || ApiError::bad_request(format!("shoot {:?} has no running control plane yet", c.info.name));
    let technical_id = shoot.pointer("/status/technicalID").and_then(Value::as_str).ok_or_else(not_ready)?;
    let server = shoot
        .pointer("/status/advertisedAddresses")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().find_map(|x| x.get("url").and_then(Value::as_str)))
        .ok_or_else(not_ready)?
        .to_string();
    let data = |name: &str, key: &str| -> ApiResult<String> {
        // The seed namespace's CA secrets: in this server's store, or the garden kube-apiserver's when aggregated.
        let secret = Lookup::get(c.srv.as_ref(), "", "secrets", technical_id, name).ok_or_else(not_ready)?;
        let b64 = secret.get("data").and_then(|d| d.get(key)).and_then(Value::as_str).map(str::to_string);
        let b64 = b64.ok_or_else(not_ready)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| ApiError::internal("secret data is not base64"))?;
        String::from_utf8(bytes).map_err(|_| ApiError::internal("secret data is not UTF-8"))
    };
    let client_ca = certs::Ca::from_pem(&data("ca-client", "ca.crt")?, &data("ca-client", "ca.key")?)
        .map_err(|e| ApiError::internal(format!("client CA unusable: {e}")))?;
    let cluster_ca = data("ca", "ca.crt")?;
    let groups = if c.info.subresource == "adminkubeconfig" {
        vec!["system:masters".to_string()]
    } else {
        vec![SHOOT_VIEWERS_GROUP.to_string()]
    };
    let (cert, key) = client_ca
        .client_cert(&c.user.name, &groups, time::Duration::seconds(expiration))
        .map_err(|e| ApiError::internal(format!("failed to sign client certificate: {e}")))?;
    let cluster = format!("{}--{}", c.info.namespace.trim_start_matches("garden-"), c.info.name);
    let kubeconfig = certs::kubeconfig(&cluster, &server, &cluster_ca, &c.user.name, &cert, &key);
    let now = jiff::Timestamp::now();
    let exp = jiff::Timestamp::from_second(now.as_second() + expiration).map(|t| t.to_string()).unwrap_or_default();
    let out = json!({
        "kind": kind, "apiVersion": format!("{group}/v1alpha1"),
        "metadata": {"name": c.info.name, "namespace": c.info.namespace, "creationTimestamp": now_rfc3339()},
        "spec": {"expirationSeconds": expiration},
        "status": {"kubeconfig": base64::engine::general_purpose::STANDARD.encode(kubeconfig), "expirationTimestamp": exp},
    });
    Ok(json_response(201, &out, &[]))
}
