//! A temporary single-member etcd on free loopback ports, for checking and rebuilding a data directory.
//! The guard kills the process when dropped, on every path (errors, panics, cancelled futures).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use etcd_client::{Client, ConnectOptions};
use tokio::process::{Child, Command};
use tracing::debug;

use crate::error::{Error, Result};

/// A running temporary etcd.
pub struct TemporaryEtcd {
    child: Option<Child>,
    client_url: String,
    log_path: PathBuf,
}

/// How to start a [`TemporaryEtcd`].
#[derive(Clone, Debug)]
pub struct TemporaryEtcdOptions {
    /// The etcd binary.
    pub etcd_bin: PathBuf,
    /// Member name (must match the data directory's member when it exists).
    pub name: String,
    /// Give up when it is not healthy by then.
    pub timeout: Duration,
    /// Where its output goes.
    pub log_path: PathBuf,
}

impl TemporaryEtcd {
    /// Starts etcd on `data_dir` (created as a new single-member cluster when empty) and waits until it answers.
    /// Allows large requests and transactions: a restore replays whole revisions as single transactions.
    pub async fn start(data_dir: &Path, opts: &TemporaryEtcdOptions) -> Result<TemporaryEtcd> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Self::try_start(data_dir, opts).await {
                // A free port can be taken between our probe and etcd's bind: retry with fresh ports.
                Err(Error::Process { reason, .. }) if attempt < 3 && reason.contains("address already in use") => {
                    debug!(reason, "temporary etcd lost a port race, retrying");
                }
                other => return other,
            }
        }
    }

    async fn try_start(data_dir: &Path, opts: &TemporaryEtcdOptions) -> Result<TemporaryEtcd> {
        let (client_port, peer_port) = free_ports()?;
        let client_url = format!("http://127.0.0.1:{client_port}");
        let peer_url = format!("http://127.0.0.1:{peer_port}");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&opts.log_path)
            .map_err(|e| Error::io("open etcd log", &opts.log_path, e))?;
        let log_err = log.try_clone().map_err(|e| Error::io("open etcd log", &opts.log_path, e))?;
        let mut cmd = Command::new(&opts.etcd_bin);
        cmd.arg("--name")
            .arg(&opts.name)
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--listen-client-urls")
            .arg(&client_url)
            .arg("--advertise-client-urls")
            .arg(&client_url)
            .arg("--listen-peer-urls")
            .arg(&peer_url)
            .arg("--initial-advertise-peer-urls")
            .arg(&peer_url)
            .arg("--initial-cluster")
            .arg(format!("{}={peer_url}", opts.name))
            .arg("--heartbeat-interval")
            .arg("50")
            .arg("--election-timeout")
            .arg("250")
            .arg("--max-request-bytes")
            .arg((64u32 << 20).to_string())
            .arg("--max-txn-ops")
            .arg("1000000")
            .arg("--log-level")
            .arg("warn")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .kill_on_drop(true);
        // Not an `Error::Process`: a missing binary says nothing about the data directory.
        let child = cmd.spawn().map_err(|e| Error::io("run", &opts.etcd_bin, e))?;
        let mut etcd = TemporaryEtcd { child: Some(child), client_url, log_path: opts.log_path.clone() };
        etcd.wait_healthy(opts.timeout).await?;
        debug!(data_dir = %data_dir.display(), url = %etcd.client_url, "temporary etcd is up");
        Ok(etcd)
    }

    async fn wait_healthy(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(Error::Process {
                        what: "start temporary etcd".into(),
                        reason: format!("exited with {status}; log {}:\n{}", self.log_path.display(), self.log_tail()),
                    });
                }
            }
            if let Ok(mut client) = self.client().await {
                if tokio::time::timeout(Duration::from_secs(2), client.status()).await.is_ok_and(|r| r.is_ok()) {
                    return Ok(());
                }
            }
            if Instant::now() >= deadline {
                return Err(Error::Process {
                    what: "start temporary etcd".into(),
                    reason: format!(
                        "not healthy within {timeout:?}; log {}:\n{}",
                        self.log_path.display(),
                        self.log_tail()
                    ),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn client_url(&self) -> &str {
        &self.client_url
    }

    /// A client of this etcd.
    pub async fn client(&self) -> Result<Client> {
        let opts = ConnectOptions::new().with_connect_timeout(Duration::from_secs(2));
        Client::connect([self.client_url.as_str()], Some(opts)).await.map_err(|e| Error::etcd("connect to etcd", e))
    }

    /// SIGTERM and wait (SIGKILL after `grace`), so the data directory is closed cleanly.
    pub async fn stop(mut self, grace: Duration) -> Result<()> {
        let Some(mut child) = self.child.take() else { return Ok(()) };
        if let Some(pid) = child.id() {
            // Through kill(1): this crate forbids unsafe code.
            let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status().await;
            if tokio::time::timeout(grace, child.wait()).await.is_ok() {
                return Ok(());
            }
        }
        let _ = child.kill().await;
        Ok(())
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for TemporaryEtcd {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
    }
}

fn free_ports() -> Result<(u16, u16)> {
    let bind = || TcpListener::bind("127.0.0.1:0").map_err(|e| Error::io("find a free port", "127.0.0.1", e));
    let (a, b) = (bind()?, bind()?);
    let port = |l: &TcpListener| l.local_addr().map(|a| a.port()).map_err(|e| Error::io("find a free port", "", e));
    Ok((port(&a)?, port(&b)?))
}
