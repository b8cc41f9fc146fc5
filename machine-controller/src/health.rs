//! Whether a machine's Node is healthy, judged the way kube's node lifecycle controller and MCM do: the
//! `Ready` condition, the node's Lease in `kube-node-lease` (a node agent that stopped renewing it for the
//! grace period is not ready, whatever its last condition says), and MCM's "bad" conditions.

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Node;

/// MCM's default `--node-conditions`: any of these True makes a node unhealthy.
pub const BAD_CONDITIONS: &[&str] =
    &["KernelDeadlock", "ReadonlyFilesystem", "DiskPressure", "NetworkUnavailable", "FrequentUnregisterNetDevice"];

/// What the controller concludes about a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeHealth {
    Ready,
    /// Not ready, with the reason (for `lastOperation.description`).
    NotReady(String),
    /// No Node of that name.
    Missing,
    /// The node stopped renewing its Lease: its `Ready` condition must be set to Unknown (kube's node
    /// lifecycle controller does that; shoots here have none).
    Stale(String),
}

fn age(t: Timestamp, now: Timestamp) -> Duration {
    now.duration_since(t).unsigned_abs()
}

/// The health of `node` (with its `lease`) at `now`.
pub fn node_health(node: Option<&Node>, lease: Option<&Lease>, now: Timestamp, grace: Duration) -> NodeHealth {
    let Some(node) = node else { return NodeHealth::Missing };
    let conditions = node.status.as_ref().and_then(|s| s.conditions.as_ref()).cloned().unwrap_or_default();
    let ready = conditions.iter().find(|c| c.type_ == "Ready");
    let Some(ready) = ready else { return NodeHealth::NotReady("the node has no Ready condition yet".into()) };
    if ready.status != "True" {
        let why = ready.message.clone().or(ready.reason.clone()).unwrap_or_default();
        return NodeHealth::NotReady(format!("node Ready is {}: {why}", ready.status));
    }
    if let Some(bad) = conditions.iter().find(|c| c.status == "True" && BAD_CONDITIONS.contains(&c.type_.as_str())) {
        return NodeHealth::NotReady(format!("node condition {} is True", bad.type_));
    }
    let renewed = lease
        .and_then(|l| l.spec.as_ref())
        .and_then(|s| s.renew_time.as_ref())
        .map(|t| t.0)
        .or(ready.last_heartbeat_time.as_ref().map(|t| t.0));
    match renewed {
        Some(t) if age(t, now) <= grace => NodeHealth::Ready,
        Some(t) => NodeHealth::Stale(format!(
            "the node stopped posting its status ({}s ago, grace period {}s)",
            age(t, now).as_secs(),
            grace.as_secs()
        )),
        None => NodeHealth::Stale("the node never posted a heartbeat".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(ready: &str, heartbeat: &str) -> Node {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "n"},
            "status": {"conditions": [{"type": "Ready", "status": ready, "reason": "KubeletReady", "lastHeartbeatTime": heartbeat}]}
        }))
        .unwrap()
    }

    fn lease(renew: &str) -> Lease {
        serde_json::from_value(serde_json::json!({"metadata": {"name": "n"}, "spec": {"renewTime": renew}})).unwrap()
    }

    #[test]
    fn ready_needs_a_fresh_lease() {
        let now: Timestamp = "2026-01-01T00:01:00Z".parse().unwrap();
        let grace = Duration::from_secs(40);
        let n = node("True", "2026-01-01T00:00:00Z");
        assert_eq!(node_health(Some(&n), Some(&lease("2026-01-01T00:00:50Z")), now, grace), NodeHealth::Ready);
        assert!(matches!(
            node_health(Some(&n), Some(&lease("2026-01-01T00:00:10Z")), now, grace),
            NodeHealth::Stale(_)
        ));
        // Without a lease, the condition's heartbeat counts (60 s old here).
        assert!(matches!(node_health(Some(&n), None, now, grace), NodeHealth::Stale(_)));
        assert_eq!(node_health(None, None, now, grace), NodeHealth::Missing);
        let nr = node("Unknown", "2026-01-01T00:00:59Z");
        assert!(matches!(node_health(Some(&nr), None, now, grace), NodeHealth::NotReady(_)));
    }

    #[test]
    fn bad_conditions_make_a_ready_node_unhealthy() {
        let now: Timestamp = "2026-01-01T00:01:00Z".parse().unwrap();
        let mut n = node("True", "2026-01-01T00:00:59Z");
        let conds = n.status.as_mut().unwrap().conditions.as_mut().unwrap();
        conds.push(serde_json::from_value(serde_json::json!({"type": "DiskPressure", "status": "True"})).unwrap());
        assert_eq!(
            node_health(Some(&n), None, now, Duration::from_secs(40)),
            NodeHealth::NotReady("node condition DiskPressure is True".into())
        );
    }
}
