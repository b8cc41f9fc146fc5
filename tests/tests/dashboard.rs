//! The tenant portal end to end: `garden-dashboard` in front of a local garden (etcd, garden-apiserver,
//! controller-manager, the local seed), users logging in with static tokens. The backend's own rules (login,
//! sessions, CSRF, body limit, the shared watch) are checked with curl; the pages in headless Chromium by
//! `dashboard/e2e/portal.mjs` (playwright-core), which also takes the screenshots of docs/usage/dashboard.md.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use garden_e2e::shoot::KillPlaneOnDrop;
use garden_e2e::{assert_eventually, eventually, free_port, repo_path, GardenOptions, TestGarden};
use serde_json::Value;

const TOKENS: &str = "admin-token-0123456789,alice,uid-alice,\"\"\n\
                      viewer-token-0123456789,vic,uid-vic,\"\"\n\
                      other-token-0123456789,olga,uid-olga,\"\"\n";

/// The garden-dashboard process; killed on drop.
struct Dashboard {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn static_dir() -> PathBuf {
    let dir = repo_path("dashboard/frontend/dist");
    assert!(
        dir.join("index.html").is_file(),
        "the front end is not built: run hack/test.sh, or source hack/lib.sh && garden::ensure_dashboard"
    );
    dir
}

fn start_dashboard(garden: &TestGarden, extra: &[&str]) -> Dashboard {
    let port = free_port();
    let log_path = garden.dir().join(format!("dashboard-{port}.log"));
    let log = fs::File::create(&log_path).unwrap();
    let child = Command::new(garden.bin_dir().join("garden-dashboard"))
        .arg("--garden-server")
        .arg(garden.server_url())
        .arg("--garden-ca")
        .arg(garden.cert_dir().join("ca.crt"))
        .arg("--bind-address")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--static-dir")
        .arg(static_dir())
        .args(extra)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("garden-dashboard is built (cargo build --workspace --bins)");
    let url = format!("http://127.0.0.1:{port}");
    let d = Dashboard { child, url, log: log_path };
    assert_eventually!(Duration::from_secs(20), || curl(&d.url, &["/healthz"]).1 == "ok");
    d
}

/// `curl` against the dashboard: (status, body). `args` end with the path.
fn curl(base: &str, args: &[&str]) -> (u16, String) {
    let (path, opts) = args.split_last().unwrap();
    let out = Command::new("curl")
        .args(["-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "10"])
        .args(opts)
        .arg(format!("{base}{path}"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

/// Logs in with `token` keeping cookies in `jar`; returns the CSRF token.
fn login(d: &Dashboard, jar: &Path, token: &str) -> String {
    let body = format!(r#"{{"token":"{token}"}}"#);
    let jar = jar.display().to_string();
    let (code, text) =
        curl(&d.url, &["-c", &jar, "-b", &jar, "-H", "Content-Type: application/json", "-d", &body, "/api/login"]);
    assert_eq!(code, 200, "login: {text}");
    serde_json::from_str::<Value>(&text).unwrap()["csrfToken"].as_str().unwrap().to_string()
}

fn project(garden: &TestGarden, name: &str, members: &[(&str, &str)]) {
    let mut manifest = format!(
        "apiVersion: core.gardener.cloud/v1beta1\nkind: Project\nmetadata:\n  name: {name}\nspec:\n  namespace: garden-{name}\n  \
         owner:\n    apiGroup: rbac.authorization.k8s.io\n    kind: User\n    name: garden-admin\n  members:\n"
    );
    for (user, role) in members {
        manifest.push_str(&format!(
            "  - apiGroup: rbac.authorization.k8s.io\n    kind: User\n    name: {user}\n    role: {role}\n"
        ));
    }
    let out = garden.kubectl_stdin(&["apply", "-f", "-"], &manifest);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eventually!(Duration::from_secs(30), || !garden
        .kubectl(&["get", "rolebindings", "-n", &format!("garden-{name}"), "-o", "name"])
        .stdout
        .is_empty());
}

/// A garden with projects dev (alice admin, vic viewer) and other (olga admin), the local seed, the local
/// CloudProfile and dev's local credentials.
fn portal_garden() -> (TestGarden, PathBuf) {
    let options = GardenOptions { controller_manager: true, token_auth_csv: Some(TOKENS.into()), ..Default::default() };
    let mut garden = TestGarden::start_with(options).unwrap();
    let state_dir = garden.start_local_seed_with_dev_project().unwrap();
    project(&garden, "dev", &[("garden-admin", "admin"), ("alice", "admin"), ("vic", "viewer")]);
    project(&garden, "other", &[("olga", "admin")]);
    // The example's Secret and CredentialsBinding (its Shoot stays out).
    let example = fs::read_to_string(repo_path("examples/shoot-local.yaml")).unwrap();
    let credentials: Vec<&str> = example.split("\n---\n").filter(|d| !d.contains("kind: Shoot")).collect();
    let out = garden.kubectl_stdin(&["apply", "-f", "-"], &credentials.join("\n---\n"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (garden, state_dir)
}

#[test]
fn sessions_csrf_limits_and_one_shared_watch() {
    let (garden, _state_dir) = portal_garden();
    let d = start_dashboard(&garden, &["--session-ttl-seconds", "4"]);
    let dir = garden.dir();
    let jar = dir.join("alice.jar");

    // Bad tokens: a clear message, no cookie; the backend stays up.
    let (code, text) =
        curl(&d.url, &["-H", "Content-Type: application/json", "-d", r#"{"token":"nope"}"#, "/api/login"]);
    assert_eq!(code, 401, "{text}");
    assert!(text.contains("does not accept this token"), "{text}");
    let (code, text) = curl(&d.url, &["-H", "Content-Type: application/json", "-d", "{not json", "/api/login"]);
    assert_eq!((code, text.contains("expected a JSON body")), (400, true), "{text}");
    assert_eq!(curl(&d.url, &["/api/session"]).0, 401);

    // A session: the cookie is HttpOnly and SameSite=Strict and does not show the token.
    let csrf = login(&d, &jar, "admin-token-0123456789");
    let cookies = fs::read_to_string(&jar).unwrap();
    assert!(cookies.contains("#HttpOnly_127.0.0.1") && !cookies.contains("admin-token"), "{cookies}");
    let j = jar.display().to_string();
    let shoots = "/api/garden/apis/core.gardener.cloud/v1beta1/namespaces/garden-dev/shoots";
    assert_eq!(curl(&d.url, &["-b", &j, shoots]).0, 200);
    // Writes without the CSRF token, or with a wrong one, are refused before reaching the garden.
    let shoot = r#"{"apiVersion":"core.gardener.cloud/v1beta1","kind":"Shoot","metadata":{"name":"csrf"}}"#;
    let json = "Content-Type: application/json";
    let (code, text) = curl(&d.url, &["-b", &j, "-H", json, "-d", shoot, shoots]);
    assert_eq!((code, text.contains("CSRF")), (403, true), "{text}");
    let (code, _) = curl(&d.url, &["-b", &j, "-H", json, "-H", "X-CSRF-Token: wrong", "-d", shoot, shoots]);
    assert_eq!(code, 403);
    assert!(!garden.kubectl(&["-n", "garden-dev", "get", "shoot", "csrf"]).status.success());
    // With it, the garden decides: its validation error comes back as the garden's Status with the field.
    let header = format!("X-CSRF-Token: {csrf}");
    let (code, text) = curl(&d.url, &["-b", &j, "-H", json, "-H", &header, "-d", shoot, shoots]);
    assert_eq!(code, 422, "{text}");
    let status: Value = serde_json::from_str(&text).unwrap();
    assert!(status["details"]["causes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["field"].as_str().unwrap_or("").starts_with("spec")));
    // An oversized body: 413 with a message, nothing written.
    let big = dir.join("big.json");
    fs::write(&big, format!(r#"{{"pad":"{}"}}"#, "x".repeat(1_200_000))).unwrap();
    let (code, text) =
        curl(&d.url, &["-b", &j, "-H", json, "-H", &header, "--data-binary", &format!("@{}", big.display()), shoots]);
    assert_eq!((code, text.contains("larger than 1 MiB")), (413, true), "{text}");
    // Only the garden's API paths are forwarded.
    assert_eq!(curl(&d.url, &["-b", &j, "/api/garden/metrics"]).0, 404);
    // Projects: alice lists only what RBAC lets her get; olga sees only hers.
    let (code, text) = curl(&d.url, &["-b", &j, "/api/projects"]);
    let names = |text: &str| -> Vec<String> {
        serde_json::from_str::<Value>(text).unwrap()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!((code, names(&text)), (200, vec!["dev".to_string()]), "{text}");
    let olga = dir.join("olga.jar");
    login(&d, &olga, "other-token-0123456789");
    let o = olga.display().to_string();
    assert_eq!(names(&curl(&d.url, &["-b", &o, "/api/projects"]).1), vec!["other".to_string()]);
    assert_eq!(curl(&d.url, &["-b", &o, shoots]).0, 403, "a member of other sees nothing of dev");
    let watch = "/api/watch/shoots?namespace=garden-dev";
    assert_eq!(curl(&d.url, &["-b", &o, watch]).0, 403);

    // 20 sessions of users who may watch garden-dev share one garden watch.
    let mut streams = Vec::new();
    for i in 0..20 {
        let jar = dir.join(format!("s{i}.jar"));
        login(&d, &jar, if i % 2 == 0 { "admin-token-0123456789" } else { "viewer-token-0123456789" });
        let out = fs::File::create(dir.join(format!("s{i}.events"))).unwrap();
        streams.push(
            Command::new("curl")
                .args(["-s", "-N", "-b", &jar.display().to_string(), &format!("{}{watch}", d.url)])
                .stdout(out)
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
    }
    let statz = || serde_json::from_str::<Value>(&curl(&d.url, &["/statz"]).1).unwrap_or_default();
    assert_eventually!(Duration::from_secs(20), || (0..20).all(|i| fs::read_to_string(
        dir.join(format!("s{i}.events"))
    )
    .unwrap_or_default()
    .contains("SYNCED")));
    assert_eq!(statz()["watches"], 1, "{}", statz());
    // A change reaches every stream.
    let manifest = fs::read_to_string(repo_path("examples/shoot-local-workerless.yaml"))
        .unwrap()
        .replace("name: local-workerless", "name: live");
    let _plane = KillPlaneOnDrop(_state_dir.join("shoot--dev--live"));
    assert!(garden.kubectl_stdin(&["apply", "-f", "-"], &manifest).status.success());
    assert_eventually!(Duration::from_secs(20), || (0..20).all(|i| fs::read_to_string(
        dir.join(format!("s{i}.events"))
    )
    .unwrap_or_default()
    .contains(r#""name":"live""#)));
    // The session whose token carries the watch leaves: the next one's token takes over, the others keep getting
    // every change.
    let mut first = streams.remove(0);
    let _ = first.kill();
    let _ = first.wait();
    let log = || fs::read_to_string(&d.log).unwrap_or_default();
    assert_eventually!(Duration::from_secs(20), || log().contains("handed to the next subscriber"), "{}", log());
    let _plane2 = KillPlaneOnDrop(_state_dir.join("shoot--dev--live2"));
    assert!(garden
        .kubectl_stdin(&["apply", "-f", "-"], &manifest.replace("name: live", "name: live2"))
        .status
        .success());
    assert_eventually!(Duration::from_secs(20), || (1..20).all(|i| fs::read_to_string(
        dir.join(format!("s{i}.events"))
    )
    .unwrap_or_default()
    .contains(r#""name":"live2""#)));
    assert_eq!(statz()["watches"], 1, "{}", statz());
    for mut s in streams {
        let _ = s.kill();
        let _ = s.wait();
    }
    assert!(
        eventually(Duration::from_secs(20), || statz()["watches"] == 0),
        "the watch ends with its last subscriber: {}",
        statz()
    );

    // Sessions expire (4 s here); logout clears the cookie.
    std::thread::sleep(Duration::from_secs(5));
    let (code, text) = curl(&d.url, &["-b", &j, "/api/session"]);
    assert_eq!((code, text.contains("log in again")), (401, true), "{text}");
    let csrf = login(&d, &jar, "admin-token-0123456789");
    let (code, _) =
        curl(&d.url, &["-b", &j, "-c", &j, "-X", "POST", "-H", &format!("X-CSRF-Token: {csrf}"), "/api/logout"]);
    assert_eq!(code, 204);
    assert_eq!(curl(&d.url, &["-b", &j, "/api/session"]).0, 401);
    // Security headers on the page.
    let out = Command::new("curl").args(["-s", "-D", "-", "-o", "/dev/null", &format!("{}/", d.url)]).output().unwrap();
    let headers = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(
        headers.contains("content-security-policy: default-src 'self'") && headers.contains("x-frame-options: deny"),
        "{headers}"
    );
}

/// Every page in headless Chromium (`dashboard/e2e/portal.mjs`): login, the create form, live status, the gardenctl
/// command with the session's garden name, kubeconfig with real kubectl, hibernate/wake (also in bulk for two
/// shoots), delete with confirmation, members added and removed, write-only credentials added and deleted, a worker
/// pool from the cloud profile in the YAML and a YAML edit in the diff (not submitted), a garden refusal shown at
/// its form field, a shoot with one worker pool created through the form whose node shows Ready in the details
/// page's Nodes card (then deleted), viewer and outsider, XSS, CSRF, bad input.
/// `GARDEN_DASHBOARD_SCREENSHOTS=docs/usage/screenshots` keeps its screenshots there (details-nodes.png included).
#[test]
fn the_portal_in_a_real_browser() {
    let (garden, state_dir) = portal_garden();
    let _planes =
        (KillPlaneOnDrop(state_dir.join("shoot--dev--portal")), KillPlaneOnDrop(state_dir.join("shoot--dev--xss")));
    // A shoot whose annotation holds markup: the pages must show it as text.
    let manifest = fs::read_to_string(repo_path("examples/shoot-local-workerless.yaml"))
        .unwrap()
        .replace("name: local-workerless", "name: xss\n  annotations:\n    note: '<script>window.__xss=1</script>\"><img src=x onerror=\"window.__xss=1\">'");
    let out = garden.kubectl_stdin(&["apply", "-f", "-"], &manifest);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let d = start_dashboard(&garden, &[]);
    let screenshots = std::env::var("GARDEN_DASHBOARD_SCREENSHOTS")
        .map(|p| if Path::new(&p).is_absolute() { PathBuf::from(p) } else { repo_path(&p) })
        .unwrap_or_else(|_| garden.dir().join("screenshots"));
    let kubectl = garden.kubectl_cmd(&[]).get_program().to_owned();
    let out = Command::new("node")
        .arg(repo_path("dashboard/e2e/portal.mjs"))
        .env("DASHBOARD_URL", &d.url)
        .env("ADMIN_TOKEN", "admin-token-0123456789")
        .env("VIEWER_TOKEN", "viewer-token-0123456789")
        .env("OTHER_TOKEN", "other-token-0123456789")
        .env("XSS_SHOOT", "xss")
        .env("KUBECTL", kubectl)
        .env("WORK_DIR", garden.dir().join("browser"))
        .env("SCREENSHOT_DIR", &screenshots)
        .output()
        .expect("node is installed (hack/test.sh: garden::ensure_dashboard)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "portal.mjs failed:\n{stdout}\n{stderr}\ndashboard log: {}",
        fs::read_to_string(&d.log).unwrap_or_default()
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    for shot in ["list.png", "create.png", "details.png", "details-nodes.png"] {
        assert!(fs::metadata(screenshots.join(shot)).is_ok_and(|m| m.len() > 10_000), "{shot} was taken");
    }
}
