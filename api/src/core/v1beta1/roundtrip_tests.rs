//! JSON round-trip and resource-trait tests.

use super::*;
use crate::security::v1alpha1::CredentialsBinding;
use k8s_openapi::{ListableResource, Metadata, Resource};
use serde_json::{json, Value};

fn example_shoot_manifest() -> Value {
    serde_json::from_str(
        r#"{
        "apiVersion": "core.gardener.cloud/v1beta1",
        "kind": "Shoot",
        "metadata": {
            "name": "crazy-botany",
            "namespace": "garden-dev",
            "labels": {"shoot.gardener.cloud/status": "healthy"},
            "annotations": {"gardener.cloud/created-by": "john.doe@example.com"},
            "uid": "1b4e2a1c-4f3f-4f7e-8a0c-3b0e4f5d6a7b",
            "resourceVersion": "42",
            "generation": 3,
            "creationTimestamp": "2025-05-01T10:00:00Z",
            "finalizers": ["gardener"]
        },
        "spec": {
            "addons": {"kubernetesDashboard": {"enabled": false}, "nginxIngress": {"enabled": false}},
            "cloudProfileName": "aws",
            "cloudProfile": {"kind": "CloudProfile", "name": "aws"},
            "secretBindingName": "my-aws-credentials",
            "region": "eu-west-1",
            "purpose": "evaluation",
            "seedName": "aws-eu1",
            "seedSelector": {"matchLabels": {"environment": "prod"}, "providerTypes": ["aws"]},
            "dns": {"domain": "crazy-botany.core.my-custom-domain.com", "providers": [{"type": "aws-route53", "secretName": "dns", "primary": true, "domains": {"include": ["my-custom-domain.com"], "exclude": ["internal.my-custom-domain.com"]}}]},
            "extensions": [{"type": "shoot-dns-service", "providerConfig": {"apiVersion": "service.dns.extensions.gardener.cloud/v1alpha1", "kind": "DNSConfig", "dnsProviderReplication": {"enabled": true}}}],
            "resources": [{"name": "my-secret", "resourceRef": {"apiVersion": "v1", "kind": "Secret", "name": "my-secret"}}],
            "tolerations": [{"key": "seed.gardener.cloud/protected"}],
            "hibernation": {"enabled": false, "schedules": [{"start": "00 17 * * 1,2,3,4,5", "end": "00 08 * * 1,2,3,4,5", "location": "Europe/Berlin"}]},
            "kubernetes": {
                "version": "1.33.2",
                "kubeAPIServer": {
                    "featureGates": {"SomeKubernetesFeature": true},
                    "runtimeConfig": {"scheduling.k8s.io/v1alpha1": true},
                    "admissionPlugins": [{"name": "PodNodeSelector", "config": {"podNodeSelectorPluginConfig": {"clusterDefaultNodeSelector": "<node-selectors-labels>"}}}],
                    "auditConfig": {"auditPolicy": {"configMapRef": {"name": "auditpolicy"}}},
                    "eventTTL": "1h0m0s",
                    "requests": {"maxNonMutatingInflight": 400, "maxMutatingInflight": 200},
                    "logging": {"verbosity": 2, "httpAccessVerbosity": 3},
                    "defaultNotReadyTolerationSeconds": 300,
                    "defaultUnreachableTolerationSeconds": 300
                },
                "kubeControllerManager": {"nodeCIDRMaskSize": 24, "nodeMonitorGracePeriod": "40s", "horizontalPodAutoscaler": {"syncPeriod": "30s", "tolerance": 0.1}},
                "kubeScheduler": {"profile": "balanced"},
                "kubeProxy": {"mode": "IPTables", "enabled": true},
                "kubelet": {"cpuCFSQuota": true, "cpuManagerPolicy": "none", "podPidsLimit": 10, "maxPods": 110, "imageGCHighThresholdPercent": 50, "imageGCLowThresholdPercent": 40, "failSwapOn": true, "evictionHard": {"memoryAvailable": "100Mi", "imageFSAvailable": "5%"}},
                "clusterAutoscaler": {"scaleDownUtilizationThreshold": 0.5, "expander": "least-waste"},
                "verticalPodAutoscaler": {"enabled": true}
            },
            "networking": {"type": "calico", "providerConfig": {"apiVersion": "calico.networking.extensions.gardener.cloud/v1alpha1", "kind": "NetworkConfig"}, "nodes": "10.250.0.0/16", "pods": "100.96.0.0/11", "services": "100.64.0.0/13", "ipFamilies": ["IPv4"]},
            "maintenance": {"timeWindow": {"begin": "220000+0100", "end": "230000+0100"}, "autoUpdate": {"kubernetesVersion": true, "machineImageVersion": true}},
            "provider": {
                "type": "aws",
                "infrastructureConfig": {"apiVersion": "aws.provider.extensions.gardener.cloud/v1alpha1", "kind": "InfrastructureConfig", "networks": {"vpc": {"cidr": "10.250.0.0/16"}, "zones": [{"name": "eu-west-1a", "internal": "10.250.112.0/22", "public": "10.250.96.0/22", "workers": "10.250.0.0/19"}]}},
                "controlPlaneConfig": {"apiVersion": "aws.provider.extensions.gardener.cloud/v1alpha1", "kind": "ControlPlaneConfig"},
                "workers": [{
                    "name": "cpu-worker",
                    "minimum": 3,
                    "maximum": 5,
                    "maxSurge": 1,
                    "maxUnavailable": "10%",
                    "machine": {"type": "m5.large", "image": {"name": "gardenlinux", "version": "1877.2.0"}, "architecture": "amd64"},
                    "volume": {"type": "gp3", "size": "20Gi", "encrypted": true},
                    "dataVolumes": [{"name": "kubelet-dir", "type": "gp3", "size": "25Gi"}],
                    "kubeletDataVolumeName": "kubelet-dir",
                    "labels": {"key": "value"},
                    "annotations": {"key": "value"},
                    "taints": [{"key": "key", "value": "value", "effect": "NoSchedule"}],
                    "cri": {"name": "containerd"},
                    "zones": ["eu-west-1a"],
                    "systemComponents": {"allow": true},
                    "machineControllerManager": {"machineDrainTimeout": "2h0m0s"},
                    "updateStrategy": "AutoRollingUpdate"
                }],
                "workersSettings": {"sshAccess": {"enabled": true}}
            },
            "systemComponents": {"coreDNS": {"autoscaling": {"mode": "horizontal"}}, "nodeLocalDNS": {"enabled": true, "forceTCPToClusterDNS": true}},
            "controlPlane": {"highAvailability": {"failureTolerance": {"type": "zone"}}},
            "schedulerName": "default-scheduler",
            "exposureClassName": "internet"
        },
        "status": {
            "conditions": [{"type": "APIServerAvailable", "status": "True", "lastTransitionTime": "2025-05-01T10:10:00Z", "lastUpdateTime": "2025-05-01T10:10:00Z", "reason": "HealthzRequestSucceeded", "message": "API server /healthz endpoint responded with success status code."}],
            "constraints": [{"type": "HibernationPossible", "status": "True", "lastTransitionTime": "2025-05-01T10:10:00Z", "lastUpdateTime": "2025-05-01T10:10:00Z", "reason": "NoProblematicWebhooks", "message": "All webhooks are properly configured.", "codes": ["ERR_INFRA_QUOTA_EXCEEDED"]}],
            "gardener": {"id": "4c9832b3823ee6784064877d3eb10c189fc26e98a1286c0d8a5bf6ee2e7f3e", "name": "gardenlet-5b9c8f6d4-x2x7z", "version": "1.120.0"},
            "hibernated": false,
            "lastOperation": {"description": "Shoot cluster has been successfully reconciled.", "lastUpdateTime": "2025-05-01T10:10:00Z", "progress": 100, "state": "Succeeded", "type": "Reconcile"},
            "lastErrors": [{"description": "something failed", "taskID": "Deploying infrastructure", "codes": ["ERR_INFRA_UNAUTHORIZED"], "lastUpdateTime": "2025-05-01T10:05:00Z"}],
            "observedGeneration": 3,
            "seedName": "aws-eu1",
            "technicalID": "shoot--dev--crazy-botany",
            "uid": "1b4e2a1c-4f3f-4f7e-8a0c-3b0e4f5d6a7b",
            "clusterIdentity": "shoot--dev--crazy-botany-1b4e2a1c-garden",
            "advertisedAddresses": [{"name": "external", "url": "https://api.crazy-botany.dev.example.com"}],
            "credentials": {"rotation": {"sshKeypair": {"lastCompletionTime": "2025-05-01T10:10:00Z"}}},
            "networking": {"nodes": ["10.250.0.0/16"], "pods": ["100.96.0.0/11"], "services": ["100.64.0.0/13"], "egressCIDRs": ["1.2.3.4/32"]}
        }
    }"#,
    )
    .unwrap()
}

#[test]
fn realistic_shoot_round_trips_exactly() {
    let manifest = example_shoot_manifest();
    let shoot: Shoot = serde_json::from_value(manifest.clone()).unwrap();
    assert_eq!(shoot.spec.provider.workers[0].machine.type_, "m5.large");
    assert_eq!(shoot.status.as_ref().unwrap().technical_id, "shoot--dev--crazy-botany");
    assert_eq!(shoot.status.as_ref().unwrap().last_errors[0].task_id.as_deref(), Some("Deploying infrastructure"));
    assert_eq!(serde_json::to_value(&shoot).unwrap(), manifest);
}

#[test]
fn unknown_fields_are_ignored() {
    let mut manifest = example_shoot_manifest();
    manifest["spec"]["someFutureField"] = json!({"x": 1});
    manifest["spec"]["provider"]["workers"][0]["bogus"] = json!(true);
    let shoot: Shoot = serde_json::from_value(manifest).unwrap();
    assert_eq!(shoot.spec.region, "eu-west-1");
}

#[test]
fn minimal_objects_round_trip() {
    {
        let v = json!({"apiVersion": "core.gardener.cloud/v1beta1", "kind": "SecretBinding", "metadata": {"name": "b", "namespace": "garden-dev"}, "secretRef": {"name": "s", "namespace": "garden-dev"}, "quotas": [{"name": "q", "namespace": "garden"}], "provider": {"type": "aws"}});
        let b: SecretBinding = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(serde_json::to_value(&b).unwrap(), v);
    }
    let cb = json!({"apiVersion": "security.gardener.cloud/v1alpha1", "kind": "CredentialsBinding", "metadata": {"name": "b", "namespace": "garden-dev"}, "provider": {"type": "aws"}, "credentialsRef": {"apiVersion": "v1", "kind": "Secret", "name": "s", "namespace": "garden-dev"}});
    let b: CredentialsBinding = serde_json::from_value(cb.clone()).unwrap();
    assert_eq!(serde_json::to_value(&b).unwrap(), cb);
    let project = json!({"apiVersion": "core.gardener.cloud/v1beta1", "kind": "Project", "metadata": {"name": "dev"},
        "spec": {"createdBy": {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "john"}, "owner": {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "john"},
        "members": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "john", "role": "admin", "roles": ["owner"]}, {"kind": "ServiceAccount", "name": "robot", "namespace": "garden-dev", "role": "viewer"}],
        "namespace": "garden-dev", "tolerations": {"defaults": [{"key": "a"}], "whitelist": [{"key": "a"}]}},
        "status": {"observedGeneration": 1, "phase": "Ready", "lastActivityTimestamp": "2025-05-01T10:10:00Z"}});
    let p: Project = serde_json::from_value(project.clone()).unwrap();
    assert_eq!(serde_json::to_value(&p).unwrap(), project);
    let seed = json!({"apiVersion": "core.gardener.cloud/v1beta1", "kind": "Seed", "metadata": {"name": "aws-eu1"},
        "spec": {"provider": {"type": "aws", "region": "eu-west-1", "zones": ["eu-west-1a"]}, "dns": {"provider": {"type": "aws-route53", "credentialsRef": {"apiVersion": "v1", "kind": "Secret", "name": "dns", "namespace": "garden"}}},
        "networks": {"nodes": "10.0.0.0/16", "pods": "10.1.0.0/16", "services": "10.2.0.0/16", "shootDefaults": {"pods": "100.96.0.0/11", "services": "100.64.0.0/13"}, "blockCIDRs": ["169.254.169.254/32"]},
        "ingress": {"domain": "ingress.example.com", "controller": {"kind": "nginx"}}, "taints": [{"key": "seed.gardener.cloud/protected"}], "settings": {"scheduling": {"visible": true}}},
        "status": {"kubernetesVersion": "1.33.2", "capacity": {"shoots": "250"}, "allocatable": {"shoots": "200"}, "observedGeneration": 2}});
    let s: Seed = serde_json::from_value(seed.clone()).unwrap();
    assert_eq!(serde_json::to_value(&s).unwrap(), seed);
    let quota = json!({"apiVersion": "core.gardener.cloud/v1beta1", "kind": "Quota", "metadata": {"name": "trial", "namespace": "garden-dev"},
        "spec": {"clusterLifetimeDays": 14, "metrics": {"cpu": "200", "memory": "4000Gi"}, "scope": {"apiVersion": "core.gardener.cloud/v1beta1", "kind": "Project"}}});
    let q: Quota = serde_json::from_value(quota.clone()).unwrap();
    assert_eq!(serde_json::to_value(&q).unwrap(), quota);
    let ncp = json!({"apiVersion": "core.gardener.cloud/v1beta1", "kind": "NamespacedCloudProfile", "metadata": {"name": "custom", "namespace": "garden-dev"},
        "spec": {"parent": {"kind": "CloudProfile", "name": "aws"}, "machineTypes": [{"name": "x1", "cpu": "4", "gpu": "0", "memory": "16Gi"}]}});
    let n: NamespacedCloudProfile = serde_json::from_value(ncp.clone()).unwrap();
    assert_eq!(serde_json::to_value(&n).unwrap(), ncp);
}

#[test]
fn resource_traits() {
    assert_eq!(Shoot::API_VERSION, "core.gardener.cloud/v1beta1");
    assert_eq!(Shoot::URL_PATH_SEGMENT, "shoots");
    assert_eq!(Shoot::LIST_KIND, "ShootList");
    assert_eq!(CloudProfile::URL_PATH_SEGMENT, CLOUD_PROFILES);
    assert_eq!(NamespacedCloudProfile::KIND, "NamespacedCloudProfile");
    assert_eq!(SecretBinding::URL_PATH_SEGMENT, "secretbindings");
    assert_eq!(Quota::URL_PATH_SEGMENT, "quotas");
    assert_eq!(Project::GROUP, "core.gardener.cloud");
    assert_eq!(Seed::VERSION, "v1beta1");
    assert_eq!(CredentialsBinding::API_VERSION, "security.gardener.cloud/v1alpha1");
    assert_eq!(CredentialsBinding::URL_PATH_SEGMENT, "credentialsbindings");
    let mut s = Shoot::default();
    s.metadata_mut().name = Some("x".into());
    s.ensure_type_meta();
    assert_eq!(
        (s.api_version.as_str(), s.kind.as_str(), s.metadata().name.as_deref()),
        ("core.gardener.cloud/v1beta1", "Shoot", Some("x"))
    );
    let schema = schemars::schema_for!(Shoot);
    assert!(serde_json::to_string(&schema).unwrap().contains("kubeAPIServer"));
}
