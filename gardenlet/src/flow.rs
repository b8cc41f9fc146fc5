//! The flow engine: a DAG of named tasks (Gardener's `pkg/utils/flow`), run with maximal
//! parallelism while respecting dependencies.
//!
//! - [`Flow`] is the builder: [`Flow::add`] registers a task with the ids it depends on (which may
//!   be added later); [`Flow::build`] rejects duplicate ids, unknown dependencies and cycles (the
//!   error names the cycle) and returns a runnable [`Graph`].
//! - [`Graph::run`] starts every task whose dependencies succeeded, as soon as they did. On the first
//!   failure no new task starts; tasks already running finish. The error lists every failed task
//!   with its error and the tasks that never ran.
//! - Each task may retry with a bounded exponential backoff ([`Retry`]) and has a deadline: its own
//!   timeout counted from its start, capped by the run's deadline ([`Graph::run_until`]).
//! - A progress callback sees every start and finish: which tasks run, how many are done, and
//!   `percent = done * 100 / total` (for `status.lastOperation.progress` and `.description`).
//!
//! Nothing here talks to an API server; tasks are plain async closures.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// What a task returns.
pub type TaskResult = Result<(), anyhow::Error>;

type TaskFn = Arc<dyn Fn() -> BoxFuture<'static, TaskResult> + Send + Sync>;

/// Retry policy of a task: up to `attempts` runs in total, waiting `initial_backoff`, doubling up to
/// `max_backoff`, between them. The task's deadline ends the retries early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    /// Total number of attempts (at least 1).
    pub attempts: u32,
    /// Wait after the first failure.
    pub initial_backoff: Duration,
    /// Upper bound of the wait.
    pub max_backoff: Duration,
}

impl Retry {
    /// Run once, never retry.
    pub const NONE: Retry = Retry { attempts: 1, initial_backoff: Duration::ZERO, max_backoff: Duration::ZERO };

    /// Retry until the task's deadline (Gardener's `RetryUntilTimeout`).
    pub fn until_deadline(initial_backoff: Duration, max_backoff: Duration) -> Self {
        Retry { attempts: u32::MAX, initial_backoff, max_backoff }
    }

    /// The wait after the `failures`th consecutive failure (1-based).
    pub fn backoff(&self, failures: u32) -> Duration {
        let factor = 1u32 << failures.saturating_sub(1).min(20);
        self.initial_backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

/// An error that retrying cannot fix (Gardener's severe error, e.g. an extension reporting wrong credentials):
/// the task fails at once instead of retrying until its deadline.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Severe(pub String);

struct Task {
    id: String,
    deps: Vec<String>,
    run: TaskFn,
    retry: Retry,
    timeout: Option<Duration>,
}

/// Builder of a flow: named tasks and their dependencies.
pub struct Flow {
    name: String,
    tasks: Vec<Task>,
}

/// Options of a task just added to a [`Flow`].
pub struct TaskOptions<'a>(&'a mut Task);

impl TaskOptions<'_> {
    /// Sets the retry policy (default [`Retry::NONE`]).
    pub fn retry(self, retry: Retry) -> Self {
        self.0.retry = Retry { attempts: retry.attempts.max(1), ..retry };
        self
    }

    /// Sets the task's deadline, counted from its start and covering all attempts.
    #[allow(dead_code)] // engine API, exercised by the tests
    pub fn timeout(self, timeout: Duration) -> Self {
        self.0.timeout = Some(timeout);
        self
    }
}

/// A flow that cannot be built.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// Two tasks have the same id.
    #[error("flow {flow}: task {task} is added twice")]
    DuplicateTask {
        /// Flow name.
        flow: String,
        /// The task id.
        task: String,
    },
    /// A task depends on an id no task has.
    #[error("flow {flow}: task {task} depends on unknown task {dependency}")]
    UnknownDependency {
        /// Flow name.
        flow: String,
        /// The task id.
        task: String,
        /// The missing dependency.
        dependency: String,
    },
    /// The dependencies form a cycle; `cycle` starts and ends with the same task.
    #[error("flow {flow}: dependency cycle {}", cycle.join(" -> "))]
    Cycle {
        /// Flow name.
        flow: String,
        /// The tasks of the cycle, in dependency order, first repeated at the end.
        cycle: Vec<String>,
    },
}

/// A flow run that did not succeed.
#[derive(Debug, thiserror::Error)]
#[error("flow {flow} failed: {}", describe(failed))]
pub struct FlowError {
    /// Flow name.
    pub flow: String,
    /// The failed tasks and their errors, in the order they failed.
    pub failed: Vec<(String, anyhow::Error)>,
    /// Tasks that never started because of the failure, in insertion order.
    pub skipped: Vec<String>,
}

fn describe(failed: &[(String, anyhow::Error)]) -> String {
    failed.iter().map(|(task, err)| format!("task {task}: {err:#}")).collect::<Vec<_>>().join("; ")
}

impl FlowError {
    /// The ids of the failed tasks.
    #[allow(dead_code)] // engine API, exercised by the tests
    pub fn failed_tasks(&self) -> Vec<&str> {
        self.failed.iter().map(|(t, _)| t.as_str()).collect()
    }
}

/// Progress of a run, reported whenever a task starts or finishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress<'a> {
    /// `done * 100 / total` (100 for an empty flow).
    pub percent: u8,
    /// Ids of the running tasks, in insertion order.
    pub running: Vec<&'a str>,
    /// Number of tasks finished successfully.
    pub done: usize,
    /// Number of tasks.
    pub total: usize,
}

impl Flow {
    /// An empty flow named `name` (used in errors and logs).
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), tasks: Vec::new() }
    }

    /// Adds task `id` depending on `deps`; `f` makes one attempt each time it is called.
    pub fn add<F, Fut>(&mut self, id: impl Into<String>, deps: &[&str], f: F) -> TaskOptions<'_>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        let run: TaskFn = Arc::new(move || Box::pin(f()));
        self.tasks.push(Task {
            id: id.into(),
            deps: deps.iter().map(|d| d.to_string()).collect(),
            run,
            retry: Retry::NONE,
            timeout: None,
        });
        let last = self.tasks.len() - 1;
        TaskOptions(&mut self.tasks[last])
    }

    /// Checks ids, dependencies and acyclicity.
    pub fn build(self) -> Result<Graph, BuildError> {
        let mut index = HashMap::new();
        for (i, t) in self.tasks.iter().enumerate() {
            if index.insert(t.id.clone(), i).is_some() {
                return Err(BuildError::DuplicateTask { flow: self.name, task: t.id.clone() });
            }
        }
        let mut deps = Vec::with_capacity(self.tasks.len());
        for t in &self.tasks {
            let mut d = Vec::with_capacity(t.deps.len());
            for dep in &t.deps {
                match index.get(dep) {
                    Some(&j) if !d.contains(&j) => d.push(j),
                    Some(_) => {}
                    None => {
                        return Err(BuildError::UnknownDependency {
                            flow: self.name,
                            task: t.id.clone(),
                            dependency: dep.clone(),
                        })
                    }
                }
            }
            deps.push(d);
        }
        if let Some(cycle) = find_cycle(&deps) {
            let cycle = cycle.into_iter().map(|i| self.tasks[i].id.clone()).collect();
            return Err(BuildError::Cycle { flow: self.name, cycle });
        }
        let mut dependents = vec![Vec::new(); self.tasks.len()];
        for (i, d) in deps.iter().enumerate() {
            for &j in d {
                dependents[j].push(i);
            }
        }
        Ok(Graph { name: self.name, tasks: self.tasks, deps, dependents })
    }
}

/// A cycle in `deps` (edges task -> dependency) as indices in dependency order, the first repeated
/// at the end; depth-first with colors, visiting tasks in insertion order.
fn find_cycle(deps: &[Vec<usize>]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Color {
        White,
        Grey,
        Black,
    }
    let mut color = vec![Color::White; deps.len()];
    for root in 0..deps.len() {
        if color[root] != Color::White {
            continue;
        }
        // Stack of (node, next dependency position); `path` mirrors the grey nodes.
        let mut stack = vec![(root, 0usize)];
        color[root] = Color::Grey;
        while let Some(&mut (node, ref mut pos)) = stack.last_mut() {
            if let Some(&next) = deps[node].get(*pos) {
                *pos += 1;
                match color[next] {
                    Color::White => {
                        color[next] = Color::Grey;
                        stack.push((next, 0));
                    }
                    Color::Grey => {
                        let start = stack.iter().position(|&(n, _)| n == next).unwrap_or(0);
                        let mut cycle: Vec<usize> = stack[start..].iter().map(|&(n, _)| n).collect();
                        cycle.push(next);
                        return Some(cycle);
                    }
                    Color::Black => {}
                }
            } else {
                color[node] = Color::Black;
                stack.pop();
            }
        }
    }
    None
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Waiting,
    Running,
    Done,
    Failed,
}

/// A validated flow, ready to run (any number of times).
pub struct Graph {
    name: String,
    tasks: Vec<Task>,
    /// Per task, the indices of its dependencies.
    deps: Vec<Vec<usize>>,
    /// Per task, the indices of the tasks depending on it.
    dependents: Vec<Vec<usize>>,
}

impl Graph {
    /// The flow's name.
    #[allow(dead_code)] // engine API, exercised by the tests
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of tasks.
    #[allow(dead_code)] // engine API, exercised by the tests
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether the flow has no tasks.
    #[allow(dead_code)] // engine API, exercised by the tests
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Runs the flow without an overall deadline.
    pub async fn run(&self, progress: impl Fn(&Progress<'_>)) -> Result<(), FlowError> {
        self.run_until(None, progress).await
    }

    /// Runs the flow; no task starts after `deadline` and running tasks are cut off at it.
    pub async fn run_until(
        &self,
        deadline: Option<Instant>,
        progress: impl Fn(&Progress<'_>),
    ) -> Result<(), FlowError> {
        let n = self.tasks.len();
        let mut pending: Vec<usize> = self.deps.iter().map(Vec::len).collect();
        let mut state = vec![State::Waiting; n];
        let mut done = 0usize;
        let mut failed: Vec<(String, anyhow::Error)> = Vec::new();
        let mut running: JoinSet<(usize, TaskResult)> = JoinSet::new();
        let mut ids = HashMap::new();

        let report = |state: &[State], done: usize| {
            let running = self.tasks.iter().zip(state).filter(|(_, s)| **s == State::Running);
            let percent = (done * 100).checked_div(n).map_or(100, |p| p as u8);
            progress(&Progress { percent, running: running.map(|(t, _)| t.id.as_str()).collect(), done, total: n });
        };

        loop {
            if failed.is_empty() {
                for i in 0..n {
                    if state[i] != State::Waiting || pending[i] != 0 {
                        continue;
                    }
                    let task = &self.tasks[i];
                    let now = Instant::now();
                    if deadline.is_some_and(|d| now >= d) {
                        state[i] = State::Failed;
                        failed
                            .push((task.id.clone(), anyhow::anyhow!("flow deadline exceeded before the task started")));
                        break;
                    }
                    let task_deadline = match (task.timeout.map(|t| now + t), deadline) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    state[i] = State::Running;
                    let handle = running.spawn(attempt_all(i, task.run.clone(), task.retry, task_deadline));
                    ids.insert(handle.id(), i);
                    report(&state, done);
                }
            }
            let Some(joined) = running.join_next_with_id().await else { break };
            let (i, result) = match joined {
                Ok((_, (i, result))) => (i, result),
                Err(err) => {
                    let i = ids[&err.id()];
                    (i, Err(anyhow::anyhow!("task panicked: {err}")))
                }
            };
            match result {
                Ok(()) => {
                    state[i] = State::Done;
                    done += 1;
                    for &d in &self.dependents[i] {
                        pending[d] -= 1;
                    }
                }
                Err(err) => {
                    state[i] = State::Failed;
                    failed.push((self.tasks[i].id.clone(), err));
                }
            }
            report(&state, done);
        }

        if failed.is_empty() {
            return Ok(());
        }
        let skipped = self.tasks.iter().zip(&state).filter(|(_, s)| **s == State::Waiting).map(|(t, _)| t.id.clone());
        Err(FlowError { flow: self.name.clone(), failed, skipped: skipped.collect() })
    }
}

/// Runs one task's attempts until success, the attempt limit or the deadline.
async fn attempt_all(i: usize, run: TaskFn, retry: Retry, deadline: Option<Instant>) -> (usize, TaskResult) {
    let mut failures = 0u32;
    loop {
        let attempt = run();
        let result = match deadline {
            Some(d) => match tokio::time::timeout_at(d, attempt).await {
                Ok(r) => r,
                Err(_) => Err(anyhow::anyhow!("deadline exceeded after {} failed attempts", failures)),
            },
            None => attempt.await,
        };
        let err = match result {
            Ok(()) => return (i, Ok(())),
            Err(err) => err,
        };
        failures += 1;
        if failures >= retry.attempts || err.chain().any(|e| e.is::<Severe>()) {
            return (i, Err(err));
        }
        let wait = retry.backoff(failures);
        if deadline.is_some_and(|d| Instant::now() + wait >= d) {
            return (i, Err(err.context("deadline exceeded while retrying")));
        }
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Mutex;

    /// A shared event log the tasks append to.
    #[derive(Clone, Default)]
    struct Log(Arc<Mutex<Vec<String>>>);

    impl Log {
        fn push(&self, s: impl Into<String>) {
            self.0.lock().unwrap().push(s.into());
        }
        fn get(&self) -> Vec<String> {
            self.0.lock().unwrap().clone()
        }
        fn pos(&self, s: &str) -> usize {
            self.get().iter().position(|e| e == s).unwrap_or_else(|| panic!("{s} not in {:?}", self.get()))
        }
    }

    fn step(flow: &mut Flow, log: &Log, id: &'static str, deps: &[&str], sleep_ms: u64) {
        let log = log.clone();
        flow.add(id, deps, move || {
            let log = log.clone();
            async move {
                log.push(format!("start {id}"));
                tokio::time::sleep(Duration::from_millis(sleep_ms)).await;
                log.push(format!("end {id}"));
                Ok(())
            }
        });
    }

    #[tokio::test]
    async fn respects_dependency_order() {
        let log = Log::default();
        let mut f = Flow::new("order");
        // Added out of order on purpose: d depends on b and c, which depend on a.
        step(&mut f, &log, "d", &["b", "c"], 1);
        step(&mut f, &log, "b", &["a"], 5);
        step(&mut f, &log, "c", &["a"], 1);
        step(&mut f, &log, "a", &[], 1);
        f.build().unwrap().run(|_| {}).await.unwrap();
        assert!(log.pos("end a") < log.pos("start b"));
        assert!(log.pos("end a") < log.pos("start c"));
        assert!(log.pos("end b") < log.pos("start d"));
        assert!(log.pos("end c") < log.pos("start d"));
        assert_eq!(log.get().len(), 8);
    }

    #[tokio::test]
    async fn independent_tasks_overlap() {
        // Each task waits for the other at a barrier: only a parallel run finishes.
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let mut f = Flow::new("parallel");
        for id in ["x", "y"] {
            let b = barrier.clone();
            f.add(id, &[], move || {
                let b = b.clone();
                async move {
                    b.wait().await;
                    Ok(())
                }
            });
        }
        let g = f.build().unwrap();
        tokio::time::timeout(Duration::from_secs(5), g.run(|_| {})).await.expect("tasks did not overlap").unwrap();
    }

    #[tokio::test]
    async fn failure_stops_dependents_but_running_tasks_finish() {
        let log = Log::default();
        let mut f = Flow::new("fail");
        f.add("bad", &[], || async { Err(anyhow::anyhow!("boom")) });
        step(&mut f, &log, "after-bad", &["bad"], 1);
        step(&mut f, &log, "slow", &[], 50);
        step(&mut f, &log, "after-slow", &["slow"], 1);
        let err = f.build().unwrap().run(|_| {}).await.unwrap_err();
        assert_eq!(err.failed_tasks(), ["bad"]);
        assert_eq!(err.skipped, ["after-bad", "after-slow"]);
        assert_eq!(log.get(), ["start slow", "end slow"]);
        assert_eq!(err.to_string(), "flow fail failed: task bad: boom");
    }

    #[tokio::test]
    async fn reports_progress_on_every_start_and_finish() {
        let log = Log::default();
        let mut f = Flow::new("progress");
        step(&mut f, &log, "a", &[], 1);
        step(&mut f, &log, "b", &["a"], 1);
        step(&mut f, &log, "c", &["a"], 20);
        let seen = Mutex::new(Vec::new());
        f.build()
            .unwrap()
            .run(|p| {
                seen.lock().unwrap().push((p.percent, p.running.join(","), p.done, p.total));
            })
            .await
            .unwrap();
        let seen = seen.into_inner().unwrap();
        let want = [
            (0, "a".to_string(), 0, 3),
            (33, "".into(), 1, 3),
            (33, "b".into(), 1, 3),
            (33, "b,c".into(), 1, 3),
            (66, "c".into(), 2, 3),
            (100, "".into(), 3, 3),
        ];
        assert_eq!(seen, want);
    }

    #[tokio::test]
    async fn empty_flow_succeeds() {
        Flow::new("empty").build().unwrap().run(|_| panic!("no progress expected")).await.unwrap();
    }

    #[test]
    fn detects_cycles_and_bad_ids() {
        let noop = || async { Ok(()) };
        let mut f = Flow::new("cyc");
        f.add("a", &[], noop);
        f.add("b", &["a", "d"], noop);
        f.add("c", &["b"], noop);
        f.add("d", &["c"], noop);
        let err = f.build().err().unwrap();
        assert_eq!(
            err,
            BuildError::Cycle { flow: "cyc".into(), cycle: vec!["b".into(), "d".into(), "c".into(), "b".into()] }
        );
        assert_eq!(err.to_string(), "flow cyc: dependency cycle b -> d -> c -> b");

        let mut f = Flow::new("self");
        f.add("a", &["a"], noop);
        assert_eq!(f.build().err().unwrap().to_string(), "flow self: dependency cycle a -> a");

        let mut f = Flow::new("dup");
        f.add("a", &[], noop);
        f.add("a", &[], noop);
        assert!(matches!(f.build(), Err(BuildError::DuplicateTask { .. })));

        let mut f = Flow::new("unknown");
        f.add("a", &["zz"], noop);
        assert_eq!(f.build().err().unwrap().to_string(), "flow unknown: task a depends on unknown task zz");
    }

    fn flaky<'a>(f: &'a mut Flow, calls: &Arc<AtomicU32>, fail_times: u32) -> TaskOptions<'a> {
        let calls = calls.clone();
        f.add("flaky", &[], move || {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                if n <= fail_times {
                    Err(anyhow::anyhow!("attempt {n} failed"))
                } else {
                    Ok(())
                }
            }
        })
    }

    #[tokio::test]
    async fn retries_then_succeeds() {
        let calls = Arc::new(AtomicU32::new(0));
        let mut f = Flow::new("retry");
        flaky(&mut f, &calls, 2).retry(Retry {
            attempts: 5,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(4),
        });
        f.build().unwrap().run(|_| {}).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn retry_gives_up_after_attempts() {
        let calls = Arc::new(AtomicU32::new(0));
        let mut f = Flow::new("retry");
        flaky(&mut f, &calls, 10).retry(Retry {
            attempts: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
        });
        let err = f.build().unwrap().run(|_| {}).await.unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(err.failed[0].1.to_string(), "attempt 3 failed");
    }

    #[tokio::test]
    async fn a_severe_error_is_not_retried() {
        let attempts = Arc::new(AtomicU32::new(0));
        let mut f = Flow::new("severe");
        let a = attempts.clone();
        f.add("t", &[], move || {
            let a = a.clone();
            async move {
                a.fetch_add(1, Ordering::SeqCst);
                Err(anyhow::Error::new(Severe("wrong credentials".into())).context("deploying"))
            }
        })
        .retry(Retry::until_deadline(Duration::from_millis(1), Duration::from_millis(2)))
        .timeout(Duration::from_secs(5));
        let err = f.build().unwrap().run(|_| {}).await.unwrap_err();
        assert_eq!(attempts.load(Ordering::SeqCst), 1);
        assert!(format!("{:#}", err.failed[0].1).contains("wrong credentials"));
    }

    #[tokio::test]
    async fn deadline_ends_retries_and_hanging_attempts() {
        let calls = Arc::new(AtomicU32::new(0));
        let mut f = Flow::new("deadline");
        flaky(&mut f, &calls, u32::MAX)
            .retry(Retry::until_deadline(Duration::from_millis(5), Duration::from_millis(10)))
            .timeout(Duration::from_millis(500));
        let err = f.build().unwrap().run(|_| {}).await.unwrap_err();
        let n = calls.load(Ordering::SeqCst);
        // Backoff 5-10 ms within 500 ms: more than one attempt, however loaded the machine, and a bounded number.
        assert!((2..=100).contains(&n), "{n} attempts");
        assert!(format!("{:#}", err.failed[0].1).contains("deadline exceeded"));

        let mut f = Flow::new("hang");
        f.add("hang", &[], std::future::pending);
        let deadline = Instant::now() + Duration::from_millis(20);
        let err = f.build().unwrap().run_until(Some(deadline), |_| {}).await.unwrap_err();
        assert!(err.failed[0].1.to_string().contains("deadline exceeded"), "{err}");
    }

    #[tokio::test]
    async fn panicking_task_fails_the_flow() {
        let mut f = Flow::new("panic");
        f.add("p", &[], || async { panic!("oops") });
        let err = f.build().unwrap().run(|_| {}).await.unwrap_err();
        assert_eq!(err.failed_tasks(), ["p"]);
    }

    #[test]
    fn backoff_is_bounded() {
        let r =
            Retry { attempts: 10, initial_backoff: Duration::from_millis(100), max_backoff: Duration::from_secs(1) };
        assert_eq!(r.backoff(1), Duration::from_millis(100));
        assert_eq!(r.backoff(3), Duration::from_millis(400));
        assert_eq!(r.backoff(5), Duration::from_secs(1));
        assert_eq!(r.backoff(u32::MAX), Duration::from_secs(1));
    }
}
