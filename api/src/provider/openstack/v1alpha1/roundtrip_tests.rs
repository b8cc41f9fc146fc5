//! Gardener-style manifests decode into the typed payloads and encode back to the same JSON.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use super::fixtures::*;
use super::*;

fn round_trip<T: DeserializeOwned + Serialize>(manifest: &Value) -> T {
    let typed: T = serde_json::from_value(manifest.clone()).unwrap();
    assert_eq!(&serde_json::to_value(&typed).unwrap(), manifest);
    typed
}

#[test]
fn infrastructure_config_round_trips() {
    let cfg: InfrastructureConfig = round_trip(&infrastructure_config_manifest());
    assert_eq!(cfg.floating_pool_name, "fip-europe");
    assert_eq!(cfg.floating_pool_subnet_name.as_deref(), Some("fip-subnet-*"));
    assert_eq!(cfg.networks.id.as_deref(), Some("12345678-abcd-efef-08af-0123456789ab"));
    assert_eq!(cfg.networks.workers_cidr(), Some(("workers", "10.250.0.0/19")));
    assert!(cfg.networks.share_network.unwrap().enabled);

    // The documentation's minimal form, an existing router, and the deprecated `worker`.
    round_trip::<InfrastructureConfig>(&json!({
        "apiVersion": API_VERSION, "kind": "InfrastructureConfig",
        "floatingPoolName": "MY-FLOATING-POOL", "networks": {"workers": "10.250.0.0/19"}
    }));
    let cfg: InfrastructureConfig = round_trip(&json!({
        "floatingPoolName": "public",
        "networks": {"router": {"id": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"}, "worker": "10.250.0.0/19"}
    }));
    assert_eq!(cfg.networks.workers_cidr(), Some(("worker", "10.250.0.0/19")));
    assert_eq!(cfg.networks.router.unwrap().id, "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d");
    // `floatingPoolName` and `networks` have no omitempty in Go.
    assert_eq!(
        serde_json::to_value(InfrastructureConfig::default()).unwrap(),
        json!({"floatingPoolName": "", "networks": {}})
    );
}

#[test]
fn infrastructure_status_round_trips() {
    let status: InfrastructureStatus = round_trip(&infrastructure_status_manifest());
    assert_eq!(status.node.key_name, "shoot--dev--johndoe-openstack-ssh-publickey");
    assert_eq!(status.subnet(PURPOSE_NODES).unwrap().id, "5c4b3a29-1807-4f6e-8d5c-4b3a29180706");
    assert_eq!(status.security_group(PURPOSE_NODES).unwrap().name, "shoot--dev--johndoe-openstack");
    assert_eq!(status.networks.floating_pool.name, "fip-europe");
    assert_eq!(status.networks.router.external_fixed_ips, ["203.0.113.10", "2001:db8::10"]);
    assert!(status.subnet("pods").is_none());

    // Newer extension versions write each subnet's CIDR too.
    let status: InfrastructureStatus = round_trip(&json!({
        "networks": {
            "id": "n", "name": "n", "floatingPool": {"id": "f", "name": "f"},
            "router": {"id": "r", "ip": "", "externalFixedIP": []},
            "subnets": [{"purpose": "nodes", "id": "s", "cidr": "10.250.0.0/19"}]
        },
        "node": {"keyName": "k"},
        "securityGroups": []
    }));
    assert_eq!(status.subnet(PURPOSE_NODES).unwrap().cidr, "10.250.0.0/19");
}

#[test]
fn go_null_slices_read_as_empty() {
    // Go writes nil slices of fields without omitempty as null.
    let status: InfrastructureStatus = serde_json::from_value(json!({
        "networks": {"id": "n", "router": {"id": "r", "ip": "", "externalFixedIP": null}, "subnets": null},
        "node": {"keyName": "k"},
        "securityGroups": null
    }))
    .unwrap();
    assert!(status.security_groups.is_empty() && status.networks.subnets.is_empty());
    assert!(status.networks.router.external_fixed_ips.is_empty());
    let cfg: CloudProfileConfig = serde_json::from_value(
        json!({"machineImages": null, "constraints": {"floatingPools": null, "loadBalancerProviders": null}}),
    )
    .unwrap();
    assert!(cfg.machine_images.is_empty() && cfg.constraints.floating_pools.is_empty());
}

#[test]
fn control_plane_config_round_trips() {
    let cfg: ControlPlaneConfig = round_trip(&control_plane_config_manifest());
    assert_eq!(cfg.load_balancer_provider, "amphora");
    assert_eq!(cfg.load_balancer_classes.len(), 3);
    assert_eq!(cfg.load_balancer_classes[0].floating_subnet_name.as_deref(), Some("internet-*"));
    assert_eq!(cfg.load_balancer_classes[1].floating_subnet_tags.as_deref(), Some("internal,private"));
    assert_eq!(cfg.load_balancer_classes[2].subnet_id.as_deref(), Some("internal-id"));
    assert!(cfg.cloud_controller_manager.unwrap().feature_gates["SomeKubernetesFeature"]);
    assert!(cfg.storage.unwrap().csi_manila.unwrap().enabled);
    // The usual form, and the deprecated zone.
    round_trip::<ControlPlaneConfig>(
        &json!({"apiVersion": API_VERSION, "kind": "ControlPlaneConfig", "loadBalancerProvider": "haproxy"}),
    );
    round_trip::<ControlPlaneConfig>(&json!({"loadBalancerProvider": "haproxy", "zone": "europe-1a"}));
}

#[test]
fn worker_config_round_trips() {
    let cfg: WorkerConfig = round_trip(&worker_config_manifest());
    assert_eq!(cfg.server_group.as_ref().unwrap().policy, "soft-anti-affinity");
    assert_eq!(cfg.machine_labels.len(), 2);
    assert!(!cfg.machine_labels[0].trigger_rolling_on_update && cfg.machine_labels[1].trigger_rolling_on_update);
    assert_eq!(cfg.node_template.as_ref().unwrap().capacity["memory"].0, "50Gi");
}

#[test]
fn worker_status_round_trips() {
    let status: WorkerStatus = round_trip(&worker_status_manifest());
    let by_id = status.machine_image("gardenlinux", "1877.2.0", "amd64").unwrap();
    assert_eq!((by_id.id.as_str(), by_id.image.as_str()), ("0a1b2c3d-0000-4000-8000-00000000a001", ""));
    // An entry without architecture is amd64.
    assert_eq!(status.machine_image("gardenlinux", "1592.9.0", "amd64").unwrap().image, "gardenlinux-1592.9.0");
    assert!(status.machine_image("gardenlinux", "1592.9.0", "arm64").is_none());
    assert_eq!(status.server_group_dependency("cpu-worker").unwrap().id, "sg-1");
    round_trip::<WorkerStatus>(&json!({"apiVersion": API_VERSION, "kind": "WorkerStatus"}));
}

#[test]
fn cloud_profile_config_round_trips() {
    let cfg: CloudProfileConfig = round_trip(&cloud_profile_config_manifest());
    assert_eq!(cfg.keystone_url_for("europe-1"), Some("https://keystone.example.com/v3/"));
    assert_eq!(cfg.keystone_url_for("asia-1"), Some("https://asia.example.com/v3/"));
    assert_eq!(cfg.request_timeout.as_deref(), Some("60s"));
    assert_eq!((cfg.use_snat, cfg.ignore_volume_az, cfg.node_volume_attach_limit), (Some(true), Some(true), Some(30)));
    assert_eq!(cfg.constraints.floating_pools[1].domain.as_deref(), Some("dev"));
    assert_eq!(cfg.constraints.floating_pools[0].load_balancer_classes[1].purpose.as_deref(), Some("vpn"));
    assert_eq!(cfg.constraints.load_balancer_providers[1].region.as_deref(), Some("asia-1"));
    assert_eq!(cfg.storage_classes[0].parameters["type"], "storage_premium_perf0");

    // Only regional endpoints: none for another region.
    let regional: CloudProfileConfig =
        serde_json::from_value(json!({"keystoneURLs": [{"region": "asia-1", "url": "https://asia/v3"}]})).unwrap();
    assert_eq!(regional.keystone_url_for("europe-1"), None);

    // The minimal form of the operator documentation, and older fields.
    round_trip::<CloudProfileConfig>(&json!({
        "apiVersion": API_VERSION, "kind": "CloudProfileConfig",
        "machineImages": [{"name": "coreos", "versions": [{"version": "2135.6.0", "image": "coreos-2135.6.0"}]}],
        "keystoneURL": "https://url-to-keystone/v3/",
        "constraints": {"floatingPools": [{"name": "fp-pool-1"}], "loadBalancerProviders": [{"name": "haproxy"}]}
    }));
    round_trip::<CloudProfileConfig>(&json!({
        "machineImages": [],
        "constraints": {"floatingPools": [], "loadBalancerProviders": []},
        "useOctavia": true,
        "keystoneForceInsecure": true,
        "keystoneCACert": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        "keystoneURLs": [{"region": "europe-1", "url": "https://europe/v3", "caCert": "x"}]
    }));
}

#[test]
fn images_resolve_by_region_id_else_by_name() {
    let cfg: CloudProfileConfig = serde_json::from_value(cloud_profile_config_manifest()).unwrap();
    let id = |region: &str, arch: &str| find_image(&cfg, "gardenlinux", "1877.2.0", region, arch).map(|i| i.id);
    assert_eq!(id("europe-1", "arm64").as_deref(), Some("0a1b2c3d-0000-4000-8000-00000000a002"));
    // A mapping without architecture is amd64.
    assert_eq!(id("asia-1", "amd64").as_deref(), Some("0a1b2c3d-0000-4000-8000-00000000a003"));
    assert_eq!(id("asia-1", "arm64"), None);
    assert_eq!(id("us-1", "amd64"), None);

    // A version with an image name resolves everywhere, for amd64 only.
    let by_name = find_image(&cfg, "gardenlinux", "1592.9.0", "anywhere", "amd64").unwrap();
    assert_eq!(
        by_name,
        MachineImage {
            name: "gardenlinux".into(),
            version: "1592.9.0".into(),
            image: "gardenlinux-1592.9.0".into(),
            id: String::new(),
            architecture: Some("amd64".into()),
        }
    );
    assert!(find_image(&cfg, "gardenlinux", "1592.9.0", "anywhere", "arm64").is_none());
    assert!(find_image(&cfg, "ubuntu", "1877.2.0", "europe-1", "amd64").is_none());
}

#[test]
fn payloads_decode_from_gardener_kinds() {
    let profile = cloud_profile();
    let raw = profile.spec.provider_config.as_ref().unwrap();
    let cfg: CloudProfileConfig = decode(raw, "spec.providerConfig").unwrap();
    assert_eq!(cfg.kind, "CloudProfileConfig");

    let shoot = shoot();
    let provider = &shoot.spec.provider;
    let infra: InfrastructureConfig =
        decode(provider.infrastructure_config.as_ref().unwrap(), "spec.provider.infrastructureConfig").unwrap();
    assert_eq!(infra.floating_pool_name, "fip-europe");
    let cp: ControlPlaneConfig =
        decode(provider.control_plane_config.as_ref().unwrap(), "spec.provider.controlPlaneConfig").unwrap();
    assert_eq!(cp.load_balancer_provider, "amphora");
    let worker: WorkerConfig =
        decode(provider.workers[0].provider_config.as_ref().unwrap(), "spec.provider.workers[0].providerConfig")
            .unwrap();
    assert!(worker.server_group.is_some());
    // The carrying kinds keep the payloads unchanged.
    assert_eq!(
        serde_json::to_value(&shoot).unwrap()["spec"]["provider"]["infrastructureConfig"],
        infrastructure_config_manifest()
    );
}

#[test]
fn decode_checks_type_meta() {
    let path = "spec.provider.infrastructureConfig";
    let mut raw = infrastructure_config_manifest();
    raw["kind"] = json!("WorkerConfig");
    let err = decode::<InfrastructureConfig>(&raw, path).unwrap_err();
    assert_eq!(
        err.line(),
        format!(r#"{path}.kind: Unsupported value: "WorkerConfig": supported values: "InfrastructureConfig""#)
    );

    // Another provider's payload is refused by its apiVersion.
    let mut raw = infrastructure_config_manifest();
    raw["apiVersion"] = json!("aws.provider.extensions.gardener.cloud/v1alpha1");
    let err = decode::<InfrastructureConfig>(&raw, path).unwrap_err();
    assert_eq!(
        err.line(),
        format!(
            r#"{path}.apiVersion: Unsupported value: "aws.provider.extensions.gardener.cloud/v1alpha1": supported values: "{API_VERSION}""#
        )
    );

    let mut raw = infrastructure_config_manifest();
    raw["networks"]["workers"] = json!(["10.250.0.0/19"]);
    let err = decode::<InfrastructureConfig>(&raw, path).unwrap_err();
    assert_eq!((err.field.as_str(), err.reason), (path, "FieldValueInvalid"));
    assert!(err.message.contains("failed to decode InfrastructureConfig: invalid type: sequence"), "{}", err.message);

    // Unknown fields (e.g. the subnet pools of newer extension versions) are ignored.
    let mut raw = infrastructure_config_manifest();
    raw["networks"]["subnetPool"] = json!({"id": "pool", "prefixLength": 24});
    assert!(decode::<InfrastructureConfig>(&raw, path).is_ok());
}

#[test]
fn encode_sets_type_meta() {
    let status = InfrastructureStatus { node: NodeStatus { key_name: "k".into() }, ..Default::default() };
    let v = encode(&status);
    assert_eq!(v["apiVersion"], API_VERSION);
    assert_eq!(v["kind"], "InfrastructureStatus");
    assert_eq!(decode::<InfrastructureStatus>(&v, "status.providerStatus").unwrap().node.key_name, "k");
    let mut w = WorkerStatus::default();
    w.ensure_type_meta();
    assert_eq!((w.api_version.as_str(), w.kind.as_str()), (API_VERSION, "WorkerStatus"));
    assert_eq!(<CloudProfileConfig as ProviderKind>::KIND, "CloudProfileConfig");
    assert_eq!(<CloudProfileConfig as ProviderKind>::API_VERSION, API_VERSION);
}

#[test]
fn schemas_name_the_wire_fields() {
    let schema = serde_json::to_string(&schemars::schema_for!(CloudProfileConfig)).unwrap();
    for field in [
        "keystoneURL",
        "keystoneURLs",
        "keystoneCACert",
        "ignoreVolumeAZ",
        "useSNAT",
        "floatingSubnetID",
        "floatingNetworkID",
        "subnetID",
    ] {
        assert!(schema.contains(field), "{field}");
    }
    let schema = serde_json::to_string(&schemars::schema_for!(InfrastructureStatus)).unwrap();
    assert!(schema.contains("externalFixedIP") && schema.contains("floatingPool"));
}
