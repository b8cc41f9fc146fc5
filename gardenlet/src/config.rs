//! The gardenlet configuration file (`--config`): the shape of Gardener's `GardenletConfiguration`
//! restricted to what this gardenlet implements.
//!
//! ```yaml
//! apiVersion: gardenlet.config.gardener.cloud/v1alpha1   # optional
//! kind: GardenletConfiguration                            # optional
//! seedConfig:
//!   metadata: {name: local, labels: {base: local}}
//!   spec: {provider: {type: local, region: local}, networks: {...}, ...}
//! leaseDurationSeconds: 10   # default
//! renewIntervalSeconds: 2    # default
//! etcdBackup:                # snapshots of every shoot etcd (when the Seed has spec.backup)
//!   fullSnapshotSchedule: "0 */1 * * *"   # default: hourly
//!   deltaSnapshotPeriodSeconds: 10        # default
//! controllers:
//!   backupEntry:
//!     deletionGracePeriodHours: 0          # default: snapshots go with the shoot
//! ```
//!
//! With the `process` runtime and no `spec.backup` in the seed config, the seed backs up into a local
//! directory, `<stateDir>/backups` (the embedded default of a local seed).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use garden_api::core::v1beta1::SeedSpec;
use serde::Deserialize;

use crate::error::Error;

/// Default `leaseDurationSeconds`.
pub const DEFAULT_LEASE_DURATION_SECONDS: u32 = 10;
/// Default `renewIntervalSeconds`.
pub const DEFAULT_RENEW_INTERVAL_SECONDS: u32 = 2;

/// The parsed configuration file.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GardenletConfiguration {
    /// `gardenlet.config.gardener.cloud/v1alpha1` (ignored).
    #[serde(default)]
    pub api_version: Option<String>,
    /// `GardenletConfiguration` (ignored).
    #[serde(default)]
    pub kind: Option<String>,
    /// The Seed this gardenlet registers and serves.
    pub seed_config: SeedConfig,
    /// `spec.leaseDurationSeconds` of the heartbeat Lease.
    #[serde(default = "default_lease_duration")]
    pub lease_duration_seconds: u32,
    /// How often the Lease is renewed.
    #[serde(default = "default_renew_interval")]
    pub renew_interval_seconds: u32,
    /// Where the process runtime keeps control-plane data (etcd data, certificates, PID files, logs).
    /// Default: `/tmp/gardenlet-<seed>`.
    #[serde(default)]
    pub state_dir: Option<std::path::PathBuf>,
    /// How this seed runs shoot control planes.
    #[serde(default)]
    pub control_plane_runtime: RuntimeConfig,
    /// Snapshot schedules of shoot etcds.
    #[serde(default)]
    pub etcd_backup: EtcdBackupConfig,
    /// Settings of individual controllers.
    #[serde(default)]
    pub controllers: ControllersConfig,
}

/// Snapshot schedules of shoot etcds.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EtcdBackupConfig {
    /// Cron schedule (5 fields, UTC) of full snapshots.
    #[serde(default = "default_full_snapshot_schedule")]
    pub full_snapshot_schedule: String,
    /// Period of delta snapshots, in seconds.
    #[serde(default = "default_delta_snapshot_period")]
    pub delta_snapshot_period_seconds: u32,
}

impl Default for EtcdBackupConfig {
    fn default() -> Self {
        EtcdBackupConfig {
            full_snapshot_schedule: default_full_snapshot_schedule(),
            delta_snapshot_period_seconds: default_delta_snapshot_period(),
        }
    }
}

fn default_full_snapshot_schedule() -> String {
    "0 */1 * * *".into()
}

fn default_delta_snapshot_period() -> u32 {
    10
}

/// Settings of individual controllers (Gardener's `controllers` section).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ControllersConfig {
    /// The BackupEntry controller.
    #[serde(default)]
    pub backup_entry: BackupEntryControllerConfig,
}

/// The BackupEntry controller.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupEntryControllerConfig {
    /// How long the snapshots of a deleted shoot are kept.
    #[serde(default)]
    pub deletion_grace_period_hours: u32,
}

/// The seed's control-plane runtime: `process` (local processes; the default) or `kubernetes` (workloads
/// applied to the seed cluster, reached with `seedKubeconfig`, or the garden kubeconfig when the garden is the seed).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuntimeConfig {
    /// `process` or `kubernetes`.
    #[serde(rename = "type", default)]
    pub type_: RuntimeType,
    /// Kubeconfig of the seed cluster (kubernetes runtime).
    #[serde(default)]
    pub seed_kubeconfig: Option<std::path::PathBuf>,
    /// Images of the control-plane components (kubernetes runtime); unset ones keep their defaults.
    #[serde(default)]
    pub images: RuntimeImages,
}

/// Image overrides of the kubernetes runtime (a registry mirror, a pinned digest, ...).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuntimeImages {
    /// etcd (with tag).
    #[serde(default)]
    pub etcd: Option<String>,
    /// kube-apiserver repository (the tag is the shoot's Kubernetes version).
    #[serde(default)]
    pub kube_apiserver: Option<String>,
    /// kube-controller-manager repository.
    #[serde(default)]
    pub kube_controller_manager: Option<String>,
    /// kube-scheduler repository.
    #[serde(default)]
    pub kube_scheduler: Option<String>,
    /// The `etcd-backup` image (with tag).
    #[serde(default)]
    pub etcd_backup: Option<String>,
}

/// Which runtime.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuntimeType {
    /// A real etcd and a shoot API server per shoot, as supervised local processes.
    #[default]
    Process,
    /// Rendered Kubernetes workloads applied to the seed cluster with kube-rs.
    Kubernetes,
}

fn default_lease_duration() -> u32 {
    DEFAULT_LEASE_DURATION_SECONDS
}

fn default_renew_interval() -> u32 {
    DEFAULT_RENEW_INTERVAL_SECONDS
}

/// Gardener's `SeedTemplate`: the Seed's metadata and spec.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedConfig {
    /// Name, labels and annotations of the Seed.
    pub metadata: SeedMetadata,
    /// The Seed's spec (owned by the gardenlet: replaces the stored spec).
    #[serde(default)]
    pub spec: SeedSpec,
}

/// The metadata of a Seed a gardenlet may set.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedMetadata {
    /// Seed name (also the Lease name).
    pub name: String,
    /// Labels merged into the Seed's labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Annotations merged into the Seed's annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

impl GardenletConfiguration {
    /// Parses and checks a configuration document.
    pub fn parse(text: &str, path: &Path) -> Result<Self, Error> {
        let config: Self =
            serde_yaml::from_str(text).map_err(|source| Error::ParseConfig { path: path.to_path_buf(), source })?;
        config.check().map_err(|reason| Error::InvalidConfig { path: path.to_path_buf(), reason })?;
        Ok(config)
    }

    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text =
            std::fs::read_to_string(path).map_err(|source| Error::ReadConfig { path: path.to_path_buf(), source })?;
        Self::parse(&text, path)
    }

    fn check(&self) -> Result<(), String> {
        let name = &self.seed_config.metadata.name;
        if name.is_empty() {
            return Err("seedConfig.metadata.name is required".into());
        }
        let dns_label = name.len() <= 63
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !name.starts_with('-')
            && !name.ends_with('-');
        if !dns_label {
            return Err(format!("seedConfig.metadata.name {name:?} is not a valid DNS label"));
        }
        if self.renew_interval_seconds == 0 {
            return Err("renewIntervalSeconds must be positive".into());
        }
        if let Err(e) = garden_api::cron::validate_cron(&self.etcd_backup.full_snapshot_schedule) {
            return Err(format!("etcdBackup.fullSnapshotSchedule: {e}"));
        }
        if self.etcd_backup.delta_snapshot_period_seconds == 0 {
            return Err("etcdBackup.deltaSnapshotPeriodSeconds must be positive".into());
        }
        if self.lease_duration_seconds < self.renew_interval_seconds {
            return Err(format!(
                "leaseDurationSeconds ({}) must not be smaller than renewIntervalSeconds ({})",
                self.lease_duration_seconds, self.renew_interval_seconds
            ));
        }
        Ok(())
    }

    /// The seed name.
    pub fn seed_name(&self) -> &str {
        &self.seed_config.metadata.name
    }

    /// The renewal interval.
    pub fn renew_interval(&self) -> Duration {
        Duration::from_secs(self.renew_interval_seconds.into())
    }

    /// The Seed spec to register: the configured one, with the local backup default (see the module docs).
    pub fn seed_spec(&self) -> SeedSpec {
        let mut spec = self.seed_config.spec.clone();
        if spec.backup.is_none() && self.control_plane_runtime.type_ == RuntimeType::Process {
            spec.backup = Some(garden_api::core::v1beta1::Backup {
                provider: "local".into(),
                provider_config: Some(
                    serde_json::json!({"path": self.state_dir().join("backups").display().to_string()}),
                ),
                region: Some(spec.provider.region.clone()),
                credentials_ref: None,
            });
        }
        spec
    }

    /// The process runtime's state directory.
    pub fn state_dir(&self) -> std::path::PathBuf {
        self.state_dir.clone().unwrap_or_else(|| std::env::temp_dir().join(format!("gardenlet-{}", self.seed_name())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCAL: &str = r#"
apiVersion: gardenlet.config.gardener.cloud/v1alpha1
kind: GardenletConfiguration
seedConfig:
  metadata:
    name: local
    labels:
      base: local
  spec:
    provider:
      type: local
      region: local
    networks:
      nodes: 10.0.0.0/16
      pods: 10.1.0.0/16
      services: 10.2.0.0/16
    ingress:
      domain: ingress.local.seed.local.gardener.cloud
      controller:
        kind: nginx
"#;

    fn parse(text: &str) -> Result<GardenletConfiguration, Error> {
        GardenletConfiguration::parse(text, Path::new("/c.yaml"))
    }

    #[test]
    fn parses_seed_config_with_defaults() {
        let c = parse(LOCAL).unwrap();
        assert_eq!(c.seed_name(), "local");
        assert_eq!(c.seed_config.metadata.labels.get("base").map(String::as_str), Some("local"));
        assert_eq!(c.seed_config.spec.provider.type_, "local");
        assert_eq!(c.seed_config.spec.provider.region, "local");
        assert_eq!(c.seed_config.spec.networks.nodes.as_deref(), Some("10.0.0.0/16"));
        assert_eq!(c.seed_config.spec.networks.pods, "10.1.0.0/16");
        assert_eq!(c.seed_config.spec.ingress.as_ref().unwrap().controller.kind, "nginx");
        assert_eq!(c.lease_duration_seconds, 10);
        assert_eq!(c.renew_interval_seconds, 2);
        assert_eq!(c.renew_interval(), Duration::from_secs(2));
    }

    #[test]
    fn control_plane_runtime_is_configurable() {
        assert_eq!(parse(LOCAL).unwrap().control_plane_runtime.type_, RuntimeType::Process);
        let c =
            parse("seedConfig: {metadata: {name: a}}\ncontrolPlaneRuntime: {type: kubernetes, seedKubeconfig: /k}\n")
                .unwrap();
        assert_eq!(c.control_plane_runtime.type_, RuntimeType::Kubernetes);
        assert_eq!(c.control_plane_runtime.seed_kubeconfig.as_deref(), Some(Path::new("/k")));
        assert!(parse("seedConfig: {metadata: {name: a}}\ncontrolPlaneRuntime: {type: vm}\n").is_err());
        let c = parse(
            "seedConfig: {metadata: {name: a}}\ncontrolPlaneRuntime: {type: kubernetes, images: {etcdBackup: r.example/eb:1}}\n",
        )
        .unwrap();
        assert_eq!(c.control_plane_runtime.images.etcd_backup.as_deref(), Some("r.example/eb:1"));
        assert!(parse("seedConfig: {metadata: {name: a}}\ncontrolPlaneRuntime: {images: {etcdBakup: x}}\n").is_err());
    }

    #[test]
    fn explicit_intervals() {
        let c =
            parse("seedConfig: {metadata: {name: a}}\nleaseDurationSeconds: 40\nrenewIntervalSeconds: 10\n").unwrap();
        assert_eq!((c.lease_duration_seconds, c.renew_interval_seconds), (40, 10));
    }

    #[test]
    fn rejects_bad_configs() {
        for (text, want) in [
            ("seedConfig: {metadata: {name: ''}}", "is required"),
            ("seedConfig: {metadata: {name: Bad_Name}}", "not a valid DNS label"),
            ("seedConfig: {metadata: {name: a}}\nrenewIntervalSeconds: 0", "must be positive"),
            (
                "seedConfig: {metadata: {name: a}}\nleaseDurationSeconds: 1\nrenewIntervalSeconds: 2",
                "must not be smaller",
            ),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
        for text in [
            "seedConfig: {metadata: {name: a}}\nleaseDurationSecond: 3",
            "seedConfig: {metadata: {name: a, uid: x}}",
            "leaseDurationSeconds: 3",
            "seedConfig: [",
        ] {
            assert!(matches!(parse(text), Err(Error::ParseConfig { .. })), "{text}");
        }
    }
}
