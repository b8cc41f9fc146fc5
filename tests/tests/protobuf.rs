//! Kubernetes protobuf end to end, on the shoot profile: kubectl's typed requests (protobuf bodies, protobuf
//! responses and error Statuses), and GET / LIST / watch answered in protobuf to a client that asks for it. Every
//! protobuf answer is decoded with k8s-pb's messages and compared with the JSON answer for the same object.

use std::time::Duration;

use garden_e2e::{GardenOptions, TestGarden};
use http_body_util::BodyExt;
use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::core::v1 as core;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::runtime::Unknown;
use prost::Message;
use serde_json::Value;

const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";
/// What client-go sends when protobuf is enabled.
const CLIENT_GO_ACCEPT: &str = "application/vnd.kubernetes.protobuf,application/json";

fn shoot_apiserver() -> TestGarden {
    TestGarden::start_with(GardenOptions {
        apiserver_args: vec!["--api-profile".into(), "shoot".into()],
        ..Default::default()
    })
    .expect("start a test garden with --api-profile shoot")
}

/// GET `path` with `accept`: (status, content type, body).
async fn get(client: &kube::Client, path: &str, accept: &str) -> (u16, String, Vec<u8>) {
    let request = http::Request::get(path).header(http::header::ACCEPT, accept).body(Vec::new()).unwrap();
    let response = client.send(request.map(Into::into)).await.unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = response.into_body().collect().await.unwrap_or_else(|e| panic!("GET {path} body: {e}")).to_bytes();
    (status, content_type, body.to_vec())
}

async fn get_json(client: &kube::Client, path: &str) -> Value {
    let (status, _, body) = get(client, path, "application/json").await;
    assert_eq!(status, 200, "GET {path}: {}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

/// The envelope of a protobuf body: (apiVersion, kind, raw message).
fn unwrap_envelope(body: &[u8]) -> (String, String, Vec<u8>) {
    let data =
        body.strip_prefix(b"k8s\0").unwrap_or_else(|| panic!("no k8s\\0 prefix: {:?}", &body[..body.len().min(16)]));
    let unknown = Unknown::decode(data).expect("runtime.Unknown envelope");
    let type_meta = unknown.type_meta.unwrap_or_default();
    (type_meta.api_version.unwrap_or_default(), type_meta.kind.unwrap_or_default(), unknown.raw.unwrap_or_default())
}

fn s(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// ObjectMeta from protobuf against the JSON metadata.
fn assert_same_meta(pb: &meta::ObjectMeta, json: &Value) {
    assert_eq!(pb.name, s(&json["name"]), "name");
    assert_eq!(pb.namespace, s(&json["namespace"]), "namespace");
    assert_eq!(pb.uid, s(&json["uid"]), "uid");
    assert_eq!(pb.resource_version, s(&json["resourceVersion"]), "resourceVersion");
    assert_eq!(pb.generation, json["generation"].as_i64(), "generation");
    let labels: std::collections::BTreeMap<String, String> =
        serde_json::from_value(json["labels"].clone()).unwrap_or_default();
    assert_eq!(pb.labels, labels, "labels");
    let created = json["creationTimestamp"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    assert_eq!(pb.creation_timestamp.as_ref().and_then(|t| t.seconds), Some(created.as_second()), "creationTimestamp");
    assert_eq!(pb.managed_fields.len(), json["managedFields"].as_array().map_or(0, Vec::len), "managedFields");
}

fn assert_same_config_map(pb: &core::ConfigMap, json: &Value) {
    assert_same_meta(pb.metadata.as_ref().unwrap(), &json["metadata"]);
    let data: std::collections::BTreeMap<String, String> =
        serde_json::from_value(json["data"].clone()).unwrap_or_default();
    assert_eq!(pb.data, data, "data");
}

#[tokio::test(flavor = "multi_thread")]
async fn kubectl_and_client_go_speak_protobuf() {
    let shoot = shoot_apiserver();

    // kubectl's typed clients send these as protobuf bodies and read protobuf answers.
    let out = shoot.kubectl(&["create", "deployment", "web", "--image=nginx"]);
    assert!(out.status.success(), "kubectl create deployment: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("deployment.apps/web created"));
    let out = shoot.kubectl(&["create", "service", "clusterip", "web", "--tcp=80"]);
    assert!(out.status.success(), "kubectl create service: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("service/web created"));

    // The empty structs kubectl sends (`strategy: {}`, a zero targetPort) are defaulted as kube defaults them.
    let deployment: Value =
        serde_json::from_str(&shoot.kubectl_ok(&["get", "deployment", "web", "-o", "json"])).unwrap();
    let spec = &deployment["spec"];
    assert_eq!(spec["strategy"]["type"], "RollingUpdate", "{deployment}");
    assert_eq!(spec["strategy"]["rollingUpdate"]["maxSurge"], "25%", "{deployment}");
    assert_eq!(spec["strategy"]["rollingUpdate"]["maxUnavailable"], "25%", "{deployment}");
    assert_eq!(spec["replicas"], 1);
    assert_eq!(spec["selector"]["matchLabels"]["app"], "web");
    assert_eq!(spec["template"]["spec"]["containers"][0]["image"], "nginx");
    assert_eq!(spec["template"]["spec"]["restartPolicy"], "Always");
    assert!(deployment["metadata"].get("generateName").is_none(), "empty strings are unset: {deployment}");
    let service: Value = serde_json::from_str(&shoot.kubectl_ok(&["get", "service", "web", "-o", "json"])).unwrap();
    let port = &service["spec"]["ports"][0];
    assert_eq!((port["port"].as_i64(), port["targetPort"].as_i64()), (Some(80), Some(80)), "{service}");
    assert_eq!(port["protocol"], "TCP");
    assert_eq!(service["spec"]["type"], "ClusterIP");

    // Errors come back as protobuf Statuses, which kubectl turns into kube's messages.
    let out = shoot.kubectl(&["create", "deployment", "web", "--image=nginx"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(r#"deployments.apps "web" already exists"#), "{stderr}");
    let out = shoot.kubectl(&["create", "service", "clusterip", "web", "--tcp=80", "-n", "nosuch"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains(r#"namespaces "nosuch" not found"#), "{stderr}");

    let client = shoot.client().await.unwrap();

    // GET of one object.
    let path = "/apis/apps/v1/namespaces/default/deployments/web";
    let (status, content_type, body) = get(&client, path, CLIENT_GO_ACCEPT).await;
    assert_eq!((status, content_type.as_str()), (200, PROTOBUF));
    let json = get_json(&client, path).await;
    let (api_version, kind, raw) = unwrap_envelope(&body);
    assert_eq!((api_version.as_str(), kind.as_str()), ("apps/v1", "Deployment"));
    let pb = apps::Deployment::decode(raw.as_slice()).unwrap();
    assert_same_meta(pb.metadata.as_ref().unwrap(), &json["metadata"]);
    let pb_spec = pb.spec.unwrap();
    assert_eq!(pb_spec.replicas, Some(1));
    assert_eq!(pb_spec.strategy.unwrap().r#type.as_deref(), Some("RollingUpdate"));
    let container = &pb_spec.template.unwrap().spec.unwrap().containers[0];
    assert_eq!((container.name.as_deref(), container.image.as_deref()), (Some("nginx"), Some("nginx")));
    let (status, content_type, body) = get(&client, "/api/v1/namespaces/default/services/web", PROTOBUF).await;
    assert_eq!((status, content_type.as_str()), (200, PROTOBUF));
    let pb = core::Service::decode(unwrap_envelope(&body).2.as_slice()).unwrap();
    let pb_port = &pb.spec.unwrap().ports[0];
    assert_eq!((pb_port.port, pb_port.target_port.as_ref().and_then(|t| t.int_val)), (Some(80), Some(80)));

    // LIST: the same items as JSON, in the same order, with the list's resourceVersion.
    for i in 0..5 {
        shoot.kubectl_ok(&["create", "configmap", &format!("cm-{i}"), &format!("--from-literal=k=v{i}")]);
    }
    let path = "/api/v1/namespaces/default/configmaps";
    let (status, content_type, body) = get(&client, path, CLIENT_GO_ACCEPT).await;
    assert_eq!((status, content_type.as_str()), (200, PROTOBUF));
    let (api_version, kind, raw) = unwrap_envelope(&body);
    assert_eq!((api_version.as_str(), kind.as_str()), ("v1", "ConfigMapList"));
    let list = core::ConfigMapList::decode(raw.as_slice()).unwrap();
    let json = get_json(&client, path).await;
    let items = json["items"].as_array().unwrap();
    assert_eq!(list.items.len(), items.len());
    assert!(list.items.len() >= 5);
    for (pb, json) in list.items.iter().zip(items) {
        assert_same_config_map(pb, json);
    }
    let list_rv = list.metadata.unwrap().resource_version.unwrap();
    assert!(list_rv.parse::<i64>().is_ok(), "list resourceVersion {list_rv:?}");

    // Errors as protobuf Status.
    let (status, content_type, body) = get(&client, "/api/v1/namespaces/default/configmaps/nope", PROTOBUF).await;
    assert_eq!((status, content_type.as_str()), (404, PROTOBUF));
    let (api_version, kind, raw) = unwrap_envelope(&body);
    assert_eq!((api_version.as_str(), kind.as_str()), ("v1", "Status"));
    let st = meta::Status::decode(raw.as_slice()).unwrap();
    assert_eq!((st.status.as_deref(), st.reason.as_deref(), st.code), (Some("Failure"), Some("NotFound"), Some(404)));
    assert_eq!(st.message.as_deref(), Some(r#"configmaps "nope" not found"#));
    assert_eq!(st.details.unwrap().name.as_deref(), Some("nope"));

    // watch from the list's revision: length-prefixed WatchEvent frames, each object an enveloped ConfigMap.
    shoot.kubectl_ok(&["create", "configmap", "watched", "--from-literal=k=w"]);
    shoot.kubectl_ok(&["delete", "configmap", "cm-0"]);
    let watch = format!("{path}?watch=1&resourceVersion={list_rv}&timeoutSeconds=3");
    let (status, content_type, body) =
        tokio::time::timeout(Duration::from_secs(30), get(&client, &watch, CLIENT_GO_ACCEPT)).await.unwrap();
    assert_eq!((status, content_type.as_str()), (200, "application/vnd.kubernetes.protobuf;stream=watch"));
    let mut events = Vec::new();
    let mut rest = body.as_slice();
    while !rest.is_empty() {
        let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        let event = meta::WatchEvent::decode(&rest[4..4 + len]).expect("a WatchEvent frame");
        let (api_version, kind, raw) = unwrap_envelope(&event.object.unwrap().raw.unwrap());
        assert_eq!((api_version.as_str(), kind.as_str()), ("v1", "ConfigMap"));
        events.push((event.r#type.unwrap(), core::ConfigMap::decode(raw.as_slice()).unwrap()));
        rest = &rest[4 + len..];
    }
    let names: Vec<(&str, &str)> = events
        .iter()
        .map(|(t, cm)| (t.as_str(), cm.metadata.as_ref().unwrap().name.as_deref().unwrap_or_default()))
        .collect();
    assert_eq!(names, [("ADDED", "watched"), ("DELETED", "cm-0")]);
    let watched = get_json(&client, &format!("{path}/watched")).await;
    assert_same_config_map(&events[0].1, &watched);
}
