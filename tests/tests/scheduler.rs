//! The scheduler places shoots on ready seeds through `shoots/binding`, and reports unschedulable shoots.

use std::path::Path;
use std::time::Duration;

use garden_e2e::{assert_eventually, GardenOptions, TestGarden};

fn example(name: &str) -> String {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples")).join(name).display().to_string()
}

fn seed(name: &str, provider: &str, region: &str) -> String {
    format!(
        r#"{{"apiVersion":"core.gardener.cloud/v1beta1","kind":"Seed","metadata":{{"name":"{name}"}},
        "spec":{{"provider":{{"type":"{provider}","region":"{region}"}},
        "networks":{{"nodes":"10.250.0.0/16","pods":"10.1.0.0/16","services":"10.2.0.0/16"}}}}}}"#
    )
}

fn make_ready(garden: &TestGarden, name: &str) {
    let ts = "2026-01-01T00:00:00Z";
    let patch = format!(
        r#"{{"status":{{"conditions":[{{"type":"GardenletReady","status":"True","reason":"GardenletReady","message":"ready","lastTransitionTime":"{ts}","lastUpdateTime":"{ts}"}}]}}}}"#
    );
    garden.kubectl_ok(&["patch", "seed", name, "--subresource=status", "--type=merge", "-p", &patch]);
}

fn seed_of(garden: &TestGarden, shoot: &str) -> String {
    garden.kubectl_ok(&["-n", "garden-dev", "get", "shoot", shoot, "-o", "jsonpath={.spec.seedName}"])
}

#[test]
fn shoots_are_bound_to_a_ready_seed_of_their_provider_and_region() {
    let garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    garden.kubectl_ok(&["apply", "-f", &example("cloudprofile-local.yaml"), "-f", &example("project-dev.yaml")]);
    assert_eventually!(Duration::from_secs(30), || garden
        .kubectl(&["get", "namespace", "garden-dev"])
        .status
        .success());

    // No seed yet: the shoot stays unscheduled and says why.
    assert!(garden
        .kubectl_stdin(
            &["-n", "garden-dev", "apply", "-f", "-"],
            &std::fs::read_to_string(example("shoot-local.yaml")).unwrap()
        )
        .status
        .success());
    assert_eventually!(Duration::from_secs(30), || garden
        .kubectl_ok(&[
            "-n",
            "garden-dev",
            "get",
            "shoot",
            "local",
            "-o",
            "jsonpath={.status.lastOperation.description}"
        ])
        .contains("Failed to schedule"));
    assert_eq!(seed_of(&garden, "local"), "");

    // A seed of another provider, a not-ready local seed, and a ready local seed in the right region.
    for (name, provider, region) in
        [("aws-seed", "aws", "local"), ("sleepy", "local", "local"), ("local", "local", "local")]
    {
        assert!(garden.kubectl_stdin(&["apply", "-f", "-"], &seed(name, provider, region)).status.success());
    }
    make_ready(&garden, "aws-seed");
    make_ready(&garden, "local");
    assert_eventually!(Duration::from_secs(30), || seed_of(&garden, "local") == "local", "shoot bound to seed local");

    // Deleting a seed that hosts shoots is refused.
    let out = garden.kubectl(&["delete", "seed", "local", "--wait=false"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("still used by"), "{}", String::from_utf8_lossy(&out.stderr));

    // The gardenlet goes away: once its lease expires the seed turns Unknown, and later its shoots do.
    let mut garden = garden;
    garden.stop_gardenlet("local");
    let condition = |g: &TestGarden, kind: &str, ns: &[&str], name: &str, ty: &str| {
        let mut args: Vec<&str> = ns.to_vec();
        let path = format!("jsonpath={{.status.conditions[?(@.type==\"{ty}\")].status}}");
        args.extend(["get", kind, name, "-o", &path]);
        g.kubectl_ok(&args)
    };
    assert_eventually!(Duration::from_secs(60), || condition(&garden, "seed", &[], "local", "GardenletReady")
        == "Unknown");
    assert_eventually!(Duration::from_secs(90), || {
        condition(&garden, "shoot", &["-n", "garden-dev"], "local", "APIServerAvailable") == "Unknown"
    });
}
