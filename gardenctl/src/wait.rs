//! Following a shoot's operation from a watch on the shoot: a live progress bar on a terminal (percentage, the
//! flow's running tasks, errors with their codes), one line per change otherwise. Success is the operation
//! `Succeeded` for the shoot's current generation; failure is `Failed`, or an error whose codes say retrying cannot
//! fix it.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{anyhow, bail, Result};
use futures::StreamExt;
use garden_api::core::v1beta1::Shoot;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kube::api::Api;
use kube::runtime::watcher::{self, Event};

use crate::garden::Garden;

/// Gardener's error codes that retrying does not fix (its `nonRetryableErrorCodes`).
const NON_RETRYABLE: [&str; 5] = [
    "ERR_INFRA_UNAUTHENTICATED",
    "ERR_INFRA_UNAUTHORIZED",
    "ERR_INFRA_QUOTA_EXCEEDED",
    "ERR_INFRA_DEPENDENCIES",
    "ERR_CONFIGURATION_PROBLEM",
];

/// The annotation that asks for an operation; the gardenlet removes it when it starts.
const OPERATION_ANNOTATION: &str = "gardener.cloud/operation";

/// What to wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// The current generation's operation succeeded.
    Succeeded,
    /// The shoot is gone.
    Deleted,
}

/// Where a shoot stands, as far as waiting goes.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Pending,
    Succeeded,
    Failed(String),
}

/// Judges `shoot` (see the module docs). With `after`, only an operation updated later than that counts (a
/// reconcile asked for by annotation changes no generation).
pub fn judge(shoot: &Shoot, after: Option<jiff::Timestamp>) -> Verdict {
    let generation = shoot.metadata.generation.unwrap_or(0);
    let Some(status) = shoot.status.as_ref() else { return Verdict::Pending };
    let Some(op) = status.last_operation.as_ref() else { return Verdict::Pending };
    let updated = op.last_update_time.as_ref().map(|t| t.0);
    let current = status.observed_generation >= generation && after.is_none_or(|a| updated.is_some_and(|u| u > a));
    let requested = shoot.metadata.annotations.as_ref().is_some_and(|a| a.contains_key(OPERATION_ANNOTATION));
    match op.state.as_str() {
        "Succeeded" if current && !requested => Verdict::Succeeded,
        "Failed" if current => Verdict::Failed(failure(shoot)),
        "Error" if current && errors_are_final(shoot) => Verdict::Failed(failure(shoot)),
        _ => Verdict::Pending,
    }
}

fn errors_are_final(shoot: &Shoot) -> bool {
    let errors = shoot.status.as_ref().map(|s| s.last_errors.as_slice()).unwrap_or_default();
    errors.iter().any(|e| e.codes.iter().any(|c| NON_RETRYABLE.contains(&c.as_str())))
}

/// The failure in words: the operation and every last error with its codes.
fn failure(shoot: &Shoot) -> String {
    let status = shoot.status.clone().unwrap_or_default();
    let op = status.last_operation.unwrap_or_default();
    let mut out = format!("{} {}: {}", op.type_, op.state, op.description);
    for e in &status.last_errors {
        let task = e.task_id.as_deref().map(|t| format!("{t}: ")).unwrap_or_default();
        out.push_str(&format!("\n  [{}] {task}{}", e.codes.join(", "), e.description));
    }
    out
}

/// One line of the shoot's state: `Create Processing 42%: task-a, task-b` plus its errors' codes.
pub fn describe(shoot: &Shoot) -> (u64, String, String) {
    let status = shoot.status.clone().unwrap_or_default();
    let Some(op) = status.last_operation else {
        let waiting = if shoot.metadata.deletion_timestamp.is_some() { "Delete Pending" } else { "Pending" };
        return (0, waiting.to_string(), "waiting for the gardenlet".to_string());
    };
    let mut message = op.description.clone();
    let codes: Vec<&str> = status.last_errors.iter().flat_map(|e| e.codes.iter().map(String::as_str)).collect();
    if op.state == "Error" && !codes.is_empty() {
        message = format!("[{}] {message} (retrying)", codes.join(", "));
    }
    (op.progress.clamp(0, 100) as u64, format!("{} {}", op.type_, op.state), message)
}

/// The update time of the shoot's last operation (what [`judge`]'s `after` compares with).
pub fn last_update(shoot: &Shoot) -> Option<jiff::Timestamp> {
    shoot.status.as_ref()?.last_operation.as_ref()?.last_update_time.as_ref().map(|t| t.0)
}

/// Follows shoot `namespace/name` until `until`, failure, or `timeout` (see [`judge`] for `after`).
pub async fn follow(
    garden: &Garden,
    (namespace, name): (&str, &str),
    until: Until,
    after: Option<jiff::Timestamp>,
    timeout: Duration,
) -> Result<()> {
    let api: Api<Shoot> = Api::namespaced(garden.client.clone(), namespace);
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut events = watcher::watcher(api, config).boxed();
    let display = Display::new(&format!("{namespace}/{name}"));
    let deadline = tokio::time::Instant::now() + timeout;
    let mut last = None;
    let mut seen_in_listing = false;
    // Timestamps have seconds only: an operation seen running since the request counts as new, whatever its time.
    let mut after = after;
    loop {
        let event = match tokio::time::timeout_at(deadline, events.next()).await {
            Err(_) => {
                display.abandon();
                let state = last.as_ref().map(|s: &Shoot| describe(s)).map(|(p, s, _)| format!("{s} {p}%"));
                bail!(
                    "timed out after {}s waiting for shoot {namespace}/{name} (now: {}); gardenctl wait shoot {name} \
                     follows it again",
                    timeout.as_secs(),
                    state.unwrap_or_else(|| "not seen".into())
                );
            }
            Ok(None) => bail!("the watch on shoot {namespace}/{name} ended"),
            Ok(Some(Err(e))) => {
                display.note(&format!("watch interrupted ({e}); resuming"));
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            Ok(Some(Ok(e))) => e,
        };
        let shoot = match event {
            Event::Init => {
                seen_in_listing = false;
                continue;
            }
            Event::InitApply(s) => {
                seen_in_listing = true;
                s
            }
            Event::InitDone => {
                if !seen_in_listing {
                    if until == Until::Deleted {
                        display.finish(&format!("shoot {namespace}/{name} is deleted"));
                        return Ok(());
                    }
                    display.abandon();
                    bail!("shoot {namespace}/{name} does not exist (gardenctl ls shoots lists them)");
                }
                continue;
            }
            Event::Apply(s) => s,
            Event::Delete(_) => {
                if until == Until::Deleted {
                    display.finish(&format!("shoot {namespace}/{name} is deleted"));
                    return Ok(());
                }
                display.abandon();
                bail!("shoot {namespace}/{name} was deleted while waiting for it");
            }
        };
        display.show(&shoot);
        let state = shoot.status.as_ref().and_then(|s| s.last_operation.as_ref()).map(|o| o.state.as_str());
        if state == Some("Processing") {
            after = None;
        }
        match (until, judge(&shoot, after)) {
            (Until::Succeeded, Verdict::Succeeded) => {
                let op = shoot.status.as_ref().and_then(|s| s.last_operation.as_ref()).map(|o| o.type_.clone());
                display.finish(&format!("shoot {namespace}/{name}: {} succeeded", op.unwrap_or_default()));
                return Ok(());
            }
            (_, Verdict::Failed(why)) => {
                display.abandon();
                return Err(anyhow!(
                    "shoot {namespace}/{name} failed: {why}\nFix the cause (the codes name its kind), then run \
                     gardenctl retry shoot {name}"
                ));
            }
            _ => {}
        }
        last = Some(shoot);
    }
}

/// The progress bar on a terminal, plain lines otherwise.
struct Display {
    bar: Option<ProgressBar>,
    prefix: String,
    last_line: std::cell::RefCell<String>,
}

impl Display {
    fn new(prefix: &str) -> Display {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(100), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix} [{bar:30}] {pos:>3}% {elapsed:>4} {wide_msg}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Display { bar, prefix: prefix.to_string(), last_line: Default::default() }
    }

    fn show(&self, shoot: &Shoot) {
        let (percent, state, message) = describe(shoot);
        match &self.bar {
            Some(bar) => {
                bar.set_prefix(format!("{} {state}", self.prefix));
                bar.set_position(percent);
                bar.set_message(message);
            }
            None => {
                let line = format!("{} {state} {percent}%: {message}", self.prefix);
                if *self.last_line.borrow() != line {
                    eprintln!("{line}");
                    *self.last_line.borrow_mut() = line;
                }
            }
        }
    }

    fn note(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    fn finish(&self, text: &str) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        eprintln!("{text}");
    }

    fn abandon(&self) {
        if let Some(bar) = &self.bar {
            bar.abandon();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shoot(v: serde_json::Value) -> Shoot {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn verdicts() {
        let ok = shoot(json!({"metadata": {"generation": 2}, "status": {"observedGeneration": 2,
            "lastOperation": {"type": "Create", "state": "Succeeded", "progress": 100, "description": "done"}}}));
        assert_eq!(judge(&ok, None), Verdict::Succeeded);
        let earlier: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut timed = ok.clone();
        timed.status.as_mut().unwrap().last_operation.as_mut().unwrap().last_update_time =
            Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(earlier));
        assert_eq!(judge(&timed, Some(earlier)), Verdict::Pending, "not updated since the request");
        assert_eq!(judge(&timed, Some(earlier - jiff::SignedDuration::from_secs(1))), Verdict::Succeeded);
        let stale = shoot(json!({"metadata": {"generation": 3}, "status": {"observedGeneration": 2,
            "lastOperation": {"type": "Reconcile", "state": "Succeeded", "progress": 100, "description": "done"}}}));
        assert_eq!(judge(&stale, None), Verdict::Pending);
        let retrying = shoot(json!({"metadata": {"generation": 1}, "status": {"observedGeneration": 1,
            "lastOperation": {"type": "Create", "state": "Error", "progress": 0, "description": "x"},
            "lastErrors": [{"description": "worker not ready", "codes": ["ERR_RETRYABLE_INFRA_DEPENDENCIES"]}]}}));
        assert_eq!(judge(&retrying, None), Verdict::Pending);
        let fatal = shoot(json!({"metadata": {"generation": 1}, "status": {"observedGeneration": 1,
            "lastOperation": {"type": "Create", "state": "Error", "progress": 0, "description": "flow failed"},
            "lastErrors": [{"taskID": "infrastructure", "description": "bad key", "codes": ["ERR_INFRA_UNAUTHENTICATED"]}]}}));
        let Verdict::Failed(why) = judge(&fatal, None) else { panic!("not failed") };
        assert!(why.contains("[ERR_INFRA_UNAUTHENTICATED] infrastructure: bad key"), "{why}");
        let (percent, state, message) = describe(&fatal);
        assert_eq!((percent, state.as_str()), (0, "Create Error"));
        assert!(message.contains("ERR_INFRA_UNAUTHENTICATED"), "{message}");
    }
}
