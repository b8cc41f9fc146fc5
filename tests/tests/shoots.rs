//! The user walkthrough of the README, verbatim: cloud profile, project, shoot, Gardener's columns, watch,
//! kubectl explain, deletion confirmation; and admission against the CloudProfile.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use garden_e2e::{assert_eventually, GardenOptions, TestGarden};
use serde_json::Value;

fn examples() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples"))
}

fn example(name: &str) -> String {
    examples().join(name).display().to_string()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn garden_with_project() -> TestGarden {
    let garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    garden.kubectl_ok(&["apply", "-f", &example("cloudprofile-local.yaml"), "-f", &example("project-dev.yaml")]);
    assert_eventually!(Duration::from_secs(30), || garden
        .kubectl(&["get", "namespace", "garden-dev"])
        .status
        .success());
    garden
}

#[test]
fn readme_walkthrough() {
    let garden = garden_with_project();
    // Watch in the background, as `kubectl get shoots -o wide -w` does (Table watch).
    let mut watch = garden
        .kubectl_cmd(&["-n", "garden-dev", "get", "shoots", "-o", "wide", "-w"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let out = garden.kubectl(&["-n", "garden-dev", "apply", "-f", &example("shoot-local.yaml")]);
    assert!(out.status.success(), "{}", stderr(&out));

    let table = garden.kubectl_ok(&["-n", "garden-dev", "get", "shoots"]);
    let header: Vec<&str> =
        table.lines().next().unwrap().split("  ").map(str::trim).filter(|s| !s.is_empty()).collect();
    assert_eq!(
        header,
        ["NAME", "CLOUDPROFILE", "PROVIDER", "REGION", "K8S VERSION", "HIBERNATION", "LAST OPERATION", "STATUS", "AGE"]
    );
    let row = table.lines().nth(1).unwrap();
    for cell in ["local", "1.33.2", "Awake"] {
        assert!(row.contains(cell), "row {row:?} lacks {cell}");
    }
    let wide = garden.kubectl_ok(&["-n", "garden-dev", "get", "shoots", "-o", "wide"]);
    for col in ["SEED", "PURPOSE", "TECHNICAL ID"] {
        assert!(wide.lines().next().unwrap().contains(col), "wide header lacks {col}: {wide}");
    }

    // The shoot got Gardener's defaults: latest patch of 1.33, created-by annotation.
    let shoot: Value =
        serde_json::from_str(&garden.kubectl_ok(&["-n", "garden-dev", "get", "shoot", "local", "-o", "json"])).unwrap();
    assert_eq!(shoot["spec"]["kubernetes"]["version"], "1.33.2");
    assert_eq!(shoot["metadata"]["annotations"]["gardener.cloud/created-by"], "garden-admin");

    // The watch saw it.
    let _ = watch.kill();
    let seen = watch.wait_with_output().unwrap();
    assert!(
        String::from_utf8_lossy(&seen.stdout).lines().any(|l| l.starts_with("local ")),
        "watch output: {}",
        String::from_utf8_lossy(&seen.stdout)
    );

    // kubectl explain reads the server's OpenAPI v3.
    let explain = garden.kubectl_ok(&["explain", "shoot.spec.provider.workers"]);
    assert!(explain.contains("KIND:       Shoot") || explain.contains("KIND:     Shoot"), "{explain}");
    assert!(explain.contains("machine"), "{explain}");

    // Deletion needs confirmation.
    let refused = garden.kubectl(&["-n", "garden-dev", "delete", "shoot", "local", "--wait=false"]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("confirmation.gardener.cloud/deletion"), "{}", stderr(&refused));
    garden.kubectl_ok(&["-n", "garden-dev", "annotate", "shoot", "local", "confirmation.gardener.cloud/deletion=true"]);
    garden.kubectl_ok(&["-n", "garden-dev", "delete", "shoot", "local", "--wait=false"]);
}

#[test]
fn shoots_are_validated_against_the_cloud_profile() {
    let garden = garden_with_project();
    let base = std::fs::read_to_string(examples().join("shoot-local.yaml")).unwrap();
    // The credentials part of the example first.
    assert!(garden.kubectl_stdin(&["-n", "garden-dev", "apply", "-f", "-"], &base).status.success());

    let bad_version = base
        .replace("version: \"1.33\"", "version: \"1.29.9\"")
        .replace("name: local\n  namespace: garden-dev\nspec:", "name: oldk8s\n  namespace: garden-dev\nspec:");
    let out = garden.kubectl_stdin(&["-n", "garden-dev", "apply", "-f", "-"], &bad_version);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("spec.kubernetes.version"), "{}", stderr(&out));
    assert!(stderr(&out).contains("1.29.9"), "{}", stderr(&out));

    let bad_machine = base
        .replace("type: local\n        image", "type: m5.huge\n        image")
        .replace("name: local\n  namespace: garden-dev\nspec:", "name: bigbox\n  namespace: garden-dev\nspec:");
    let out = garden.kubectl_stdin(&["-n", "garden-dev", "apply", "-f", "-"], &bad_machine);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("spec.provider.workers[0].machine.type"), "{}", stderr(&out));

    let unknown_field = base
        .replace("  purpose: evaluation\n", "  purpose: evaluation\n  flavour: vanilla\n")
        .replace("name: local\n  namespace: garden-dev\nspec:", "name: strict\n  namespace: garden-dev\nspec:");
    let out = garden.kubectl_stdin(&["-n", "garden-dev", "apply", "-f", "-"], &unknown_field);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("unknown field \"spec.flavour\""), "{}", stderr(&out));

    for name in ["oldk8s", "bigbox", "strict"] {
        assert!(!garden.kubectl(&["-n", "garden-dev", "get", "shoot", name]).status.success(), "{name} must not exist");
    }
    // Immutable fields.
    assert!(garden.kubectl_stdin(&["-n", "garden-dev", "apply", "-f", "-"], &base).status.success());
    let out = garden.kubectl(&[
        "-n",
        "garden-dev",
        "patch",
        "shoot",
        "local",
        "--type=merge",
        "-p",
        r#"{"spec":{"region":"elsewhere"}}"#,
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("spec.region"), "{}", stderr(&out));
}
