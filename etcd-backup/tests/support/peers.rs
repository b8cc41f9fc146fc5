//! Finding, starting and talking to the helper servers of the tests and of `bench-backup` (which include this
//! file, as provider-aws's tests do): the `moto_server` executable, a started moto, and bodyless HTTP/1.1 requests
//! to loopback servers.
#![allow(dead_code)] // each includer uses a different part

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

/// `moto_server` from `$MOTO_VENV/bin`, `$GARDEN_TOOLS_DIR` (default `~/.cache/garden-tools`)`/moto-venv/bin`,
/// or PATH.
pub fn find_moto() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(venv) = std::env::var_os("MOTO_VENV") {
        candidates.push(PathBuf::from(venv).join("bin/moto_server"));
    }
    let tools = std::env::var_os("GARDEN_TOOLS_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/garden-tools")));
    if let Some(tools) = tools {
        candidates.push(tools.join("moto-venv/bin/moto_server"));
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|p| p.join("moto_server")));
    }
    candidates.into_iter().find(|p| p.is_file())
}

/// A bodyless HTTP/1.1 request to `127.0.0.1:port`; the status code and body, or `None` when nothing answers.
pub fn http(port: u16, method: &str, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(s, "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf);
    let code = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Some((code, body))
}

/// A free loopback TCP port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A moto server (EC2, S3, IAM on one port) on a free loopback port, its output in `<log_dir>/moto.log`,
/// killed on drop. Fails (does not skip) when moto is missing: hack/test.sh installs it.
pub struct Moto {
    pub port: u16,
    child: std::process::Child,
}

impl Moto {
    pub fn start(log_dir: &std::path::Path) -> Moto {
        Self::start_with(log_dir, &[])
    }

    /// With extra environment, e.g. `MOTO_ENABLE_AMI_VALIDATION=true`.
    pub fn start_with(log_dir: &std::path::Path, env: &[(&str, &str)]) -> Moto {
        use std::process::{Command, Stdio};
        use std::time::Instant;
        let bin = find_moto().unwrap_or_else(|| {
            panic!(
                "moto_server not found (looked in $MOTO_VENV/bin, ~/.cache/garden-tools/moto-venv/bin and PATH): \
                 run hack/test.sh, which installs it (garden::ensure_moto)"
            )
        });
        let port = free_port();
        let log_path = log_dir.join("moto.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| panic!("failed to start {}: {e}", bin.display()));
        let mut moto = Moto { port, child };
        let deadline = Instant::now() + Duration::from_secs(60);
        let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
        while http(port, "GET", "/moto-api/").is_none_or(|(code, _)| code != 200) {
            if let Some(status) = moto.child.try_wait().unwrap() {
                panic!("moto_server exited with {status}: {}", log());
            }
            assert!(Instant::now() < deadline, "moto not ready: {}", log());
            std::thread::sleep(Duration::from_millis(200));
        }
        moto
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates a bucket (object_store cannot): an unsigned path-style PUT, which moto accepts.
    pub fn create_bucket(&self, bucket: &str) {
        let (code, _) = http(self.port, "PUT", &format!("/{bucket}")).expect("moto answers");
        assert_eq!(code, 200, "creating bucket {bucket}");
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
