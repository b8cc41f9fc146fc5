//! Hibernation of a workerless shoot on the local seed: `spec.hibernation.enabled: true` stops the shoot's
//! control plane (no process left, the API server does not answer) and reports `status.hibernated`; waking up
//! brings the same data back. A restarted gardenlet adopts the running control plane (same API server PID)
//! and its supervisor restarts a killed API server. A hibernation schedule hibernates the shoot at its cron
//! minute (garden-controller-manager flips `spec.hibernation.enabled`, the gardenlet stops the control plane).

use std::path::Path;
use std::time::Duration;

use garden_e2e::shoot::{self, alive, no_process_runs, pid_of, KillPlaneOnDrop};
use garden_e2e::{assert_eventually, GardenOptions, TestGarden};
use serde_json::Value;

const NAME: &str = "local-workerless";
const TECHNICAL_ID: &str = "shoot--dev--local-workerless";

fn shoot_field(garden: &TestGarden, jsonpath: &str) -> String {
    shoot::field(garden, "garden-dev", NAME, jsonpath)
}

fn last_operation(garden: &TestGarden) -> String {
    shoot::last_operation(garden, "garden-dev", NAME)
}

/// The HIBERNATION column of `kubectl get shoot` (first word: "Waking Up" gives "Waking").
fn hibernation_column(garden: &TestGarden) -> String {
    let table = garden.kubectl_ok(&["-n", "garden-dev", "get", "shoot", NAME]);
    let mut lines = table.lines();
    let header = lines.next().unwrap_or_default();
    let row = lines.next().unwrap_or_default();
    match header.find("HIBERNATION") {
        Some(i) if row.len() > i => row[i..].split_whitespace().next().unwrap_or_default().to_string(),
        _ => String::new(),
    }
}

fn read_keep_me(garden: &TestGarden, admin: &Path) -> Option<String> {
    let out = garden.kubectl_as(admin, &["get", "configmap", "keep-me", "-o", "jsonpath={.data.a}"]);
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).to_string())
}

#[test]
fn hibernation_stops_the_control_plane_and_wake_up_keeps_the_data() {
    let mut garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    let state_dir = garden.start_local_seed_with_dev_project().unwrap();
    let (config, _) = garden.local_seed_config();
    shoot::create_workerless(&garden, NAME);
    assert_eq!(hibernation_column(&garden), "Awake");
    let plane = state_dir.join(TECHNICAL_ID);
    let _cleanup = KillPlaneOnDrop(plane.clone());
    let admin = shoot::admin_kubeconfig(&garden, "garden-dev", NAME, "shoot-admin.kubeconfig");
    garden.kubectl_as_ok(&admin, &["create", "configmap", "keep-me", "--from-literal=a=kept"]);
    assert_eq!(read_keep_me(&garden, &admin).as_deref(), Some("kept"));

    // Hibernate: the control plane stops, its data stays.
    shoot::merge_patch(&garden, "garden-dev", NAME, r#"{"spec":{"hibernation":{"enabled":true}}}"#);
    assert_eventually!(
        Duration::from_secs(60),
        || shoot_field(&garden, "{.status.hibernated}") == "true"
            && last_operation(&garden) == "Reconcile Succeeded 100",
        "hibernated: {} last operation: {}",
        shoot_field(&garden, "{.status.hibernated}"),
        last_operation(&garden)
    );
    assert_eq!(hibernation_column(&garden), "Hibernated");
    assert!(no_process_runs(&plane), "control plane processes still run after hibernation");
    assert!(plane.join("etcd").exists(), "etcd data kept");
    assert!(!garden.kubectl_as(&admin, &["get", "namespaces"]).status.success(), "the shoot API server still answers");
    let shoot: Value =
        serde_json::from_str(&garden.kubectl_ok(&["-n", "garden-dev", "get", "shoot", NAME, "-o", "json"])).unwrap();
    assert_eq!(shoot["metadata"]["labels"]["shoot.gardener.cloud/status"], "healthy");
    let conditions = shoot["status"]["conditions"].as_array().cloned().unwrap_or_default();
    assert!(!conditions.is_empty());
    for c in &conditions {
        assert_eq!(c["status"], "True", "{c}");
        assert_eq!(c["reason"], "ConditionNotChecked", "{c}");
    }
    // The care loop does not heal a hibernated control plane.
    std::thread::sleep(Duration::from_secs(3));
    assert!(no_process_runs(&plane), "a hibernated control plane was restarted");

    // Wake up: the same data is back.
    shoot::merge_patch(&garden, "garden-dev", NAME, r#"{"spec":{"hibernation":{"enabled":false}}}"#);
    assert_eventually!(
        Duration::from_secs(90),
        || shoot_field(&garden, "{.status.hibernated}") == "false"
            && last_operation(&garden) == "Reconcile Succeeded 100",
        "hibernated: {} last operation: {}",
        shoot_field(&garden, "{.status.hibernated}"),
        last_operation(&garden)
    );
    assert_eq!(hibernation_column(&garden), "Awake");
    assert_eq!(read_keep_me(&garden, &admin).as_deref(), Some("kept"));
    assert_eq!(shoot_field(&garden, "{.status.conditions[?(@.type==\"APIServerAvailable\")].status}"), "True");

    // A restarted gardenlet adopts the running control plane.
    let api_pid = pid_of(&plane, "apiserver").expect("apiserver.pid");
    assert!(alive(api_pid));
    garden.stop_gardenlet("local");
    garden.start_gardenlet("local", &config).unwrap();
    assert_eq!(read_keep_me(&garden, &admin).as_deref(), Some("kept"));
    // Give the new gardenlet a moment to pick the shoot up; its care loop must adopt, not restart.
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(pid_of(&plane, "apiserver"), Some(api_pid), "the API server was restarted instead of adopted");
    assert!(alive(api_pid));
    assert_eq!(read_keep_me(&garden, &admin).as_deref(), Some("kept"));

    // A crashed API server comes back (the supervisor / care loop of the restarted gardenlet).
    let _ = std::process::Command::new("kill").args(["-9", &api_pid.to_string()]).status();
    assert_eventually!(Duration::from_secs(20), || !alive(api_pid));
    assert_eventually!(
        Duration::from_secs(60),
        || read_keep_me(&garden, &admin).as_deref() == Some("kept"),
        "the shoot API server did not come back; gardenlet log:\n{}",
        garden.log_tail("gardenlet-local", 40)
    );
    let new_pid = pid_of(&plane, "apiserver").expect("apiserver.pid after restart");
    assert_ne!(new_pid, api_pid);
    assert!(alive(new_pid));

    // Deleting the hibernation-tested shoot leaves nothing behind.
    garden.kubectl_ok(&["-n", "garden-dev", "annotate", "shoot", NAME, "confirmation.gardener.cloud/deletion=true"]);
    garden.kubectl_ok(&["-n", "garden-dev", "delete", "shoot", NAME, "--wait=false"]);
    assert_eventually!(Duration::from_secs(60), || !garden
        .kubectl(&["-n", "garden-dev", "get", "shoot", NAME])
        .status
        .success());
    assert!(!plane.exists(), "control plane directory removed");
    assert!(!alive(new_pid));
}

/// The next whole minute (UTC) as a cron spec that fires once an hour at that minute, and how long until then.
fn next_minute_cron() -> (String, Duration) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let next = now.as_secs() / 60 * 60 + 60;
    (format!("{} * * * *", (next / 60) % 60), Duration::from_secs(next) - now)
}

#[test]
fn a_hibernation_schedule_hibernates_the_shoot_at_its_minute() {
    let options = GardenOptions {
        controller_manager: true,
        controller_manager_args: vec!["--hibernation-sync-period".into(), "1s".into()],
        ..Default::default()
    };
    let mut garden = TestGarden::start_with(options).unwrap();
    let state_dir = garden.start_local_seed_with_dev_project().unwrap();
    let name = "scheduled";
    let _cleanup = KillPlaneOnDrop(state_dir.join(format!("shoot--dev--{name}")));
    shoot::create_workerless(&garden, name);
    let last = || shoot::last_operation(&garden, "garden-dev", name);
    let hibernated = || shoot::field(&garden, "garden-dev", name, "{.status.hibernated}");

    // Start at the next minute; until then nothing happens.
    let (start, wait) = next_minute_cron();
    let patch = format!(r#"{{"spec":{{"hibernation":{{"schedules":[{{"start":"{start}","location":"UTC"}}]}}}}}}"#);
    shoot::merge_patch(&garden, "garden-dev", name, &patch);
    if wait > Duration::from_secs(3) {
        std::thread::sleep(wait - Duration::from_secs(2));
        assert_eq!(shoot::field(&garden, "garden-dev", name, "{.spec.hibernation.enabled}"), "", "fired early");
    }
    assert_eventually!(
        Duration::from_secs(60),
        || hibernated() == "true" && last() == "Reconcile Succeeded 100",
        "hibernated: {} last operation: {}",
        hibernated(),
        last()
    );
    assert_eq!(shoot::field(&garden, "garden-dev", name, "{.spec.hibernation.enabled}"), "true");
    assert!(no_process_runs(&state_dir.join(format!("shoot--dev--{name}"))), "processes run after hibernation");
}
