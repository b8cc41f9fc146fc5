//! Test helpers: a real etcd (and a real moto S3 server) on free loopback ports, killed on drop.
#![allow(dead_code)] // each test binary uses a different part

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod peers;
#[allow(unused_imports)] // each test binary uses a different part
pub use peers::{find_moto, free_port, http, Moto};

use etcd_backup::restore::RestoreOptions;
use etcd_client::{Client, GetOptions};

/// A single-member etcd on `data_dir` (new or existing), output in `<data_dir>.log`.
pub struct TestEtcd {
    pub data_dir: PathBuf,
    pub name: String,
    pub client_url: String,
    child: Option<Child>,
}

impl TestEtcd {
    pub async fn start(data_dir: &Path, name: &str) -> TestEtcd {
        let (client_port, peer_port) = (free_port(), free_port());
        let client_url = format!("http://127.0.0.1:{client_port}");
        let peer_url = format!("http://127.0.0.1:{peer_port}");
        let log_path = PathBuf::from(format!("{}.log", data_dir.display()));
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&log_path).unwrap();
        let child = Command::new("etcd")
            .args(["--name", name, "--data-dir"])
            .arg(data_dir)
            .args(["--listen-client-urls", &client_url, "--advertise-client-urls", &client_url])
            .args(["--listen-peer-urls", &peer_url, "--initial-advertise-peer-urls", &peer_url])
            .args(["--initial-cluster", &format!("{name}={peer_url}")])
            .args(["--heartbeat-interval", "50", "--election-timeout", "250", "--log-level", "warn"])
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("etcd not found: install Debian's etcd-server (hack/test.sh does)");
        let mut etcd = TestEtcd { data_dir: data_dir.to_path_buf(), name: name.into(), client_url, child: Some(child) };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(mut c) = Client::connect([etcd.client_url.as_str()], None).await {
                if c.status().await.is_ok() {
                    break;
                }
            }
            if let Some(status) = etcd.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("etcd exited with {status}: {}", std::fs::read_to_string(&log_path).unwrap_or_default());
            }
            assert!(Instant::now() < deadline, "etcd not ready: {}", std::fs::read_to_string(&log_path).unwrap());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        etcd
    }

    pub async fn client(&self) -> Client {
        Client::connect([self.client_url.as_str()], None).await.unwrap()
    }

    /// SIGTERM and wait.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for TestEtcd {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Every key and value, and the revision they were read at.
pub async fn dump(client: &mut Client) -> (BTreeMap<String, String>, i64) {
    let mut kv = client.kv_client().max_decoding_message_size(512 << 20);
    let resp = kv.get(vec![0u8], Some(GetOptions::new().with_all_keys())).await.unwrap();
    let revision = resp.header().unwrap().revision();
    let map =
        resp.kvs().iter().map(|kv| (kv.key_str().unwrap().to_string(), kv.value_str().unwrap().to_string())).collect();
    (map, revision)
}

/// Puts and returns the new revision.
pub async fn put(client: &mut Client, key: &str, value: &str) -> i64 {
    client.put(key, value, None).await.unwrap().header().unwrap().revision()
}

pub async fn delete(client: &mut Client, key: &str) -> i64 {
    client.delete(key, None).await.unwrap().header().unwrap().revision()
}

/// Restore options for a member `name` in `dir` with etcd/etcdctl from PATH.
pub fn restore_options(data_dir: &Path, name: &str) -> RestoreOptions {
    let mut opts = RestoreOptions::new(data_dir, name, &format!("http://127.0.0.1:{}", free_port()));
    opts.etcd_timeout = Duration::from_secs(30);
    opts
}

/// [`http`] off the async runtime's worker threads.
pub async fn http_async(port: u16, method: &'static str, path: &'static str) -> (u16, String) {
    tokio::task::spawn_blocking(move || http(port, method, path)).await.unwrap().expect("server answers")
}

/// Polls `f` every 100 ms until it returns `Some`, or panics after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
