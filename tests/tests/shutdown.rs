//! Every component exits within a few seconds of SIGTERM, whatever its peers do: here the garden's etcd is gone,
//! so the garden API answers 503 to writes while the controllers retry and reconcile.

use std::process::Command;
use std::time::Duration;

use garden_e2e::{assert_eventually, GardenOptions, TestGarden};

/// What "a few seconds" means for the test (the components' own grace period is 3 s).
const STOP_BUDGET: Duration = Duration::from_secs(5);

#[test]
fn components_stop_promptly_while_the_garden_api_answers_503() {
    let mut garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    garden.start_local_seed_with_dev_project().unwrap();
    // A second project keeps the project controller busy when etcd goes away.
    garden.kubectl_stdin(
        &["apply", "-f", "-"],
        "apiVersion: core.gardener.cloud/v1beta1\nkind: Project\nmetadata:\n  name: busy\nspec:\n  namespace: garden-busy\n",
    );

    let etcd = garden.etcd_pid().expect("etcd runs");
    Command::new("kill").args(["-KILL", &etcd.to_string()]).status().unwrap();
    assert_eventually!(
        Duration::from_secs(30),
        || {
            let out = garden.kubectl(&["create", "configmap", "probe", "-n", "default"]);
            String::from_utf8_lossy(&out.stderr).contains("ServiceUnavailable")
                || String::from_utf8_lossy(&out.stderr).contains("storage is unavailable")
        },
        "the garden API did not start answering 503 after etcd was killed"
    );
    // Let the controllers notice: watches break, requests get retried.
    std::thread::sleep(Duration::from_secs(3));

    let mut took = vec![("controller-manager", garden.stop_controller_manager())];
    took.push(("gardenlet", garden.stop_gardenlet("local")));
    took.extend(garden.stop_machine_layer());
    for (component, exited_after) in took {
        match exited_after {
            Some(t) => {
                assert!(t <= STOP_BUDGET, "{component} took {t:?} to exit after SIGTERM (budget {STOP_BUDGET:?})")
            }
            None => panic!("{component} ignored SIGTERM for 10 s and had to be killed"),
        }
    }
}
