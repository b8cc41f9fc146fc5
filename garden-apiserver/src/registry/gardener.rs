//! Gardener kinds: core.gardener.cloud/v1beta1 and security.gardener.cloud/v1alpha1.

use garden_api::core::v1beta1 as core;
use garden_api::extensions::v1alpha1 as extensions;
use garden_api::security::v1alpha1 as security;
use serde_json::{json, Value};

use api_machinery::error::FieldError;
use api_machinery::registry::{str_at, Column, ResourceType, Strategy, TypedCodec};

use super::{typed_rules, with_typed};

const CORE: &str = "core.gardener.cloud";
const SECURITY: &str = "security.gardener.cloud";
const EXTENSIONS: &str = "extensions.gardener.cloud";

#[allow(clippy::too_many_arguments)]
fn rt(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    subresources: &'static [&'static str],
    codec: Box<dyn api_machinery::registry::Codec>,
    strategy: Box<dyn Strategy>,
) -> ResourceType {
    ResourceType {
        group,
        version,
        kind,
        plural,
        singular,
        namespaced,
        short_names,
        categories: &[],
        subresources,
        actions: &[],
        create_only: false,
        scale: None,
        codec,
        strategy,
    }
}

pub fn types() -> Vec<ResourceType> {
    let mut shoots = rt(
        CORE,
        "v1beta1",
        "Shoot",
        "shoots",
        "shoot",
        true,
        &[],
        &["status", "binding", "adminkubeconfig", "viewerkubeconfig"],
        TypedCodec::<core::Shoot>::with_defaults(garden_api::core::v1beta1::defaults::default_shoot),
        Box::new(ShootStrategy),
    );
    shoots.actions = crate::kubeconfig::ACTIONS;
    vec![
        shoots,
        rt(
            CORE,
            "v1beta1",
            "CloudProfile",
            "cloudprofiles",
            "cloudprofile",
            false,
            &["cprofile", "cpfl"],
            &[],
            TypedCodec::<core::CloudProfile>::boxed(),
            Box::new(CloudProfileStrategy),
        ),
        rt(
            CORE,
            "v1beta1",
            "NamespacedCloudProfile",
            "namespacedcloudprofiles",
            "namespacedcloudprofile",
            true,
            &["nscpfl"],
            &["status"],
            TypedCodec::<core::NamespacedCloudProfile>::boxed(),
            Box::new(NamespacedCloudProfileStrategy),
        ),
        rt(
            CORE,
            "v1beta1",
            "Seed",
            "seeds",
            "seed",
            false,
            &[],
            &["status"],
            TypedCodec::<core::Seed>::boxed(),
            Box::new(SeedStrategy),
        ),
        rt(
            CORE,
            "v1beta1",
            "Project",
            "projects",
            "project",
            false,
            &[],
            &["status"],
            TypedCodec::<core::Project>::boxed(),
            Box::new(ProjectStrategy),
        ),
        rt(
            CORE,
            "v1beta1",
            "SecretBinding",
            "secretbindings",
            "secretbinding",
            true,
            &["sb"],
            &[],
            TypedCodec::<core::SecretBinding>::boxed(),
            Box::new(SecretBindingStrategy),
        ),
        rt(
            CORE,
            "v1beta1",
            "Quota",
            "quotas",
            "quota",
            true,
            &["squota"],
            &[],
            TypedCodec::<core::Quota>::boxed(),
            Box::new(QuotaStrategy),
        ),
        rt(
            CORE,
            "v1beta1",
            "BackupBucket",
            "backupbuckets",
            "backupbucket",
            false,
            &[],
            &["status"],
            TypedCodec::<core::BackupBucket>::boxed(),
            Box::new(BackupBucketStrategy),
        ),
        rt(
            CORE,
            "v1beta1",
            "BackupEntry",
            "backupentries",
            "backupentry",
            true,
            &[],
            &["status"],
            TypedCodec::<core::BackupEntry>::boxed(),
            Box::new(BackupEntryStrategy),
        ),
        rt(
            CORE,
            "v1beta1",
            "ShootState",
            "shootstates",
            "shootstate",
            true,
            &[],
            &[],
            TypedCodec::<core::ShootState>::boxed(),
            Box::new(ShootStateStrategy),
        ),
        rt(
            SECURITY,
            "v1alpha1",
            "CredentialsBinding",
            "credentialsbindings",
            "credentialsbinding",
            true,
            &["cb"],
            &[],
            TypedCodec::<security::CredentialsBinding>::boxed(),
            Box::new(CredentialsBindingStrategy),
        ),
        // Extension resources: the local seed's API is the garden API, so they are served here too.
        rt(
            EXTENSIONS,
            "v1alpha1",
            "Worker",
            "workers",
            "worker",
            true,
            &[],
            &["status"],
            TypedCodec::<extensions::Worker>::boxed(),
            Box::new(ExtensionStrategy),
        ),
        rt(
            EXTENSIONS,
            "v1alpha1",
            "Infrastructure",
            "infrastructures",
            "infrastructure",
            true,
            &[],
            &["status"],
            TypedCodec::<extensions::Infrastructure>::boxed(),
            Box::new(ExtensionStrategy),
        ),
        rt(
            EXTENSIONS,
            "v1alpha1",
            "Cluster",
            "clusters",
            "cluster",
            false,
            &[],
            &[],
            TypedCodec::<extensions::Cluster>::boxed(),
            Box::new(api_machinery::registry::Plain),
        ),
    ]
}

struct ShootStrategy;
/// Static defaults run in the codec (`TypedCodec::with_defaults`), while the object is typed.
impl Strategy for ShootStrategy {
    fn validate(&self, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
        typed_rules::<core::Shoot>(
            obj,
            old,
            garden_api::core::v1beta1::validation::validate_shoot,
            garden_api::core::v1beta1::validation::validate_shoot_update,
        )
    }
    fn columns(&self) -> Vec<Column> {
        vec![
            Column::new("CloudProfile", "The CloudProfile the shoot references"),
            Column::new("Provider", "The provider type"),
            Column::new("Region", "The region"),
            Column::new("K8S Version", "The Kubernetes version"),
            Column::new("Hibernation", "Whether the shoot is hibernated"),
            Column::new("Last Operation", "The last operation and its state"),
            Column::new("Status", "The health status (label shoot.gardener.cloud/status)"),
            Column::wide("Seed", "The seed hosting the control plane"),
            Column::wide("Purpose", "The purpose of the shoot"),
            Column::wide("Technical ID", "The namespace of the control plane in the seed"),
        ]
    }
    fn cells(&self, s: &Value) -> Vec<Value> {
        let profile =
            str_at(s, "/spec/cloudProfile/name").or_else(|| str_at(s, "/spec/cloudProfileName")).unwrap_or_default();
        let enabled = s.pointer("/spec/hibernation/enabled").and_then(Value::as_bool).unwrap_or(false);
        let hibernated = s.pointer("/status/hibernated").and_then(Value::as_bool).unwrap_or(false);
        let hibernation = match (enabled, hibernated) {
            (true, true) => "Hibernated",
            (true, false) => "Hibernating",
            (false, true) => "Waking Up",
            (false, false) => "Awake",
        };
        let last_op = match s.pointer("/status/lastOperation") {
            Some(op) => format!(
                "{} {} ({}%)",
                str_at(op, "/type").unwrap_or_default(),
                str_at(op, "/state").unwrap_or_default(),
                op.get("progress").and_then(Value::as_i64).unwrap_or(0)
            ),
            None => "<pending>".into(),
        };
        let status = s
            .pointer("/metadata/labels")
            .and_then(|l| l.get("shoot.gardener.cloud/status"))
            .and_then(Value::as_str)
            .unwrap_or("<pending>");
        let seed = str_at(s, "/spec/seedName").unwrap_or("<none>");
        vec![
            json!(profile),
            json!(str_at(s, "/spec/provider/type").unwrap_or_default()),
            json!(str_at(s, "/spec/region").unwrap_or_default()),
            json!(str_at(s, "/spec/kubernetes/version").unwrap_or_default()),
            json!(hibernation),
            json!(last_op),
            json!(status),
            json!(seed),
            json!(str_at(s, "/spec/purpose").unwrap_or_default()),
            json!(str_at(s, "/status/technicalID").unwrap_or("<pending>")),
        ]
    }
    fn field(&self, obj: &Value, field: &str) -> Option<String> {
        let p = match field {
            "spec.seedName" => "/spec/seedName",
            "status.seedName" => "/status/seedName",
            "spec.cloudProfileName" => "/spec/cloudProfileName",
            "spec.cloudProfile.name" => "/spec/cloudProfile/name",
            "spec.cloudProfile.kind" => "/spec/cloudProfile/kind",
            _ => return None,
        };
        Some(str_at(obj, p).unwrap_or_default().to_string())
    }
    fn field_selectors(&self) -> &'static [&'static str] {
        &[
            "spec.seedName",
            "status.seedName",
            "spec.cloudProfileName",
            "spec.cloudProfile.name",
            "spec.cloudProfile.kind",
        ]
    }
}

struct CloudProfileStrategy;
impl Strategy for CloudProfileStrategy {
    fn validate(&self, obj: &Value, _old: Option<&Value>) -> Vec<FieldError> {
        with_typed::<core::CloudProfile>(obj, garden_api::core::v1beta1::validation::validate_cloudprofile)
    }
    fn columns(&self) -> Vec<Column> {
        vec![Column::new("Provider", "The provider type"), Column::new("Regions", "The regions offered")]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        let regions: Vec<&str> = obj
            .pointer("/spec/regions")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|r| str_at(r, "/name")).collect())
            .unwrap_or_default();
        vec![json!(str_at(obj, "/spec/type").unwrap_or_default()), json!(regions.join(","))]
    }
}

struct NamespacedCloudProfileStrategy;
impl Strategy for NamespacedCloudProfileStrategy {
    fn validate(&self, obj: &Value, _old: Option<&Value>) -> Vec<FieldError> {
        with_typed::<core::NamespacedCloudProfile>(
            obj,
            garden_api::core::v1beta1::validation::validate_namespaced_cloudprofile,
        )
    }
    fn columns(&self) -> Vec<Column> {
        vec![Column::new("Parent", "The parent CloudProfile")]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        vec![json!(str_at(obj, "/spec/parent/name").unwrap_or_default())]
    }
}

struct SeedStrategy;
impl Strategy for SeedStrategy {
    fn validate(&self, obj: &Value, _old: Option<&Value>) -> Vec<FieldError> {
        with_typed::<core::Seed>(obj, garden_api::core::v1beta1::validation::validate_seed)
    }
    fn columns(&self) -> Vec<Column> {
        vec![
            Column::new("Status", "Ready when the gardenlet reports GardenletReady"),
            Column::new("Provider", "The provider type"),
            Column::new("Region", "The region"),
            Column::wide("K8S Version", "The seed's Kubernetes version"),
        ]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        let ready = obj
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .and_then(|cs| cs.iter().find(|c| str_at(c, "/type") == Some("GardenletReady")))
            .is_some_and(|c| str_at(c, "/status") == Some("True"));
        vec![
            json!(if ready { "Ready" } else { "NotReady" }),
            json!(str_at(obj, "/spec/provider/type").unwrap_or_default()),
            json!(str_at(obj, "/spec/provider/region").unwrap_or_default()),
            json!(str_at(obj, "/status/kubernetesVersion").unwrap_or("<unknown>")),
        ]
    }
}

struct ProjectStrategy;
impl Strategy for ProjectStrategy {
    fn validate(&self, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
        typed_rules::<core::Project>(
            obj,
            old,
            garden_api::core::v1beta1::validation::validate_project,
            garden_api::core::v1beta1::validation::validate_project_update,
        )
    }
    fn columns(&self) -> Vec<Column> {
        vec![
            Column::new("Namespace", "The project namespace"),
            Column::new("Status", "The project phase"),
            Column::new("Owner", "The project owner"),
            Column::new("Creator", "Who created the project"),
        ]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        vec![
            json!(str_at(obj, "/spec/namespace").unwrap_or_default()),
            json!(str_at(obj, "/status/phase").unwrap_or("Pending")),
            json!(str_at(obj, "/spec/owner/name").unwrap_or_default()),
            json!(str_at(obj, "/spec/createdBy/name").unwrap_or_default()),
        ]
    }
    fn field(&self, obj: &Value, field: &str) -> Option<String> {
        (field == "spec.namespace").then(|| str_at(obj, "/spec/namespace").unwrap_or_default().to_string())
    }
    fn field_selectors(&self) -> &'static [&'static str] {
        &["spec.namespace"]
    }
}

struct SecretBindingStrategy;
impl Strategy for SecretBindingStrategy {
    fn validate(&self, obj: &Value, _old: Option<&Value>) -> Vec<FieldError> {
        with_typed::<core::SecretBinding>(obj, garden_api::core::v1beta1::validation::validate_secretbinding)
    }
    fn columns(&self) -> Vec<Column> {
        vec![Column::new("Secret", "The referenced secret"), Column::new("Provider", "The provider type")]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        let secret = format!(
            "{}/{}",
            str_at(obj, "/secretRef/namespace").unwrap_or_default(),
            str_at(obj, "/secretRef/name").unwrap_or_default()
        );
        vec![json!(secret), json!(str_at(obj, "/provider/type").unwrap_or_default())]
    }
}

struct QuotaStrategy;
impl Strategy for QuotaStrategy {
    fn validate(&self, obj: &Value, _old: Option<&Value>) -> Vec<FieldError> {
        with_typed::<core::Quota>(obj, garden_api::core::v1beta1::validation::validate_quota)
    }
}

struct CredentialsBindingStrategy;
impl Strategy for CredentialsBindingStrategy {
    fn validate(&self, obj: &Value, _old: Option<&Value>) -> Vec<FieldError> {
        with_typed::<security::CredentialsBinding>(
            obj,
            garden_api::security::v1alpha1::validation::validate_credentialsbinding,
        )
    }
    fn columns(&self) -> Vec<Column> {
        vec![Column::new("Provider", "The provider type"), Column::new("Credentials", "The referenced credentials")]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        let creds = format!(
            "{}/{}/{}",
            str_at(obj, "/credentialsRef/kind").unwrap_or_default(),
            str_at(obj, "/credentialsRef/namespace").unwrap_or_default(),
            str_at(obj, "/credentialsRef/name").unwrap_or_default()
        );
        vec![json!(str_at(obj, "/provider/type").unwrap_or_default()), json!(creds)]
    }
}

struct BackupBucketStrategy;
impl Strategy for BackupBucketStrategy {
    fn validate(&self, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
        typed_rules::<core::BackupBucket>(
            obj,
            old,
            garden_api::core::v1beta1::validation::validate_backupbucket,
            garden_api::core::v1beta1::validation::validate_backupbucket_update,
        )
    }
    fn columns(&self) -> Vec<Column> {
        vec![
            Column::new("Provider", "The storage provider"),
            Column::new("Region", "The region of the bucket"),
            Column::new("Seed", "The seed owning the bucket"),
            Column::new("Status", "The state of the last operation"),
        ]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        vec![
            json!(str_at(obj, "/spec/provider/type").unwrap_or_default()),
            json!(str_at(obj, "/spec/provider/region").unwrap_or_default()),
            json!(str_at(obj, "/spec/seedName").unwrap_or("<none>")),
            json!(str_at(obj, "/status/lastOperation/state").unwrap_or("<pending>")),
        ]
    }
    fn field(&self, obj: &Value, field: &str) -> Option<String> {
        (field == "spec.seedName").then(|| str_at(obj, "/spec/seedName").unwrap_or_default().to_string())
    }
    fn field_selectors(&self) -> &'static [&'static str] {
        &["spec.seedName"]
    }
}

struct BackupEntryStrategy;
impl Strategy for BackupEntryStrategy {
    fn validate(&self, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
        typed_rules::<core::BackupEntry>(
            obj,
            old,
            garden_api::core::v1beta1::validation::validate_backupentry,
            garden_api::core::v1beta1::validation::validate_backupentry_update,
        )
    }
    fn columns(&self) -> Vec<Column> {
        vec![
            Column::new("Bucket", "The BackupBucket holding the entry"),
            Column::new("Seed", "The seed writing the entry"),
            Column::new("Status", "The state of the last operation"),
        ]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        vec![
            json!(str_at(obj, "/spec/bucketName").unwrap_or_default()),
            json!(str_at(obj, "/spec/seedName").unwrap_or("<none>")),
            json!(str_at(obj, "/status/lastOperation/state").unwrap_or("<pending>")),
        ]
    }
    fn field(&self, obj: &Value, field: &str) -> Option<String> {
        (field == "spec.seedName").then(|| str_at(obj, "/spec/seedName").unwrap_or_default().to_string())
    }
    fn field_selectors(&self) -> &'static [&'static str] {
        &["spec.seedName"]
    }
}

/// ShootStates hold control-plane secrets between seeds: no columns beyond the name, no validation beyond
/// the codec's.
struct ShootStateStrategy;
impl Strategy for ShootStateStrategy {}

/// Extension resources (`extensions.gardener.cloud`): Gardener's printer columns.
struct ExtensionStrategy;
impl Strategy for ExtensionStrategy {
    fn columns(&self) -> Vec<Column> {
        vec![
            Column::new("Type", "The provider extension type"),
            Column::new("Status", "The state of the last operation"),
        ]
    }
    fn cells(&self, obj: &Value) -> Vec<Value> {
        vec![
            json!(str_at(obj, "/spec/type").unwrap_or_default()),
            json!(str_at(obj, "/status/lastOperation/state").unwrap_or("<pending>")),
        ]
    }
}
