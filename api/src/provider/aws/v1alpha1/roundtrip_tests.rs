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
    assert_eq!(cfg.enable_ecr_access, Some(true));
    assert_eq!(cfg.enable_mtu_customizer, Some(false));
    assert_eq!(cfg.networks.vpc.cidr.as_deref(), Some("10.250.0.0/16"));
    assert_eq!(cfg.networks.zones.len(), 3);
    assert_eq!(cfg.networks.zones[0].elastic_ip_allocation_id.as_deref(), Some("eipalloc-0123456789abcdef0"));
    assert_eq!(cfg.ignore_tags.unwrap().key_prefixes, ["user.specific/prefix/"]);

    // The minimal form of the documentation's single-zone example, and an existing VPC.
    round_trip::<InfrastructureConfig>(&json!({
        "apiVersion": API_VERSION, "kind": "InfrastructureConfig",
        "networks": {"vpc": {"id": "vpc-123456"}, "zones": [{"name": "eu-west-1a", "workers": "10.250.0.0/19"}]}
    }));
    round_trip::<InfrastructureConfig>(&json!({
        "networks": {"vpc": {"cidr": "10.250.0.0/16"}, "zones": []},
        "enableDedicatedTenancyForVPC": true,
        "elasticFileSystem": {"enabled": true, "id": "fs-0272b97527ed4de53"}
    }));
}

#[test]
fn infrastructure_status_round_trips() {
    let status: InfrastructureStatus = round_trip(&infrastructure_status_manifest());
    assert_eq!(status.ec2.key_name, "shoot--dev--johndoe-aws-ssh-publickey");
    assert_eq!(status.subnet(PURPOSE_NODES, "eu-central-1b").unwrap().id, "subnet-0a2a2a2a2a2a2a2a2");
    assert_eq!(status.subnet(PURPOSE_PUBLIC, "eu-central-1a").unwrap().id, "subnet-0b1b1b1b1b1b1b1b1");
    assert!(status.subnet(PURPOSE_PUBLIC, "eu-central-1b").is_none());
    assert_eq!(status.security_group(PURPOSE_NODES).unwrap().id, "sg-0123456789abcdef0");
    assert_eq!(status.instance_profile(PURPOSE_NODES).unwrap().name, "shoot--dev--johndoe-aws-nodes");
    assert!(status.role(PURPOSE_NODES).unwrap().arn.starts_with("arn:aws:iam::"));
    assert_eq!(status.elastic_file_system.unwrap().id, "");
}

#[test]
fn go_null_slices_read_as_empty() {
    // Go writes nil slices of fields without omitempty as null.
    let status: InfrastructureStatus = serde_json::from_value(json!({
        "ec2": {"keyName": "k"},
        "iam": {"instanceProfiles": null, "roles": null},
        "vpc": {"id": "vpc-1", "subnets": null, "securityGroups": null}
    }))
    .unwrap();
    assert!(status.iam.roles.is_empty() && status.vpc.subnets.is_empty());
    let cfg: CloudProfileConfig = serde_json::from_value(json!({"machineImages": null})).unwrap();
    assert!(cfg.machine_images.is_empty());
}

#[test]
fn control_plane_config_round_trips() {
    let shoot = shoot_manifest();
    let cfg: ControlPlaneConfig = round_trip(&shoot["spec"]["provider"]["controlPlaneConfig"]);
    let ccm = cfg.cloud_controller_manager.unwrap();
    assert!(ccm.feature_gates["SomeKubernetesFeature"]);
    assert_eq!(ccm.use_custom_route_controller, Some(true));
    assert_eq!(cfg.storage.unwrap().managed_default_class, Some(false));
    assert!(cfg.load_balancer_controller.unwrap().enabled);
    // The usual empty form.
    round_trip::<ControlPlaneConfig>(&json!({"apiVersion": API_VERSION, "kind": "ControlPlaneConfig"}));
}

#[test]
fn worker_config_round_trips() {
    let cfg: WorkerConfig = round_trip(&worker_config_manifest());
    assert_eq!(cfg.volume.as_ref().unwrap().iops, Some(10000));
    let data = cfg.data_volume("kubelet-dir").unwrap();
    assert_eq!((data.iops, data.throughput, data.snapshot_id.as_deref()), (Some(12345), Some(150), Some("snap-1234")));
    assert_eq!(cfg.iam_instance_profile.as_ref().unwrap().name.as_deref(), Some("my-profile"));
    assert_eq!(cfg.instance_metadata_options.as_ref().unwrap().http_put_response_hop_limit, Some(2));
    assert_eq!(cfg.node_template.as_ref().unwrap().capacity["memory"].0, "50Gi");

    // YAML integers in a node template are quantities too; they come back as strings.
    let cfg: WorkerConfig = serde_json::from_value(json!({"nodeTemplate": {"capacity": {"cpu": 2}}})).unwrap();
    assert_eq!(serde_json::to_value(&cfg).unwrap(), json!({"nodeTemplate": {"capacity": {"cpu": "2"}}}));
}

#[test]
fn worker_status_round_trips() {
    let status: WorkerStatus = round_trip(&worker_status_manifest());
    assert_eq!(status.machine_image("gardenlinux", "1592.9.0", "amd64").unwrap().ami, "ami-0aaaabbbbccccdddd");
    assert!(status.machine_image("gardenlinux", "1592.9.0", "arm64").is_none());
}

#[test]
fn cloud_profile_config_round_trips() {
    let cfg: CloudProfileConfig = round_trip(&cloud_profile_config_manifest());
    assert_eq!(cfg.machine_images[0].versions[0].regions.len(), 3);
    assert_eq!(find_ami(&cfg, "gardenlinux", "1877.2.0", "eu-central-1", "arm64"), Some("ami-0a9b8c7d6e5f40312"));
    // A mapping without architecture is amd64.
    assert_eq!(find_ami(&cfg, "gardenlinux", "1877.2.0", "eu-west-1", "amd64"), Some("ami-01234567890abcdef"));
    assert_eq!(find_ami(&cfg, "gardenlinux", "1877.2.0", "eu-west-1", "arm64"), None);
    assert_eq!(find_ami(&cfg, "gardenlinux", "1.0.0", "eu-central-1", "amd64"), None);
    assert_eq!(find_ami(&cfg, "ubuntu", "1877.2.0", "eu-central-1", "amd64"), None);
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
    assert_eq!(infra.networks.zones[2].name, "eu-central-1c");
    let cp: ControlPlaneConfig =
        decode(provider.control_plane_config.as_ref().unwrap(), "spec.provider.controlPlaneConfig").unwrap();
    assert!(cp.cloud_controller_manager.is_some());
    let worker: WorkerConfig =
        decode(provider.workers[0].provider_config.as_ref().unwrap(), "spec.provider.workers[0].providerConfig")
            .unwrap();
    assert_eq!(worker.data_volumes.len(), 1);
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
    assert_eq!(err.field, "spec.provider.infrastructureConfig.kind");
    assert_eq!(err.message, r#"Unsupported value: "WorkerConfig": supported values: "InfrastructureConfig""#);

    let mut raw = infrastructure_config_manifest();
    raw["apiVersion"] = json!("aws.provider.extensions.gardener.cloud/v1beta1");
    let err = decode::<InfrastructureConfig>(&raw, path).unwrap_err();
    assert_eq!(err.field, "spec.provider.infrastructureConfig.apiVersion");
    assert_eq!(err.reason, "FieldValueNotSupported");

    let mut raw = infrastructure_config_manifest();
    raw.as_object_mut().unwrap().remove("apiVersion");
    let err = decode::<InfrastructureConfig>(&raw, path).unwrap_err();
    assert_eq!(err.line(), "spec.provider.infrastructureConfig.apiVersion: Required value");

    let err = decode::<InfrastructureConfig>(&json!("networks"), path).unwrap_err();
    assert_eq!(err.line(), r#"spec.provider.infrastructureConfig: Invalid value: "networks": must be a JSON object"#);

    let mut raw = infrastructure_config_manifest();
    raw["networks"]["zones"] = json!("eu-central-1a");
    let err = decode::<InfrastructureConfig>(&raw, path).unwrap_err();
    assert_eq!((err.field.as_str(), err.reason), (path, "FieldValueInvalid"));
    assert!(err.message.contains("failed to decode InfrastructureConfig: invalid type: string"), "{}", err.message);

    // Unknown fields are ignored, as in the rest of the crate.
    let mut raw = infrastructure_config_manifest();
    raw["someFutureField"] = json!(true);
    assert!(decode::<InfrastructureConfig>(&raw, path).is_ok());
}

#[test]
fn encode_sets_type_meta() {
    let status =
        InfrastructureStatus { vpc: VpcStatus { id: "vpc-1".into(), ..Default::default() }, ..Default::default() };
    let v = encode(&status);
    assert_eq!(v["apiVersion"], API_VERSION);
    assert_eq!(v["kind"], "InfrastructureStatus");
    assert_eq!(v["vpc"]["id"], "vpc-1");
    assert_eq!(decode::<InfrastructureStatus>(&v, "status.providerStatus").unwrap().vpc.id, "vpc-1");
    let mut w = WorkerStatus::default();
    w.ensure_type_meta();
    assert_eq!((w.api_version.as_str(), w.kind.as_str()), (API_VERSION, "WorkerStatus"));
    assert_eq!(<CloudProfileConfig as ProviderKind>::KIND, "CloudProfileConfig");
}

#[test]
fn schemas_name_the_wire_fields() {
    let schema = serde_json::to_string(&schemars::schema_for!(InfrastructureConfig)).unwrap();
    for field in ["enableECRAccess", "elasticIPAllocationID", "gatewayEndpoints", "keyPrefixes"] {
        assert!(schema.contains(field), "{field}");
    }
    let schema = serde_json::to_string(&schemars::schema_for!(WorkerConfig)).unwrap();
    assert!(schema.contains("snapshotID") && schema.contains("httpPutResponseHopLimit"));
}
