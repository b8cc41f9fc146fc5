//! The `etcd-backup` binary as the gardenlet drives it: `full`, `validate`, `restore` with a store config file.

mod support;

use std::process::Command;

use support::{dump, put, TestEtcd};

fn etcd_backup() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_etcd-backup"));
    cmd.env("RUST_LOG", "warn");
    cmd
}

fn run(cmd: &mut Command) -> (i32, serde_json::Value, String) {
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let json = serde_json::from_str(stdout.trim()).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), json, stderr)
}

#[tokio::test(flavor = "multi_thread")]
async fn full_validate_and_restore_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("store.json");
    let store_dir = tmp.path().join("store");
    std::fs::write(
        &config,
        serde_json::json!({"provider": "Local", "container": store_dir, "prefix": "cli/etcd-main"}).to_string(),
    )
    .unwrap();
    let etcd = TestEtcd::start(&tmp.path().join("etcd"), "main").await;
    let mut c = etcd.client().await;
    let rev = put(&mut c, "/hello", "world").await;

    let (code, full, err) =
        run(etcd_backup().args(["full", "--endpoints", &etcd.client_url, "--store-config"]).arg(&config));
    assert_eq!(code, 0, "{err}");
    assert!(full["name"].as_str().unwrap().starts_with("Full-"), "{full}");
    assert!(full["revision"].as_i64().unwrap() >= rev);

    let data_dir = tmp.path().join("restored");
    let args = |sub: &str| {
        let mut cmd = etcd_backup();
        cmd.args([sub, "--store-config"]).arg(&config).arg("--data-dir").arg(&data_dir).args(["--name", "main"]);
        cmd
    };
    let (code, verdict, err) = run(&mut args("validate"));
    assert_eq!((code, verdict), (3, serde_json::json!({"verdict": "missing"})), "{err}");
    let (code, outcome, err) = run(&mut args("restore"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(outcome["outcome"], "restored", "{outcome}");
    assert_eq!(outcome["report"]["full"], full["name"], "{outcome}");
    let (code, verdict, err) = run(&mut args("validate"));
    assert_eq!((code, &verdict["verdict"]), (0, &serde_json::json!("valid")), "{err}");
    let (code, outcome, err) = run(&mut args("restore"));
    assert_eq!((code, &outcome["outcome"]), (0, &serde_json::json!("valid")), "{err}");

    let restored = TestEtcd::start(&data_dir, "main").await;
    assert_eq!(dump(&mut restored.client().await).await.0, dump(&mut c).await.0);

    // A clear message and a non-zero exit on a bad configuration.
    let (code, _, err) = run(etcd_backup().args(["restore", "--data-dir", "/nonexistent/x"]));
    assert_ne!(code, 0);
    assert!(err.contains("--store-config"), "{err}");
}
