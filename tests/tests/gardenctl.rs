//! gardenctl end to end: the real binary against a local garden (etcd, garden-apiserver, controller-manager, the
//! local seed), with real kubectl and bash; its interactive parts (fuzzy picker, progress bar, delete confirmation)
//! in a real terminal through tmux; provider-env for AWS and OpenStack shoots, and `--wait` on a shoot that fails
//! (wrong AWS credentials against moto).

#[path = "../../etcd-backup/tests/support/peers.rs"]
mod peers;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use garden_e2e::shoot::{self, KillPlaneOnDrop};
use garden_e2e::{assert_eventually, eventually, repo_path, GardenOptions, TestGarden};
use serde_json::Value;

/// The gardenctl binary with its own home, temporary directory and session.
#[derive(Clone)]
struct Gctl {
    bin: PathBuf,
    home: PathBuf,
    tmp: PathBuf,
    session: String,
    kubectl: PathBuf,
}

impl Gctl {
    fn new(garden: &TestGarden, home: &str, session: &str) -> Gctl {
        let home = garden.dir().join(home);
        let tmp = garden.dir().join("tmp");
        fs::create_dir_all(&tmp).unwrap();
        let kubectl = garden.kubectl_cmd(&[]).get_program().into();
        Gctl { bin: garden.bin_dir().join("gardenctl"), home, tmp, session: session.into(), kubectl }
    }

    fn in_session(&self, session: &str) -> Gctl {
        Gctl { session: session.into(), ..self.clone() }
    }

    /// The environment gardenctl reads, as `export` lines for a shell.
    fn env(&self) -> Vec<(&'static str, String)> {
        let kubectl_dir = self.kubectl.parent().map(|p| p.display().to_string()).unwrap_or_default();
        let bin_dir = self.bin.parent().unwrap().display().to_string();
        vec![
            ("GCTL_HOME", self.home.display().to_string()),
            ("TMPDIR", self.tmp.display().to_string()),
            ("GCTL_SESSION_ID", self.session.clone()),
            ("PATH", format!("{bin_dir}:{kubectl_dir}:{}", std::env::var("PATH").unwrap_or_default())),
        ]
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args).env_remove("KUBECONFIG").env_remove("TERM_SESSION_ID").env_remove("GCTL_ACCESS_LEVEL");
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap_or_else(|e| panic!("{}: {e}", self.bin.display()))
    }

    /// Runs and expects exit code 0; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "gardenctl {args:?} exited {:?}\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and expects exit code `code`; returns stderr.
    fn fails(&self, code: i32, args: &[&str]) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(
            out.status.code(),
            Some(code),
            "gardenctl {args:?}: stdout {} stderr {stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{stderr}");
        stderr
    }

    fn target(&self) -> Value {
        serde_json::from_str(&self.ok(&["target", "view", "-o", "json"])).unwrap()
    }

    fn session_dir(&self) -> PathBuf {
        self.tmp.join("garden/sessions").join(&self.session)
    }

    /// A bash script run with gardenctl's environment; returns (exit code, stdout, stderr).
    fn bash(&self, script: &str) -> (i32, String, String) {
        let mut cmd = Command::new("bash");
        cmd.arg("-c").arg(script).env_remove("KUBECONFIG");
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    }
}

fn project(garden: &TestGarden, name: &str, members: &str) {
    let manifest = format!(
        "apiVersion: core.gardener.cloud/v1beta1\nkind: Project\nmetadata:\n  name: {name}\nspec:\n  namespace: garden-{name}\n  \
         owner:\n    apiGroup: rbac.authorization.k8s.io\n    kind: User\n    name: garden-admin\n  members:\n{members}"
    );
    let out = garden.kubectl_stdin(&["apply", "-f", "-"], &manifest);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eventually!(Duration::from_secs(30), || garden
        .kubectl(&["get", "namespace", &format!("garden-{name}")])
        .status
        .success());
}

fn member(name: &str, role: &str) -> String {
    format!("  - apiGroup: rbac.authorization.k8s.io\n    kind: User\n    name: {name}\n    role: {role}\n")
}

/// `examples/shoot-local-workerless.yaml` renamed, written into the garden's directory.
fn workerless_manifest(garden: &TestGarden, name: &str, namespace: &str) -> PathBuf {
    let text = fs::read_to_string(repo_path("examples/shoot-local-workerless.yaml")).unwrap();
    let text = text
        .replace("name: local-workerless", &format!("name: {name}"))
        .replace("namespace: garden-dev", &format!("namespace: {namespace}"));
    let path = garden.dir().join(format!("{name}-{namespace}.yaml"));
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn targets_kubeconfigs_sessions_and_shells() {
    let mut garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    let state_dir = garden.start_local_seed_with_dev_project().unwrap();
    let _cleanup =
        (KillPlaneOnDrop(state_dir.join("shoot--dev--web")), KillPlaneOnDrop(state_dir.join("shoot--ops--web")));
    project(&garden, "ops", "");
    // vic may only view project dev; eve is no member of anything.
    project(&garden, "dev", &(member("garden-admin", "admin") + &member("vic", "viewer")));
    let g = Gctl::new(&garden, "gctl", "s1");
    let kubeconfig = garden.kubeconfig().display().to_string();

    // Configuration, with patterns; a command needing a session without one says how to get one.
    g.ok(&[
        "config",
        "set-garden",
        "local",
        "--kubeconfig",
        &kubeconfig,
        "--pattern",
        "^shoot--(?P<project>[a-z0-9-]+?)--(?P<shoot>[a-z0-9-]+)$",
        "--pattern",
        r"^https://dashboard\.local/namespace/(?P<namespace>[^/]+)/shoots/(?P<shoot>[^/]+)$",
    ]);
    let config: Value = serde_json::from_str(&g.ok(&["config", "view", "-o", "json"])).unwrap();
    assert_eq!(config["gardens"][0]["identity"], "local");
    assert_eq!(fs::metadata(g.home.join("gardenctl-v2.yaml")).unwrap().permissions().mode() & 0o777, 0o600);
    let out = g.cmd(&["target", "view"]).env_remove("GCTL_SESSION_ID").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("gardenctl rc bash"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(g.fails(2, &["target", "shoot"]).contains("Usage"), "a missing NAME is a usage error");
    assert!(g.fails(2, &["target", "project", "dev"]).contains("no garden targeted"));

    // Every level, and `create shoot --wait` (not on a terminal: one line per change, exit 0 on success).
    assert!(g.ok(&["target", "garden", "local"]).contains("Successfully targeted garden \"local\""));
    g.ok(&["target", "project", "dev"]);
    let create = g.run(&[
        "create",
        "shoot",
        "-f",
        &workerless_manifest(&garden, "web", "garden-dev").display().to_string(),
        "--wait",
        "--timeout",
        "120s",
    ]);
    let stderr = String::from_utf8_lossy(&create.stderr);
    assert!(create.status.success(), "create --wait: {stderr}");
    assert!(stderr.contains("shoot garden-dev/web created") && stderr.contains("Create succeeded"), "{stderr}");
    assert!(stderr.contains("garden-dev/web Create Processing"), "progress lines: {stderr}");
    // A manifest the garden refuses half-way leaves nothing behind; a broken one sends nothing.
    let refused = garden.dir().join("refused.yaml");
    fs::write(
        &refused,
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: half-way\nstringData:\n  a: b\n---\n\
         apiVersion: core.gardener.cloud/v1beta1\nkind: Shoot\nmetadata:\n  name: nowhere\nspec:\n  cloudProfile:\n    \
         kind: CloudProfile\n    name: no-such-profile\n  region: local\n  provider:\n    type: local\n  kubernetes:\n    \
         version: \"1.33\"\n",
    )
    .unwrap();
    let stderr = g.fails(1, &["create", "shoot", "-f", &refused.display().to_string()]);
    assert!(
        stderr.contains("secret garden-dev/half-way deleted again")
            && stderr.contains("Shoot garden-dev/nowhere is refused"),
        "{stderr}"
    );
    assert!(!garden.kubectl(&["-n", "garden-dev", "get", "secret", "half-way"]).status.success());
    fs::write(&refused, "kind: Shoot\nmetadata: {name: x\n").unwrap();
    assert!(g.fails(1, &["create", "shoot", "-f", &refused.display().to_string()]).contains("not valid YAML"));
    g.ok(&["target", "shoot", "web"]);
    assert_eq!(g.target(), serde_json::json!({"garden": "local", "project": "dev", "shoot": "web"}));
    let link = g.session_dir().join("kubeconfig.yaml");
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    let file = fs::canonicalize(&link).unwrap();
    assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600, "{}", file.display());
    assert_eq!(fs::metadata(g.session_dir()).unwrap().permissions().mode() & 0o777, 0o700);
    g.ok(&["target", "control-plane"]);
    assert_eq!(g.target()["controlPlane"], true);
    let cp =
        garden.kubectl_as_ok(&link, &["config", "view", "--minify", "-o", "jsonpath={.contexts[0].context.namespace}"]);
    assert_eq!(cp, "shoot--dev--web");
    g.ok(&["target", "unset", "control-plane"]);
    // `target -` goes back to the control plane, and again to the shoot; the history has every step.
    assert!(g.ok(&["target", "-"]).contains("previous target"));
    assert_eq!(g.target()["controlPlane"], true);
    g.ok(&["target", "-"]);
    assert_eq!(g.target(), serde_json::json!({"garden": "local", "project": "dev", "shoot": "web"}));
    let history: Value = serde_json::from_str(&g.ok(&["target", "history", "-o", "json"])).unwrap();
    let paths: Vec<String> = history.as_array().unwrap().iter().map(|h| h["target"].to_string()).collect();
    assert!(paths.len() >= 6, "{paths:?}");
    assert!(g.ok(&["target", "history"]).contains("garden/local/project/dev/shoot/web/control-plane"));
    g.ok(&["target", "unset", "shoot"]);
    assert_eq!(g.target(), serde_json::json!({"garden": "local", "project": "dev"}));
    g.ok(&["target", "seed", "local"]);
    assert_eq!(g.target(), serde_json::json!({"garden": "local", "seed": "local"}));
    assert!(g.fails(1, &["target", "unset", "project"]).contains("no project targeted"));
    g.ok(&["target", "unset", "garden"]);
    assert_eq!(g.target(), serde_json::json!({}));
    assert!(!link.exists(), "no target, no kubeconfig");

    // Patterns (a seed namespace, a dashboard URL), flags, a shoot name unique across projects; a second shoot
    // of that name in another project makes it ambiguous.
    g.ok(&["target", "shoot--dev--web"]);
    assert_eq!(g.target(), serde_json::json!({"garden": "local", "project": "dev", "shoot": "web"}));
    g.ok(&["target", "unset", "garden"]);
    g.ok(&["target", "https://dashboard.local/namespace/garden-dev/shoots/web"]);
    assert_eq!(g.target(), serde_json::json!({"garden": "local", "project": "dev", "shoot": "web"}));
    assert!(g.fails(2, &["target", "https://elsewhere/x"]).contains("matches no pattern"));
    g.ok(&["target", "--garden", "local", "--shoot", "web"]);
    assert_eq!(g.target()["project"], "dev");
    g.ok(&["target", "--garden", "local", "--project", "dev", "--shoot", "we", "--control-plane"]);
    assert_eq!(g.target()["controlPlane"], true);
    garden.kubectl_ok(&["create", "-f", &workerless_manifest(&garden, "web", "garden-ops").display().to_string()]);
    let ambiguous = g.fails(1, &["target", "--garden", "local", "--shoot", "web"]);
    assert!(ambiguous.contains("ambiguous") && ambiguous.contains("web (namespace garden-ops)"), "{ambiguous}");
    assert!(g
        .fails(1, &["target", "--garden", "local", "--project", "dev", "--shoot", "nothing-like-it"])
        .contains("not found in project dev"));

    // Two sessions side by side: each its own target and kubeconfig.
    g.ok(&["target", "--garden", "local", "--project", "dev", "--shoot", "web"]);
    let g2 = g.in_session("s2");
    g2.ok(&["target", "--garden", "local", "--project", "ops"]);
    assert_eq!(g.target()["shoot"], "web");
    assert_eq!(g2.target(), serde_json::json!({"garden": "local", "project": "ops"}));
    let ctx = |s: &Gctl| {
        garden.kubectl_as_ok(
            &s.session_dir().join("kubeconfig.yaml"),
            &["config", "view", "--minify", "-o", "jsonpath={.contexts[0].name} {.contexts[0].context.namespace}"],
        )
    };
    assert_eq!(ctx(&g), "shoot--dev--web ");
    assert_eq!(ctx(&g2), "garden-local garden-ops");
    let sessions: Value = serde_json::from_str(&g.ok(&["session", "list", "-o", "json"])).unwrap();
    let ids: Vec<&str> = sessions.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"s1") && ids.contains(&"s2"), "{ids:?}");
    assert!(sessions.as_array().unwrap().iter().any(|s| s["id"] == "s1" && s["current"] == true));

    // kubectl-env evaluated in a real bash: kubectl reaches the shoot; the garden and the control plane are
    // contexts of the same kubeconfig.
    let (code, stdout, stderr) = g.bash(
        "eval \"$(gardenctl kubectl-env bash)\" && kubectl get namespaces -o name && \
         kubectl --context garden-local get shoots -o name && kubectl config get-contexts -o name",
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("namespace/kube-system"), "{stdout}");
    assert!(stdout.contains("shoot.core.gardener.cloud/web"), "{stdout}");
    assert!(stdout.contains("shoot--dev--web--control-plane"), "{stdout}");
    let (code, stdout, _) =
        g.bash("export KUBECONFIG=x; eval \"$(gardenctl kubectl-env bash -u)\"; echo \"[${KUBECONFIG:-unset}]\"");
    assert_eq!((code, stdout.trim()), (0, "[unset]"));
    for shell in ["zsh", "fish", "powershell"] {
        let out = g.ok(&["kubectl-env", shell]);
        assert!(out.contains("kubeconfig.yaml"), "{shell}: {out}");
    }

    // Kubeconfigs: redacted unless --raw; --minify keeps one context; viewer and admin.
    let redacted = g.ok(&["kubeconfig"]);
    assert!(redacted.contains("DATA+OMITTED") && !redacted.contains("BEGIN"), "{redacted}");
    let raw: Value =
        serde_json::from_str(&g.ok(&["kubeconfig", "--raw", "--minify", "--flatten", "-o", "json"])).unwrap();
    assert_eq!(raw["contexts"].as_array().unwrap().len(), 1);
    assert!(raw["users"][0]["user"]["client-key-data"].as_str().unwrap().len() > 100);
    let vic = Gctl::new(&garden, "gctl-vic", "vic");
    let vic_kubeconfig = garden.user_kubeconfig("vic", &[]).display().to_string();
    vic.ok(&["config", "set-garden", "local", "--kubeconfig", &vic_kubeconfig]);
    vic.ok(&["target", "--garden", "local", "--project", "dev", "--shoot", "web"]);
    let refused = vic.fails(1, &["--access-level", "admin", "kubeconfig"]);
    assert!(refused.contains("you may not create shoots/adminkubeconfig of garden-dev/web"), "{refused}");
    let out = vic.run(&["kubeconfig", "--minify"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("using a viewer kubeconfig"), "auto falls back to viewer");
    let (code, stdout, stderr) = vic.bash(
        "eval \"$(gardenctl kubectl-env bash)\" && kubectl get namespaces -o name && \
         ! kubectl create namespace forbidden-to-viewers",
    );
    assert_eq!(code, 0, "viewer reads but cannot write: {stdout}\n{stderr}");
    assert!(stderr.contains("forbidden") || stderr.contains("Forbidden"), "{stderr}");
    let cached = vic.home.join("cache/kubeconfigs");
    assert!(cached.exists());
    for entry in walk(&cached) {
        assert_eq!(fs::metadata(&entry).unwrap().permissions().mode() & 0o077, 0, "{} is private", entry.display());
    }
    let eve = Gctl::new(&garden, "gctl-eve", "eve");
    let eve_kubeconfig = garden.user_kubeconfig("eve", &[]).display().to_string();
    eve.ok(&["config", "set-garden", "local", "--kubeconfig", &eve_kubeconfig]);
    eve.ok(&["target", "garden", "local"]);
    assert!(eve.fails(1, &["target", "project", "dev"]).contains("forbidden"));

    // Lists, resolve, version.
    let ls = g.ok(&["ls", "shoots", "-A"]);
    assert!(ls.starts_with("NAMESPACE") && ls.contains("garden-ops") && ls.contains("Create Succeeded (100%)"), "{ls}");
    let projects: Value = serde_json::from_str(&g.ok(&["ls", "projects", "-o", "json"])).unwrap();
    assert_eq!(projects["items"].as_array().unwrap().len(), 2);
    assert!(g.ok(&["ls", "seeds"]).contains("local"));
    let resolved: Value = serde_json::from_str(&g.ok(&["resolve", "-o", "json"])).unwrap();
    assert_eq!(resolved["shoot"]["technicalID"], "shoot--dev--web");
    assert_eq!(resolved["controlPlane"]["seed"], "local");
    assert!(g.ok(&["version"]).starts_with("gardenctl v"));

    // Verbs: hibernate and wake with --wait; retry refused when nothing failed; delete needs --yes off a terminal.
    g.ok(&["hibernate", "shoot", "--wait", "--timeout", "120s"]);
    assert_eq!(shoot::field(&garden, "garden-dev", "web", "{.status.hibernated}"), "true");
    g.ok(&["wake", "shoot", "web", "--wait", "--timeout", "120s"]);
    assert_eq!(shoot::field(&garden, "garden-dev", "web", "{.status.hibernated}"), "false");
    assert!(g.fails(1, &["retry", "shoot"]).contains("no failed operation"));
    g.ok(&["reconcile", "shoot", "--wait", "--timeout", "120s"]);
    assert!(g.fails(2, &["delete", "shoot", "web"]).contains("--yes"));

    // Completion: the script loads in bash and completes shoot names from the garden.
    let (code, stdout, stderr) = g.bash(
        "source <(gardenctl completion bash) || exit 3\n\
         COMP_WORDS=(gardenctl target shoot w); COMP_CWORD=3; COMP_LINE='gardenctl target shoot w'; COMP_POINT=${#COMP_LINE}\n\
         _clap_complete_gardenctl gardenctl w shoot\nprintf '%s\\n' \"${COMPREPLY[@]}\"",
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(stdout.trim(), "web", "stderr: {stderr}");
    let (code, _, stderr) = g.bash("eval \"$(gardenctl rc bash)\" && alias gk >/dev/null && complete -p g >/dev/null");
    assert_eq!(code, 0, "{stderr}");

    // session clean keeps the current session.
    g.ok(&["session", "clean", "--older-than", "0s"]);
    assert!(g.session_dir().exists() && !g2.session_dir().exists());
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    for e in fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

/// A tmux server of its own (socket in the test's directory) running one interactive bash.
struct Tmux {
    socket: PathBuf,
}

impl Tmux {
    fn start(dir: &Path, env: &[(&'static str, String)]) -> Tmux {
        let socket = dir.join("tmux.sock");
        let mut cmd = Command::new("tmux");
        cmd.arg("-S").arg(&socket).args(["-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "160", "-y", "40"]);
        cmd.arg("bash --norc --noprofile");
        cmd.env("PS1", "$ ").env("TERM", "xterm-256color").env_remove("KUBECONFIG");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let status = cmd.status().expect("tmux is installed (hack/lib.sh installs it)");
        assert!(status.success(), "tmux new-session failed");
        Tmux { socket }
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux").arg("-S").arg(&self.socket).args(args).output().unwrap()
    }

    /// Types `text` literally.
    fn type_text(&self, text: &str) {
        assert!(self.tmux(&["send-keys", "-t", "t", "-l", text]).status.success());
    }

    fn key(&self, key: &str) {
        assert!(self.tmux(&["send-keys", "-t", "t", key]).status.success());
    }

    /// Types a command line and Enter, after clearing the screen.
    fn line(&self, text: &str) {
        self.type_text("clear");
        self.key("Enter");
        std::thread::sleep(Duration::from_millis(200));
        self.type_text(text);
        self.key("Enter");
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "t"]).stdout).to_string()
    }

    /// Waits for the `exit=<code>` line the test's command lines end with; returns the code and the screen.
    fn wait_exit(&self, timeout: Duration) -> (i32, String) {
        let mut found = None;
        let mut screen = String::new();
        let seen = eventually(timeout, || {
            screen = self.screen();
            found = screen.lines().find_map(|l| l.strip_prefix("exit=").and_then(|c| c.trim().parse().ok()));
            found.is_some()
        });
        assert!(seen, "the command never ended; the terminal shows:\n{screen}");
        (found.unwrap(), screen)
    }

    /// Waits until the screen holds `text`; returns the screen.
    fn wait_for(&self, text: &str, timeout: Duration) -> String {
        let mut screen = String::new();
        let seen = eventually(timeout, || {
            screen = self.screen();
            screen.contains(text)
        });
        assert!(seen, "the terminal never showed {text:?}; it shows:\n{screen}");
        screen
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

#[test]
fn progress_bar_fuzzy_picker_and_delete_confirmation_in_a_terminal() {
    let mut garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    let state_dir = garden.start_local_seed_with_dev_project().unwrap();
    let _cleanup = (
        KillPlaneOnDrop(state_dir.join("shoot--dev--local")),
        KillPlaneOnDrop(state_dir.join("shoot--dev--local-workerless")),
    );
    let g = Gctl::new(&garden, "gctl", "tty");
    g.ok(&["config", "set-garden", "local", "--kubeconfig", &garden.kubeconfig().display().to_string()]);
    g.ok(&["target", "--garden", "local", "--project", "dev"]);
    garden.kubectl_ok(&["create", "-f", &repo_path("examples/shoot-local-workerless.yaml").display().to_string()]);
    let term = Tmux::start(garden.dir(), &g.env());

    // The progress bar of `create shoot --wait`, captured while the flow runs.
    let example = repo_path("examples/shoot-local.yaml").display().to_string();
    term.line(&format!("gardenctl create shoot -f {example} --wait --timeout 300s; echo \"exit=$?\""));
    let mut frame = String::new();
    let seen = eventually(Duration::from_secs(120), || {
        frame = term.screen();
        frame.lines().any(|l| l.contains("garden-dev/local Create Processing [=") && l.contains('%'))
    });
    assert!(seen, "no progress bar seen; the terminal shows:\n{frame}");
    let bar = frame.lines().find(|l| l.contains("garden-dev/local Create Processing [=")).unwrap().to_string();
    fs::write(garden.dir().join("progress-bar.txt"), frame.trim_end()).unwrap();
    if let Ok(dir) = std::env::var("GARDENCTL_CAPTURE_DIR") {
        fs::write(
            Path::new(&dir).join("gardenctl-progress.txt"),
            format!("$ gardenctl create shoot -f examples/shoot-local.yaml --wait\n{}\n", bar.trim_end()),
        )
        .unwrap();
    }
    let (code, done) = term.wait_exit(Duration::from_secs(300));
    assert!(code == 0 && done.contains("shoot garden-dev/local: Create succeeded"), "{done}");
    shoot::wait_succeeded(&garden, "garden-dev", "local", Duration::from_secs(10));

    // The fuzzy picker: "loc" fits two shoots; typing narrows the list, Enter takes the one left.
    term.line("gardenctl target shoot loc; echo \"exit=$?\"");
    let picker = term.wait_for("Several shoots match 'loc'", Duration::from_secs(20));
    assert!(picker.contains("local-workerless") && picker.lines().any(|l| l.trim_end().ends_with("local")), "{picker}");
    term.type_text("wrkl");
    std::thread::sleep(Duration::from_millis(300));
    term.key("Enter");
    let (code, after) = term.wait_exit(Duration::from_secs(20));
    assert!(code == 0 && after.contains("Successfully targeted shoot \"local-workerless\""), "{after}");
    assert_eq!(g.target()["shoot"], "local-workerless");
    // Esc cancels the picker and leaves the target alone.
    term.line("gardenctl target shoot loc; echo \"exit=$?\"");
    term.wait_for("Several shoots match 'loc'", Duration::from_secs(20));
    term.key("Escape");
    let (code, cancelled) = term.wait_exit(Duration::from_secs(20));
    assert!(code == 1 && cancelled.contains("cancelled"), "{cancelled}");
    assert_eq!(g.target()["shoot"], "local-workerless");

    // Delete asks for the shoot's name: a wrong answer deletes nothing, the right one deletes it.
    term.line("gardenctl delete shoot; echo \"exit=$?\"");
    term.wait_for("Type its name to confirm", Duration::from_secs(20));
    term.type_text("local");
    term.key("Enter");
    let (code, refused) = term.wait_exit(Duration::from_secs(20));
    assert!(code == 1 && refused.contains("not confirmed"), "{refused}");
    assert!(garden.kubectl(&["-n", "garden-dev", "get", "shoot", "local-workerless"]).status.success());
    term.line("gardenctl delete shoot --wait --timeout 120s; echo \"exit=$?\"");
    term.wait_for("Type its name to confirm", Duration::from_secs(20));
    term.type_text("local-workerless");
    term.key("Enter");
    let (code, deleted) = term.wait_exit(Duration::from_secs(150));
    assert!(code == 0 && deleted.contains("shoot garden-dev/local-workerless is deleted"), "{deleted}");
    assert!(!garden.kubectl(&["-n", "garden-dev", "get", "shoot", "local-workerless"]).status.success());

    // Completion in the terminal: Tab completes a shoot name.
    term.line("source <(gardenctl completion bash)");
    std::thread::sleep(Duration::from_millis(500));
    term.type_text("gardenctl target shoot local-w");
    term.key("Tab");
    std::thread::sleep(Duration::from_millis(300));
    term.key("Tab");
    let completed = term.screen();
    // local-workerless is gone: only "local" remains, which does not start with "local-w"; complete "lo" instead.
    assert!(!completed.contains("local-workerless"), "{completed}");
    term.key("C-u");
    term.type_text("gardenctl target shoot lo");
    term.key("Tab");
    term.wait_for("gardenctl target shoot local", Duration::from_secs(10));
}

#[test]
fn provider_env_for_aws_and_openstack_and_wait_on_a_failing_shoot() {
    let mut garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    // moto knows no access key: every request of the shoot's credentials is refused as unauthenticated.
    let moto = peers::Moto::start_with(garden.dir(), &[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]);
    let (config, state_dir) = garden.aws_seed_config("aws");
    let _cleanup = KillPlaneOnDrop(state_dir.join("shoot--dev--aws"));
    garden.start_gardenlet("aws", &config).unwrap();
    garden.start_aws_machine_layer(&moto.endpoint(), &[]).unwrap();
    project(&garden, "dev", &(member("garden-admin", "admin") + &member("vic", "viewer")));
    for profile in ["examples/cloudprofile-aws.yaml", "examples/cloudprofile-openstack.yaml"] {
        garden.kubectl_ok(&["apply", "-f", &repo_path(profile).display().to_string()]);
    }
    garden.kubectl_ok(&["apply", "-f", &repo_path("examples/shoot-openstack.yaml").display().to_string()]);
    let g = Gctl::new(&garden, "gctl", "cloud");
    g.ok(&["config", "set-garden", "local", "--kubeconfig", &garden.kubeconfig().display().to_string()]);
    g.ok(&["target", "--garden", "local", "--project", "dev"]);

    // --wait on a shoot that fails: exit 1, the error code and what to do next on stderr.
    let example = repo_path("examples/shoot-aws.yaml").display().to_string();
    let out = g.run(&["create", "shoot", "-f", &example, "--wait", "--timeout", "240s"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("[ERR_INFRA_UNAUTHENTICATED]") && stderr.contains("gardenctl retry shoot aws"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let again = g.fails(1, &["wait", "shoot", "aws", "--timeout", "60s"]);
    assert!(again.contains("ERR_INFRA_UNAUTHENTICATED"), "{again}");

    // provider-env for the AWS shoot, evaluated in bash.
    g.ok(&["target", "shoot", "aws"]);
    let (code, stdout, stderr) =
        g.bash("eval \"$(gardenctl provider-env bash)\" && echo \"$AWS_ACCESS_KEY_ID|$AWS_SECRET_ACCESS_KEY|$AWS_DEFAULT_REGION\"");
    assert_eq!(code, 0, "{stderr}");
    let secret = |ns: &str, name: &str, key: &str| {
        let out = garden.kubectl_ok(&["-n", ns, "get", "secret", name, "-o", &format!("jsonpath={{.data.{key}}}")]);
        String::from_utf8(base64::Engine::decode(&base64::engine::general_purpose::STANDARD, out.trim()).unwrap())
            .unwrap()
    };
    let region = shoot::field(&garden, "garden-dev", "aws", "{.spec.region}");
    let expected = format!(
        "{}|{}|{region}",
        secret("garden-dev", "aws-credentials", "accessKeyID"),
        secret("garden-dev", "aws-credentials", "secretAccessKey")
    );
    assert_eq!(stdout.trim(), expected);
    let (code, stdout, _) = g.bash("export AWS_ACCESS_KEY_ID=x; eval \"$(gardenctl provider-env bash -u)\"; echo \"[${AWS_ACCESS_KEY_ID:-unset}]\"");
    assert_eq!((code, stdout.trim()), (0, "[unset]"));

    // provider-env for the OpenStack shoot, in bash and in fish's syntax.
    g.ok(&["target", "shoot", "openstack"]);
    let (code, stdout, stderr) = g.bash(
        "eval \"$(gardenctl provider-env bash)\" && echo \"$OS_AUTH_URL|$OS_PROJECT_NAME|$OS_USER_DOMAIN_NAME|$OS_USERNAME|$OS_PASSWORD|$OS_REGION_NAME\"",
    );
    assert_eq!(code, 0, "{stderr}");
    let region = shoot::field(&garden, "garden-dev", "openstack", "{.spec.region}");
    assert_eq!(
        stdout.trim(),
        format!("http://127.0.0.1:5050/v3|garden-dev|Default|garden|garden-openstack-secret|{region}")
    );
    assert!(g.ok(&["provider-env", "fish"]).contains("set -gx OS_PASSWORD 'garden-openstack-secret';"));

    // Access restrictions must be confirmed; a viewer may not read the credentials at all.
    shoot::merge_patch(
        &garden,
        "garden-dev",
        "openstack",
        r#"{"spec":{"accessRestrictions":[{"name":"eu-access-only"}]}}"#,
    );
    assert!(g.fails(2, &["provider-env", "bash"]).contains("--confirm-access-restriction"));
    assert!(g.ok(&["provider-env", "bash", "--confirm-access-restriction"]).contains("OS_PASSWORD"));
    let vic = Gctl::new(&garden, "gctl-vic", "vic");
    vic.ok(&[
        "config",
        "set-garden",
        "local",
        "--kubeconfig",
        &garden.user_kubeconfig("vic", &[]).display().to_string(),
    ]);
    vic.ok(&["target", "--garden", "local", "--project", "dev", "--shoot", "aws"]);
    let refused = vic.fails(1, &["provider-env", "bash"]);
    assert!(refused.contains("reading the shoot's credentials") && refused.contains("forbidden"), "{refused}");
    drop(garden);
    drop(moto);
}
