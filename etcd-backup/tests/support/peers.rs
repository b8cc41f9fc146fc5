//! Finding and talking to the helper servers of the tests and of `bench-backup` (which includes this file):
//! the `moto_server` executable and bodyless HTTP/1.1 requests to loopback servers.

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
