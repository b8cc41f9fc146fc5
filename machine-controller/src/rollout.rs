//! The arithmetic of MachineDeployment rollouts (kube's Deployment rules, as MCM uses them), as pure
//! functions over replica counts.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// `maxSurge` / `maxUnavailable` resolved against `replicas`: surge rounds up, unavailability down, and
/// when both come out 0 one machine may be unavailable (else nothing could ever move).
pub fn resolve_surge_unavailable(
    max_surge: Option<&IntOrString>,
    max_unavailable: Option<&IntOrString>,
    replicas: i32,
) -> (i32, i32) {
    let resolve = |v: Option<&IntOrString>, default: i32, round_up: bool| match v {
        None => default,
        Some(IntOrString::Int(i)) => (*i).max(0),
        Some(IntOrString::String(s)) => {
            let pct: f64 = s.trim_end_matches('%').trim().parse().unwrap_or(0.0);
            let exact = pct * f64::from(replicas) / 100.0;
            let v = if round_up { exact.ceil() } else { exact.floor() };
            (v as i32).max(0)
        }
    };
    let surge = resolve(max_surge, 1, true);
    let unavailable = resolve(max_unavailable, 0, false);
    if surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable)
    }
}

/// One machine set's counts as the rollout sees them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetCounts {
    /// `spec.replicas`.
    pub desired: i32,
    /// Machines that count as available (Running for `minReadySeconds`).
    pub available: i32,
}

/// How far the new set may grow now: up to `replicas`, within `replicas + max_surge` machines in all.
pub fn new_set_target(replicas: i32, max_surge: i32, new: SetCounts, all_desired: i32) -> i32 {
    let allowed = replicas + max_surge;
    if all_desired >= allowed {
        return new.desired.min(replicas);
    }
    (new.desired + (allowed - all_desired)).min(replicas).max(new.desired.min(replicas))
}

/// How many old machines may go now without dropping below `replicas - max_unavailable` available ones,
/// counting the new set's machines that are not available yet as unavailable.
pub fn old_scale_down_budget(replicas: i32, max_unavailable: i32, new: SetCounts, old: &[SetCounts]) -> i32 {
    let min_available = replicas - max_unavailable;
    let all_desired: i32 = new.desired + old.iter().map(|o| o.desired).sum::<i32>();
    let new_unavailable = (new.desired - new.available).max(0);
    let max_total_unavailable_ok = all_desired - min_available - new_unavailable;
    max_total_unavailable_ok.max(0)
}

/// Spreads `to_remove` machines over old sets: first their unavailable machines (they cost no
/// availability), then the rest from the largest sets first (proportional in effect), returning the new
/// desired counts in the same order.
pub fn scale_down_old(old: &[SetCounts], mut budget: i32, unhealthy_first: bool) -> Vec<i32> {
    let mut desired: Vec<i32> = old.iter().map(|o| o.desired).collect();
    if unhealthy_first {
        for (i, o) in old.iter().enumerate() {
            let unhealthy = (o.desired - o.available).max(0).min(desired[i]);
            let take = unhealthy.min(budget);
            desired[i] -= take;
            budget -= take;
        }
    }
    while budget > 0 {
        let Some((i, _)) = desired.iter().enumerate().filter(|(_, d)| **d > 0).max_by_key(|(_, d)| **d) else {
            break;
        };
        desired[i] -= 1;
        budget -= 1;
    }
    desired
}

/// Proportional scaling of all sets when the deployment's size changes mid-rollout (kube's
/// `scale()` with `deployment.kubernetes.io/max-replicas`): each set keeps its share of the new total
/// (`replicas + max_surge`), the rounding leftover goes to the largest set.
pub fn proportional(desired: &[i32], new_total: i32) -> Vec<i32> {
    let current: i32 = desired.iter().sum();
    if current == 0 || desired.is_empty() {
        return desired.to_vec();
    }
    let mut out: Vec<i32> =
        desired.iter().map(|d| ((i64::from(*d) * i64::from(new_total)) / i64::from(current)) as i32).collect();
    let leftover = new_total - out.iter().sum::<i32>();
    // The first of the largest (callers put the new set first).
    if let Some((i, _)) = desired.iter().enumerate().rev().max_by_key(|(_, d)| **d) {
        out[i] = (out[i] + leftover).max(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pct(s: &str) -> IntOrString {
        IntOrString::String(s.into())
    }

    #[test]
    fn surge_and_unavailable_resolve_like_kube() {
        assert_eq!(resolve_surge_unavailable(None, None, 3), (1, 0));
        assert_eq!(resolve_surge_unavailable(Some(&pct("25%")), Some(&pct("25%")), 10), (3, 2));
        assert_eq!(resolve_surge_unavailable(Some(&IntOrString::Int(0)), Some(&IntOrString::Int(0)), 3), (0, 1));
        assert_eq!(resolve_surge_unavailable(Some(&IntOrString::Int(2)), Some(&IntOrString::Int(1)), 3), (2, 1));
    }

    #[test]
    fn rolling_with_surge_one_and_no_unavailability() {
        // 3 old available, new 0: the new set may add one machine.
        let old = [SetCounts { desired: 3, available: 3 }];
        let new = SetCounts::default();
        assert_eq!(new_set_target(3, 1, new, 3), 1);
        // Nothing old may go until the new machine is available.
        let new = SetCounts { desired: 1, available: 0 };
        assert_eq!(old_scale_down_budget(3, 0, new, &old), 0);
        let new = SetCounts { desired: 1, available: 1 };
        assert_eq!(old_scale_down_budget(3, 0, new, &old), 1);
        assert_eq!(scale_down_old(&old, 1, true), [2]);
        // At the surge limit the new set does not grow further.
        assert_eq!(new_set_target(3, 1, new, 4), 1);
        assert_eq!(new_set_target(3, 1, new, 3), 2);
    }

    #[test]
    fn unhealthy_old_machines_go_first() {
        let old = [SetCounts { desired: 2, available: 2 }, SetCounts { desired: 2, available: 0 }];
        assert_eq!(scale_down_old(&old, 2, true), [2, 0]);
        assert_eq!(scale_down_old(&old, 3, true), [1, 0]);
    }

    #[test]
    fn proportional_scaling_keeps_shares() {
        assert_eq!(proportional(&[4, 2], 3), [2, 1]);
        assert_eq!(proportional(&[3, 1], 8), [6, 2]);
        assert_eq!(proportional(&[1, 1], 3), [2, 1]);
        assert_eq!(proportional(&[0, 0], 3), [0, 0]);
    }
}
