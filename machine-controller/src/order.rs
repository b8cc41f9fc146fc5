//! Which machines go first when a MachineSet shrinks (MCM's order): a lower
//! `machinepriority.machine.sapcloud.io` annotation first (default 3), then by phase (Terminating, Failed,
//! CrashLoopBackOff, Unknown, Pending, Available, Running), then the newest first.

use std::cmp::Ordering;

use garden_api::machine::v1alpha1::{phase, Machine, MACHINE_PRIORITY_ANNOTATION};

const DEFAULT_PRIORITY: i64 = 3;

fn priority(m: &Machine) -> i64 {
    m.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(MACHINE_PRIORITY_ANNOTATION))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(DEFAULT_PRIORITY)
}

/// The machine's phase (empty before the controller first wrote one).
pub fn phase_of(m: &Machine) -> &str {
    m.status.as_ref().map(|s| s.current_status.phase.as_str()).unwrap_or("")
}

fn phase_rank(m: &Machine) -> u8 {
    if m.metadata.deletion_timestamp.is_some() {
        return 0;
    }
    match phase_of(m) {
        phase::TERMINATING => 0,
        phase::FAILED => 1,
        phase::CRASH_LOOP_BACK_OFF => 2,
        phase::UNKNOWN => 3,
        phase::PENDING | "" => 4,
        phase::AVAILABLE => 5,
        _ => 6,
    }
}

/// `a` before `b` when `a` should be deleted first.
pub fn deletion_order(a: &Machine, b: &Machine) -> Ordering {
    priority(a)
        .cmp(&priority(b))
        .then_with(|| phase_rank(a).cmp(&phase_rank(b)))
        .then_with(|| b.metadata.creation_timestamp.cmp(&a.metadata.creation_timestamp))
        .then_with(|| a.metadata.name.cmp(&b.metadata.name))
}

/// The `n` machines to delete first.
pub fn pick_for_deletion(machines: &[Machine], n: usize) -> Vec<&Machine> {
    let mut sorted: Vec<&Machine> = machines.iter().collect();
    sorted.sort_by(|a, b| deletion_order(a, b));
    sorted.truncate(n);
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(name: &str, phase: &str, created: &str, priority: Option<&str>) -> Machine {
        let mut v = serde_json::json!({
            "metadata": {"name": name, "creationTimestamp": created},
            "status": {"currentStatus": {"phase": phase}}
        });
        if let Some(p) = priority {
            v["metadata"]["annotations"] = serde_json::json!({MACHINE_PRIORITY_ANNOTATION: p});
        }
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn priority_then_phase_then_newest() {
        let ms = vec![
            m("running-old", "Running", "2026-01-01T00:00:00Z", None),
            m("running-new", "Running", "2026-01-02T00:00:00Z", None),
            m("pending", "Pending", "2026-01-01T00:00:00Z", None),
            m("unknown", "Unknown", "2026-01-01T00:00:00Z", None),
            m("failed", "Failed", "2026-01-01T00:00:00Z", None),
            m("keep-me", "Failed", "2026-01-01T00:00:00Z", Some("5")),
            m("first", "Running", "2026-01-01T00:00:00Z", Some("1")),
        ];
        let names: Vec<&str> = pick_for_deletion(&ms, 7).iter().map(|m| m.metadata.name.as_deref().unwrap()).collect();
        assert_eq!(names, ["first", "failed", "unknown", "pending", "running-new", "running-old", "keep-me"]);
        assert_eq!(pick_for_deletion(&ms, 2).len(), 2);
    }
}
