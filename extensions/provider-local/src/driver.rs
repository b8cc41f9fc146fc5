//! The local machine driver: a machine's "VM" is a `local-node` agent process on this host, started detached
//! (it outlives the machine controller) and found again by the tags on its command line:
//! `--tag=owner=<state dir>` (which machine controller's VMs these are: several gardens may share a host),
//! `--tag=shoot=<seed namespace>` and `--tag=machine=<machine name>`. Listing the VMs is one scan of `/proc`.
//!
//! Each machine's files (its kubeconfig, the agent's PID file and log) live in `<state dir>/<namespace>/<machine>/`. The
//! machine's user data (the class secret's `userData`, placeholders replaced) is the agent's kubeconfig.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use component_base::procfs::{alive, processes_with, signal};
use garden_api::machine::v1alpha1::{Machine, MachineClass};
use kube::ResourceExt;
use machine_driver::{Code, Driver, DriverError, MachineIdentity, MachineList, MachineRequest, USER_DATA_KEY};
use tracing::{info, warn};

/// The provider name in MachineClasses of this driver.
pub const PROVIDER: &str = "local";

const TAG: &str = "--tag=";
/// The agent's PID, in its machine directory.
const PID_FILE: &str = "local-node.pid";

/// How long an agent gets to exit on SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Starts, finds and stops `local-node` agents.
#[derive(Clone, Debug)]
pub struct LocalDriver {
    node_binary: PathBuf,
    state_dir: PathBuf,
    owner: String,
    heartbeat: Duration,
}

/// The provider ID of a local machine.
pub fn provider_id(namespace: &str, machine: &str) -> String {
    format!("local:///{namespace}/{machine}")
}

impl LocalDriver {
    /// A driver starting `node_binary` (agents heartbeating every `heartbeat`) and keeping machine files
    /// under `state_dir`; the state dir also names the owner of the agents it starts.
    pub fn new(node_binary: PathBuf, state_dir: PathBuf, heartbeat: Duration) -> Self {
        let owner = state_dir.to_string_lossy().into_owned();
        LocalDriver { node_binary, state_dir, owner, heartbeat }
    }

    fn machine_dir(&self, namespace: &str, machine: &str) -> PathBuf {
        self.state_dir.join(namespace).join(machine)
    }

    /// Agents of this owner in `namespace` (all of them when `machine` is None): (pid, machine name).
    fn agents(&self, namespace: &str, machine: Option<&str>) -> Vec<(u32, String)> {
        let owner_tag = format!("{TAG}owner={}", self.owner);
        let shoot_tag = format!("{TAG}shoot={namespace}");
        processes_with(&shoot_tag)
            .into_iter()
            .filter(|(_, args)| args.contains(&owner_tag) && args.contains(&shoot_tag))
            .filter_map(|(pid, args)| {
                let name = args.iter().find_map(|a| a.strip_prefix(TAG)?.strip_prefix("machine="))?.to_string();
                machine.is_none_or(|m| m == name).then_some((pid, name))
            })
            .collect()
    }

    /// The agent of one machine, cheaply: an agent is only ever started after its machine directory exists, so
    /// without one there is none; with one, the PID file written after the start names it unless a crash came
    /// in between, when the full scan decides.
    fn find_agent(&self, namespace: &str, machine: &str) -> Option<u32> {
        let dir = self.machine_dir(namespace, machine);
        if !dir.exists() {
            return None;
        }
        let recorded = std::fs::read_to_string(dir.join(PID_FILE)).ok().and_then(|p| p.trim().parse::<u32>().ok());
        if let Some(pid) = recorded {
            let args = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let args: Vec<&[u8]> = args.split(|b| *b == 0).collect();
            let has = |a: &str| args.contains(&a.as_bytes());
            if has(&format!("{TAG}owner={}", self.owner)) && has(&format!("{TAG}machine={machine}")) {
                return Some(pid);
            }
        }
        self.agents(namespace, Some(machine)).first().map(|(pid, _)| *pid)
    }

    fn identity(namespace: &str, machine: &str) -> MachineIdentity {
        MachineIdentity { provider_id: provider_id(namespace, machine), node_name: machine.to_string() }
    }

    fn spawn(&self, machine: &Machine, class: &MachineClass, user_data: &[u8]) -> Result<u32, DriverError> {
        let (namespace, name) = (machine.namespace().unwrap_or_default(), machine.name_any());
        let dir = self.machine_dir(&namespace, &name);
        let io = |what: &str, e: std::io::Error| DriverError::internal(format!("failed to {what}: {e}"));
        std::fs::create_dir_all(&dir).map_err(|e| io("create the machine directory", e))?;
        let kubeconfig = dir.join("kubeconfig");
        component_base::files::write_private(&kubeconfig, user_data)
            .map_err(|e| io("write the machine's kubeconfig", e))?;
        let log = std::fs::File::create(dir.join("local-node.log")).map_err(|e| io("create the agent log", e))?;
        let log2 = log.try_clone().map_err(|e| io("open the agent log", e))?;
        let mut cmd = std::process::Command::new(&self.node_binary);
        cmd.args(agent_args(machine, class, &kubeconfig, &self.owner));
        cmd.arg(format!("--heartbeat-interval={}ms", self.heartbeat.as_millis()));
        cmd.stdin(std::process::Stdio::null()).stdout(log).stderr(log2);
        // Its own process group: signals to the machine controller's group do not reach the "VM".
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd.spawn().map_err(|e| {
            DriverError::new(Code::Internal, format!("failed to start {}: {e}", self.node_binary.display()))
        })?;
        let pid = child.id();
        component_base::files::write_private(&dir.join(PID_FILE), pid.to_string())
            .map_err(|e| io("write the agent's PID file", e))?;
        // Reap it whenever it exits, so a stopped agent leaves no zombie behind in this process.
        std::thread::spawn(move || {
            let mut child = child;
            let _ = child.wait();
        });
        Ok(pid)
    }
}

/// The agent's command line for `machine` (everything but the binary).
pub fn agent_args(machine: &Machine, class: &MachineClass, kubeconfig: &Path, owner: &str) -> Vec<String> {
    let (namespace, name) = (machine.namespace().unwrap_or_default(), machine.name_any());
    let template = machine.spec.node_template.as_ref();
    let mut labels: BTreeMap<String, String> =
        template.and_then(|t| t.metadata.labels.clone()).unwrap_or_default().into_iter().collect();
    let mut capacity = Vec::new();
    if let Some(nt) = &class.node_template {
        let mut put = |k: &str, v: &str| {
            if !v.is_empty() {
                labels.entry(k.to_string()).or_insert_with(|| v.to_string());
            }
        };
        put("node.kubernetes.io/instance-type", &nt.instance_type);
        put("topology.kubernetes.io/region", &nt.region);
        put("topology.kubernetes.io/zone", &nt.zone);
        if let Some(arch) = &nt.architecture {
            put("kubernetes.io/arch", arch);
        }
        capacity = nt.capacity.iter().map(|(k, v)| format!("{k}={}", v.0)).collect();
    }
    let taints: Vec<String> = template
        .and_then(|t| t.spec.taints.clone())
        .unwrap_or_default()
        .iter()
        .map(|t| format!("{}={}:{}", t.key, t.value.clone().unwrap_or_default(), t.effect))
        .collect();
    let mut args = vec![
        format!("--kubeconfig={}", kubeconfig.display()),
        format!("--node-name={name}"),
        format!("--provider-id={}", provider_id(&namespace, &name)),
    ];
    if !labels.is_empty() {
        args.push(format!("--labels={}", labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")));
    }
    if !capacity.is_empty() {
        args.push(format!("--capacity={}", capacity.join(",")));
    }
    if !taints.is_empty() {
        args.push(format!("--taints={}", taints.join(",")));
    }
    if let Some(version) = class.provider_spec.get("kubeletVersion").and_then(|v| v.as_str()) {
        args.push(format!("--kubelet-version={version}"));
    }
    args.extend([format!("{TAG}owner={owner}"), format!("{TAG}shoot={namespace}"), format!("{TAG}machine={name}")]);
    args
}

#[async_trait::async_trait]
impl Driver for LocalDriver {
    async fn create_machine(&self, req: &MachineRequest<'_>) -> Result<MachineIdentity, DriverError> {
        let (namespace, name) = (req.machine.namespace().unwrap_or_default(), req.machine.name_any());
        if self.find_agent(&namespace, &name).is_none() {
            let user_data = req
                .secret
                .get(USER_DATA_KEY)
                .ok_or_else(|| DriverError::invalid(format!("the class secret has no {USER_DATA_KEY}")))?;
            let pid = self.spawn(req.machine, req.class, user_data)?;
            info!(namespace = %namespace, machine = %name, pid, "started local node agent");
        }
        Ok(Self::identity(&namespace, &name))
    }

    async fn delete_machine(&self, req: &MachineRequest<'_>) -> Result<(), DriverError> {
        let (namespace, name) = (req.machine.namespace().unwrap_or_default(), req.machine.name_any());
        let agents = self.agents(&namespace, Some(&name));
        for (pid, _) in &agents {
            signal("-TERM", *pid);
        }
        let deadline = tokio::time::Instant::now() + STOP_GRACE;
        for (pid, _) in &agents {
            while alive(*pid) && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            if alive(*pid) {
                warn!(machine = %name, pid, "local node agent ignored SIGTERM, killing it");
                signal("-KILL", *pid);
            }
        }
        if !self.agents(&namespace, Some(&name)).is_empty() {
            return Err(DriverError::new(Code::Internal, format!("the agent of machine {name} is still running")));
        }
        match std::fs::remove_dir_all(self.machine_dir(&namespace, &name)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(DriverError::internal(format!("failed to remove the machine directory: {e}"))),
        }
        Ok(())
    }

    async fn get_machine_status(&self, req: &MachineRequest<'_>) -> Result<MachineIdentity, DriverError> {
        let (namespace, name) = (req.machine.namespace().unwrap_or_default(), req.machine.name_any());
        if self.find_agent(&namespace, &name).is_none() {
            return Err(DriverError::not_found(format!("no local node agent runs for machine {name}")));
        }
        Ok(Self::identity(&namespace, &name))
    }

    async fn list_machines(
        &self,
        class: &MachineClass,
        _secret: &BTreeMap<String, Vec<u8>>,
    ) -> Result<MachineList, DriverError> {
        let namespace = class.namespace().unwrap_or_default();
        Ok(self.agents(&namespace, None).into_iter().map(|(_, m)| (provider_id(&namespace, &m), m)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine() -> (Machine, MachineClass) {
        let m: Machine = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "shoot--dev--a-pool-z1-abc12", "namespace": "shoot--dev--a"},
            "spec": {"class": {"kind": "MachineClass", "name": "c"}, "nodeTemplate": {
                "metadata": {"labels": {"worker.gardener.cloud/pool": "pool"}},
                "spec": {"taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}]}}}
        }))
        .unwrap();
        let c: MachineClass = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "c", "namespace": "shoot--dev--a"},
            "nodeTemplate": {"capacity": {"cpu": "2", "memory": "4Gi"}, "instanceType": "local", "region": "local", "zone": "0"},
            "providerSpec": {"kubeletVersion": "v1.33.2"},
            "provider": "local"
        }))
        .unwrap();
        (m, c)
    }

    #[test]
    fn agent_args_carry_labels_capacity_taints_and_tags() {
        let (m, c) = machine();
        let args = agent_args(&m, &c, Path::new("/s/kubeconfig"), "/s");
        let has = |a: &str| args.iter().any(|x| x == a);
        assert!(has("--node-name=shoot--dev--a-pool-z1-abc12"), "{args:?}");
        assert!(has("--provider-id=local:///shoot--dev--a/shoot--dev--a-pool-z1-abc12"));
        assert!(has("--labels=node.kubernetes.io/instance-type=local,topology.kubernetes.io/region=local,topology.kubernetes.io/zone=0,worker.gardener.cloud/pool=pool"), "{args:?}");
        assert!(has("--capacity=cpu=2,memory=4Gi"));
        assert!(has("--taints=k=v:NoSchedule"));
        assert!(has("--kubelet-version=v1.33.2"));
        assert!(
            has("--tag=owner=/s")
                && has("--tag=shoot=shoot--dev--a")
                && has("--tag=machine=shoot--dev--a-pool-z1-abc12")
        );
    }

    #[tokio::test]
    async fn creates_finds_lists_and_deletes_an_agent_once() {
        // A stand-in agent: a shell script, whose command line (`/bin/sh <script> <args>`) carries the tags.
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let wrapper = dir.path().join("node");
        std::fs::write(&wrapper, "#!/bin/sh\nwhile :; do sleep 1; done\n").unwrap();
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let driver = LocalDriver::new(wrapper, dir.path().join("state"), Duration::from_secs(10));
        let (m, c) = machine();
        let mut secret = BTreeMap::new();
        secret.insert(USER_DATA_KEY.to_string(), b"kubeconfig".to_vec());
        let req = MachineRequest { machine: &m, class: &c, secret: &secret };
        assert_eq!(driver.get_machine_status(&req).await.unwrap_err().code, Code::NotFound);
        let id = driver.create_machine(&req).await.unwrap();
        assert_eq!(id.provider_id, "local:///shoot--dev--a/shoot--dev--a-pool-z1-abc12");
        let mut found = false;
        for _ in 0..200 {
            if driver.get_machine_status(&req).await.is_ok() {
                found = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(found, "the agent is found by its tags");
        driver.create_machine(&req).await.unwrap();
        assert_eq!(driver.list_machines(&c, &secret).await.unwrap().len(), 1, "created once");
        let kubeconfig = dir.path().join("state/shoot--dev--a/shoot--dev--a-pool-z1-abc12/kubeconfig");
        assert_eq!(std::fs::read(&kubeconfig).unwrap(), b"kubeconfig");
        driver.delete_machine(&req).await.unwrap();
        assert!(driver.list_machines(&c, &secret).await.unwrap().is_empty());
        assert!(!kubeconfig.exists());
        driver.delete_machine(&req).await.unwrap();
    }
}
