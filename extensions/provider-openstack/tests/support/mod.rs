//! The local OpenStack the tests run against: `hack/openstack.sh up` writes its credentials to
//! `$GARDEN_OPENSTACK_ENV` (default `${TMPDIR:-/tmp}/garden-openstack/env`).

use std::collections::BTreeMap;

use provider_openstack::client::Credentials;

pub fn env() -> BTreeMap<String, String> {
    let path = std::env::var("GARDEN_OPENSTACK_ENV").unwrap_or_else(|_| {
        format!("{}/garden-openstack/env", std::env::var("TMPDIR").unwrap_or_else(|_| "/tmp".into()))
    });
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}: start the local OpenStack first (hack/openstack.sh up)"));
    text.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The tenant's secret as Gardener's provider-openstack reads it, with `password` and extra keys.
pub fn secret(env: &BTreeMap<String, String>, password: &str, extra: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
    [
        ("authURL", env["OS_AUTH_URL"].as_str()),
        ("domainName", env["OS_DOMAIN_NAME"].as_str()),
        ("tenantName", env["OS_PROJECT_NAME"].as_str()),
        ("username", env["OS_USERNAME"].as_str()),
        ("password", password),
    ]
    .into_iter()
    .chain(extra.iter().copied())
    .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
    .collect()
}

pub fn credentials(env: &BTreeMap<String, String>, password: &str) -> Credentials {
    Credentials::from_secret(&secret(env, password, &[]), None).unwrap()
}
