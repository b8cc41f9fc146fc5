//! Recording core/v1 Events about objects (the one event recorder of every controller).

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::api::{Api, PostParams};
use kube::{Client, Resource, ResourceExt};
use tracing::warn;

/// What happened, to whom, and who says so.
pub struct EventRecord<'a> {
    /// `Normal` or `Warning`.
    pub type_: &'a str,
    pub reason: &'a str,
    pub action: &'a str,
    pub message: &'a str,
    /// The reporting controller.
    pub component: &'a str,
}

/// Records an Event about `obj` in `namespace` (best effort: failures are logged, never returned).
pub async fn record<K>(client: &Client, obj: &K, namespace: &str, e: EventRecord<'_>)
where
    K: Resource<DynamicType = ()>,
{
    let now = Timestamp::now();
    let name = obj.name_any();
    let event = Event {
        metadata: ObjectMeta {
            name: Some(format!("{name}.{:x}", now.as_nanosecond())),
            namespace: Some(namespace.into()),
            ..Default::default()
        },
        involved_object: ObjectReference {
            api_version: Some(K::api_version(&()).into_owned()),
            kind: Some(K::kind(&()).into_owned()),
            name: Some(name.clone()),
            namespace: obj.namespace(),
            uid: obj.meta().uid.clone(),
            resource_version: obj.meta().resource_version.clone(),
            ..Default::default()
        },
        reason: Some(e.reason.into()),
        message: Some(e.message.into()),
        type_: Some(e.type_.into()),
        action: Some(e.action.into()),
        count: Some(1),
        first_timestamp: Some(Time(now)),
        last_timestamp: Some(Time(now)),
        source: Some(EventSource { component: Some(e.component.into()), host: None }),
        reporting_component: Some(e.component.into()),
        reporting_instance: Some(e.component.into()),
        ..Default::default()
    };
    let api: Api<Event> = Api::namespaced(client.clone(), namespace);
    if let Err(err) = api.create(&PostParams::default(), &event).await {
        warn!(object = %name, reason = %e.reason, error = %err, "failed to record event");
    }
}
