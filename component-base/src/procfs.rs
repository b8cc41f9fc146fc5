//! Finding processes by their command line in `/proc` (Linux): the gardenlet's process runtime adopts and
//! stops control-plane processes it has no PID file for, and tests check that none are left behind.

/// Whether a `/proc/<pid>/cmdline` (NUL-separated arguments) contains `marker` (e.g. a directory every
/// process of one control plane names). A zombie's cmdline is empty and never matches; neither does an
/// empty marker.
pub fn cmdline_matches(cmdline: &[u8], marker: &str) -> bool {
    !marker.is_empty() && cmdline.windows(marker.len()).any(|w| w == marker.as_bytes())
}

/// Live processes other than this one whose command line contains `marker`, with their arguments.
pub fn processes_with(marker: &str) -> Vec<(u32, Vec<String>)> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != me)
        .filter_map(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            cmdline_matches(&cmdline, marker).then(|| {
                // Every argument ends with a NUL; the last one is not the start of another argument.
                let args = cmdline.strip_suffix(&[0]).unwrap_or(&cmdline);
                (pid, args.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect())
            })
        })
        .collect()
}

/// Sends signal `sig` (a `kill` argument such as `-TERM`, `-KILL`, or `-TERM` with a negative PID for a
/// process group) to `pid` with the system's `kill`; a process that is gone already is not an error.
pub fn signal(sig: &str, pid: u32) {
    let _ = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

/// Whether `pid` is alive and not a zombie (a zombie's command line is empty).
pub fn alive(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| !c.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_match_inside_arguments_only_when_present() {
        let cmdline = b"etcd\0--data-dir\0/var/lib/plane-a/etcd\0";
        assert!(cmdline_matches(cmdline, "/var/lib/plane-a"));
        assert!(!cmdline_matches(cmdline, "/var/lib/plane-b"));
        assert!(!cmdline_matches(b"", "/var/lib/plane-a"), "a zombie's empty cmdline");
        assert!(!cmdline_matches(cmdline, ""), "an empty marker would match everything");
    }

    #[test]
    fn finds_a_child_by_its_arguments_and_not_itself() {
        let marker = format!("procfs-test-{}", std::process::id());
        // A shell keeps its arguments ($0) in its command line; its `sleep` child does not carry the marker.
        let program = "sleep 5; :";
        let mut child = std::process::Command::new("sh").args(["-c", program, &marker]).spawn().expect("sh");
        // Until the child has exec'd, its command line is still this test's; and for a moment after the shell
        // forks `sleep`, the forked copy still shows the shell's. Both pass: wait for the shell alone.
        let mut found = Vec::new();
        for _ in 0..200 {
            found = processes_with(&marker);
            if found.len() == 1 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, child.id());
        assert_eq!(found[0].1, ["sh", "-c", program, marker.as_str()]);
    }
}
