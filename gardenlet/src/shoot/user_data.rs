//! The user data of a shoot's machines (the Secret `worker-user-data`, one for every pool), with the
//! `<<BOOTSTRAP_TOKEN>>` placeholder the machine controller fills per machine.
//!
//! - `local`: the node agent's kubeconfig (a bootstrap-token kubeconfig for the shoot API);
//! - every cloud provider: a cloud-init `#cloud-config` that joins the VM as a kubelet: the bootstrap kubeconfig
//!   (the same token kubeconfig), the cluster CA, a KubeletConfiguration and a systemd unit; on first boot it
//!   fetches the kubelet of the shoot's version from dl.k8s.io and starts it (containerd must be in the image).
//!   The kubelet then asks for its client certificate with the token (TLS bootstrapping).
//!
//! A VM can only join an API server it can reach: the process runtime's control planes listen on the seed's
//! loopback, so on these machines nodes stay simulated (docs/architecture.md).

use crate::runtime::kubernetes::token_kubeconfig_yaml;
use machine_driver::BOOTSTRAP_TOKEN_PLACEHOLDER;

/// Where the kubelet's files live on the VM.
const KUBELET_DIR: &str = "/var/lib/kubelet";

/// The user data for machines of `provider_type` joining the API server at `url` (serving with `ca_pem`).
pub fn user_data(provider_type: &str, url: &str, ca_pem: &str, kubernetes_version: &str) -> String {
    let kubeconfig = token_kubeconfig_yaml(url, ca_pem, BOOTSTRAP_TOKEN_PLACEHOLDER);
    if provider_type == "local" {
        return kubeconfig;
    }
    cloud_config(&kubeconfig, ca_pem, kubernetes_version)
}

/// `text` as a YAML block scalar body indented by `indent` spaces.
fn block(text: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    text.lines().map(|l| if l.is_empty() { String::new() } else { format!("{pad}{l}") }).collect::<Vec<_>>().join("\n")
}

fn cloud_config(bootstrap_kubeconfig: &str, ca_pem: &str, kubernetes_version: &str) -> String {
    let version = format!("v{}", kubernetes_version.trim_start_matches('v'));
    let kubelet_config = format!(
        "apiVersion: kubelet.config.k8s.io/v1beta1\n\
         kind: KubeletConfiguration\n\
         authentication:\n  anonymous:\n    enabled: false\n  webhook:\n    enabled: true\n  x509:\n    clientCAFile: {KUBELET_DIR}/ca.crt\n\
         authorization:\n  mode: Webhook\n\
         cgroupDriver: systemd\n\
         rotateCertificates: true\n\
         serverTLSBootstrap: true\n\
         containerRuntimeEndpoint: unix:///run/containerd/containerd.sock\n"
    );
    let unit = format!(
        "[Unit]\n\
         Description=kubelet (joined by the garden's machine controller)\n\
         After=containerd.service\n\
         Wants=containerd.service\n\
         [Service]\n\
         ExecStart=/opt/bin/kubelet --bootstrap-kubeconfig={KUBELET_DIR}/bootstrap-kubeconfig --kubeconfig={KUBELET_DIR}/kubeconfig --config={KUBELET_DIR}/config.yaml --cloud-provider=external\n\
         Restart=always\n\
         RestartSec=5\n\
         [Install]\n\
         WantedBy=multi-user.target\n"
    );
    let fetch = format!(
        "curl -fsSL --retry 5 -o /opt/bin/kubelet https://dl.k8s.io/release/{version}/bin/linux/$(dpkg --print-architecture 2>/dev/null || echo amd64)/kubelet && chmod 0755 /opt/bin/kubelet"
    );
    format!(
        "#cloud-config\n\
         write_files:\n\
         - path: {KUBELET_DIR}/bootstrap-kubeconfig\n  permissions: \"0600\"\n  content: |\n{}\n\
         - path: {KUBELET_DIR}/ca.crt\n  permissions: \"0644\"\n  content: |\n{}\n\
         - path: {KUBELET_DIR}/config.yaml\n  permissions: \"0644\"\n  content: |\n{}\n\
         - path: /etc/systemd/system/kubelet.service\n  permissions: \"0644\"\n  content: |\n{}\n\
         runcmd:\n\
         - [mkdir, -p, /opt/bin]\n\
         - [sh, -c, {}]\n\
         - [systemctl, daemon-reload]\n\
         - [systemctl, enable, --now, kubelet.service]\n",
        block(bootstrap_kubeconfig, 4),
        block(ca_pem, 4),
        block(&kubelet_config, 4),
        block(&unit, 4),
        serde_json::to_string(&fetch).unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const CA: &str = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";

    #[test]
    fn local_machines_get_the_token_kubeconfig_and_cloud_machines_a_cloud_config_with_it() {
        let local = user_data("local", "https://127.0.0.1:6443", CA, "1.33.2");
        assert!(local.contains(BOOTSTRAP_TOKEN_PLACEHOLDER) && !local.starts_with("#cloud-config"));
        let aws = user_data("aws", "https://api.example:443", CA, "1.33.2");
        assert!(aws.starts_with("#cloud-config\n"));
        assert!(aws.contains(BOOTSTRAP_TOKEN_PLACEHOLDER));
        assert!(aws.contains("https://dl.k8s.io/release/v1.33.2/bin/linux/"));
        // Valid YAML, whose files carry the kubeconfig and CA verbatim.
        let doc: serde_yaml::Value = serde_yaml::from_str(&aws).unwrap();
        let files = doc["write_files"].as_sequence().unwrap();
        let kubeconfig = user_data("local", "https://api.example:443", CA, "1.33.2");
        assert_eq!(files[0]["content"].as_str().unwrap().trim_end(), kubeconfig.trim_end());
        assert_eq!(files[1]["content"].as_str().unwrap(), CA);
        assert_eq!(doc["runcmd"].as_sequence().unwrap().len(), 4);
    }

    /// cloud-init's own schema check (Debian's `cloud-init` package; hack/test.sh installs it).
    #[test]
    fn the_cloud_config_passes_cloud_inits_schema_check() {
        let out = std::process::Command::new("cloud-init").arg("--version").output();
        assert!(
            out.is_ok_and(|o| o.status.success()),
            "cloud-init is not installed: run hack/test.sh, which installs Debian's cloud-init package"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("user-data");
        let data = user_data("aws", "https://api.example:443", CA, "1.33.2")
            .replace(BOOTSTRAP_TOKEN_PLACEHOLDER, "abcdef.0123456789abcdef");
        std::fs::write(&file, data).unwrap();
        let out =
            std::process::Command::new("cloud-init").arg("schema").arg("--config-file").arg(&file).output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success() && text.contains("Valid cloud-config"), "{text}");
        // And a broken one is refused (the check can fail).
        std::fs::write(&file, "#cloud-config\nwrite_files: 5\n").unwrap();
        let out =
            std::process::Command::new("cloud-init").arg("schema").arg("--config-file").arg(&file).output().unwrap();
        assert!(!out.status.success());
    }
}
