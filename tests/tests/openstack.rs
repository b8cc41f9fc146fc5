//! Shoots on OpenStack end to end against the real OpenStack services `hack/test.sh` starts once per run
//! (`hack/openstack.sh up`: keystone, glance, placement, neutron without agents, nova with the fake compute
//! driver): an OpenStack seed (gardenlet, provider-openstack, machine-controller with the nova driver and servers
//! without networks, and the node simulator standing in for the kubelets of servers that never boot) builds
//! `examples/shoot-openstack.yaml`'s network and servers; what exists is read back through the OpenStack APIs
//! (openstacksdk from the OpenStack venv, `tests/support/openstack_inventory.py`).
//!
//! Each test has its own shoot name, so its own technical ID and resource names in the shared OpenStack.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use base64::Engine;
use garden_e2e::openstack::{self, env};
use garden_e2e::shoot::{self, KillPlaneOnDrop};
use garden_e2e::{assert_eventually, repo_path, GardenOptions, TestGarden};
use serde_json::Value;

struct OpenStackShoot {
    garden: TestGarden,
    /// The shoot's name in project dev, and its technical ID.
    name: String,
    id: String,
    gardenlet_config: String,
    _cleanup: KillPlaneOnDrop,
}

impl OpenStackShoot {
    /// A garden with an OpenStack seed and `examples/cloudprofile-openstack.yaml`; nothing of shoot `name` in the
    /// OpenStack (what an interrupted earlier run left is removed first).
    fn start(name: &str) -> Self {
        let mut garden =
            TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
        let id = format!("shoot--dev--{name}");
        openstack::purge(&id);
        let (config, state_dir) = garden.cloud_seed_config("openstack", "openstack");
        garden.start_gardenlet("openstack", &config).unwrap();
        // A machine whose server vanished is replaced after 20 s (the default is 10 min).
        garden.start_openstack_machine_layer(&["--machine-health-timeout=20s"]).unwrap();
        garden.apply_dev_project().unwrap();
        garden.kubectl_ok(&["apply", "-f", &repo_path("examples/cloudprofile-openstack.yaml").display().to_string()]);
        OpenStackShoot {
            garden,
            name: name.to_string(),
            _cleanup: KillPlaneOnDrop(state_dir.join(&id)),
            id,
            gardenlet_config: config,
        }
    }

    /// Applies `examples/shoot-openstack.yaml` with the shoot named `self.name` and the credentials' password
    /// `password`.
    fn apply_example(&self, password: &str) {
        let example = std::fs::read_to_string(repo_path("examples/shoot-openstack.yaml")).unwrap();
        let manifest = example
            .replace(
                "  name: openstack\n  namespace: garden-dev\nspec:",
                &format!("  name: {}\n  namespace: garden-dev\nspec:", self.name),
            )
            .replace("password: garden-openstack-secret", &format!("password: {password}"));
        let out = self.garden.kubectl_stdin(&["-n", "garden-dev", "apply", "-f", "-"], &manifest);
        assert!(out.status.success(), "apply: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn field(&self, jsonpath: &str) -> String {
        shoot::field(&self.garden, "garden-dev", &self.name, jsonpath)
    }

    fn wait_succeeded(&self, timeout: Duration) {
        shoot::wait_succeeded(&self.garden, "garden-dev", &self.name, timeout);
    }

    fn inventory(&self) -> BTreeMap<String, Vec<Value>> {
        openstack::inventory(&self.id)
    }

    fn servers(&self) -> Vec<Value> {
        self.inventory().remove("Server").unwrap_or_default()
    }

    /// Everything of the shoot still in the OpenStack: "<count> <kind>" for every kind with live resources.
    fn leftovers(&self) -> Vec<String> {
        shoot::leftovers(self.inventory())
    }

    fn node_provider_ids(&self, admin: &std::path::Path) -> BTreeSet<String> {
        shoot::node_provider_ids(&self.garden, admin)
    }

    /// The pool to exactly `n` machines (minimum = maximum: within looser bounds the current count is kept, as
    /// an autoscaler's would be).
    fn scale(&self, n: u32) {
        let patch = format!(
            r#"[{{"op":"replace","path":"/spec/provider/workers/0/minimum","value":{n}}},
                {{"op":"replace","path":"/spec/provider/workers/0/maximum","value":{n}}}]"#
        );
        self.garden.kubectl_ok(&["-n", "garden-dev", "patch", "shoot", &self.name, "--type=json", "-p", &patch]);
    }

    fn delete_shoot(&self) {
        let g = &self.garden;
        g.kubectl_ok(&[
            "-n",
            "garden-dev",
            "annotate",
            "shoot",
            &self.name,
            "confirmation.gardener.cloud/deletion=true",
        ]);
        g.kubectl_ok(&["-n", "garden-dev", "delete", "shoot", &self.name, "--wait=false"]);
    }

    fn wait_deleted(&self) {
        let g = &self.garden;
        assert_eventually!(
            Duration::from_secs(300),
            || !g.kubectl(&["-n", "garden-dev", "get", "shoot", &self.name]).status.success(),
            "shoot still there: {}",
            self.field("{.status.lastOperation.description}")
        );
    }

    /// `n` rounds, a second or more apart, of SIGKILL and restart of provider-openstack and machine-controller,
    /// and every other round of the gardenlet.
    fn crashes(&mut self, n: u64) {
        for i in 0..n {
            std::thread::sleep(Duration::from_millis(1000 + 700 * i));
            self.garden.crash_restart_extension().unwrap();
            self.kill_machine_controller();
            if i % 2 == 1 {
                self.garden.kill_gardenlet("openstack");
                self.garden.start_gardenlet("openstack", &self.gardenlet_config).unwrap();
            }
        }
    }

    fn kill_machine_controller(&mut self) {
        self.garden.kill_machine_controller();
        self.garden.start_machine_controller().unwrap();
    }
}

fn ids(items: &[Value]) -> BTreeSet<String> {
    items.iter().filter_map(|i| i["id"].as_str().map(String::from)).collect()
}

fn provider_ids(servers: &[Value]) -> BTreeSet<String> {
    servers.iter().map(|s| format!("openstack:///RegionOne/{}", s["id"].as_str().unwrap())).collect()
}

#[test]
fn an_openstack_shoot_gets_its_network_two_servers_and_nodes_and_leaves_nothing_behind() {
    let s = OpenStackShoot::start("openstack");
    let env = env();
    s.apply_example(&env["OS_PASSWORD"]);
    s.wait_succeeded(Duration::from_secs(300));
    let g = &s.garden;
    let id = s.id.as_str();
    let inv = s.inventory();
    let kind = |k: &str| inv.get(k).cloned().unwrap_or_default();

    // The network: a router on the floating pool, the shoot's network and subnet attached to it, the nodes'
    // security group with its rules, the key pair; each exactly once and named after the technical ID.
    let routers = kind("Router");
    assert_eq!(routers.len(), 1, "routers: {routers:?}");
    assert_eq!(routers[0]["gateway_network"], env["OS_EXTERNAL_NETWORK_ID"].as_str(), "router on the floating pool");
    let networks = kind("Network");
    assert_eq!(networks.len(), 1, "networks: {networks:?}");
    let subnets = kind("Subnet");
    assert_eq!(subnets.len(), 1, "subnets: {subnets:?}");
    assert_eq!(subnets[0]["cidr"], "10.250.0.0/19");
    assert_eq!(subnets[0]["network"], networks[0]["id"]);
    let interfaces = kind("RouterInterface");
    assert_eq!(interfaces.len(), 1, "router interfaces: {interfaces:?}");
    assert_eq!((&interfaces[0]["router"], &interfaces[0]["subnet"]), (&routers[0]["id"], &subnets[0]["id"]));
    let groups = kind("SecurityGroup");
    assert_eq!(groups.len(), 1, "security groups: {groups:?}");
    let rules = groups[0]["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| r["direction"] == "ingress" && r["remote_group"] == groups[0]["id"]), "{rules:?}");
    for protocol in ["tcp", "udp"] {
        assert!(rules.iter().any(|r| r["protocol"] == protocol && r["port_min"] == 30000), "{protocol} node ports");
    }
    assert_eq!(ids(&kind("KeyPair")), BTreeSet::from([id.to_string()]), "key pair");

    // The Infrastructure's status names them in Gardener's shape (what the Worker builds its classes from).
    let status =
        g.kubectl_ok(&["-n", id, "get", "infrastructure", "openstack", "-o", "jsonpath={.status.providerStatus}"]);
    let status: Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["kind"], "InfrastructureStatus");
    assert_eq!(status["networks"]["id"], networks[0]["id"]);
    assert_eq!(status["networks"]["router"]["id"], routers[0]["id"]);
    assert_eq!(status["networks"]["floatingPool"]["name"], "public");
    assert_eq!(status["networks"]["subnets"][0]["id"], subnets[0]["id"]);
    assert_eq!(status["securityGroups"][0]["id"], groups[0]["id"]);
    assert_eq!(status["node"]["keyName"], id);

    // Exactly 2 servers, ACTIVE, with the flavor, image, metadata, key and user data of their class.
    let servers = kind("Server");
    assert_eq!(servers.len(), 2, "servers: {servers:?}");
    let machines = g.kubectl_ok(&["-n", id, "get", "machines.machine.sapcloud.io", "-o", "json"]);
    let machines: Value = serde_json::from_str(&machines).unwrap();
    let machine_names: BTreeSet<&str> =
        machines["items"].as_array().unwrap().iter().filter_map(|m| m["metadata"]["name"].as_str()).collect();
    for server in &servers {
        assert_eq!(server["status"], "ACTIVE");
        assert_eq!(server["flavor"], "m1.medium");
        assert_eq!(server["image"], env["OS_IMAGE_ID"].as_str());
        assert_eq!(server["zone"], "nova");
        assert_eq!(server["key_name"], id);
        assert_eq!(server["metadata"][format!("kubernetes.io-cluster-{id}")], "1");
        assert_eq!(server["metadata"]["kubernetes.io-role-node"], "1");
        assert_eq!(server["metadata"]["worker.gardener.cloud_pool"], "pool");
        assert!(machine_names.contains(server["name"].as_str().unwrap_or_default()), "server {}", server["name"]);
        let user_data = base64::engine::general_purpose::STANDARD
            .decode(server["user_data"].as_str().unwrap_or_default())
            .unwrap_or_default();
        let user_data = String::from_utf8_lossy(&user_data);
        assert!(user_data.starts_with("#cloud-config\n"), "user data of {}: {user_data}", server["id"]);
        assert!(!user_data.contains("<<BOOTSTRAP_TOKEN>>"), "the machine's bootstrap token is filled in");
    }

    // Nodes with the servers' provider IDs.
    let admin = shoot::admin_kubeconfig(g, "garden-dev", "openstack", "shoot-admin.kubeconfig");
    assert_eventually!(
        Duration::from_secs(60),
        || s.node_provider_ids(&admin) == provider_ids(&servers),
        "nodes: {:?}",
        s.node_provider_ids(&admin)
    );

    // A server deleted behind the system's back is replaced (by a new machine, with its own Node).
    let victim = servers[0]["id"].as_str().unwrap().to_string();
    openstack::cli(&["server", "delete", "--wait", &victim]);
    assert_eventually!(
        Duration::from_secs(240),
        || {
            let live = ids(&s.servers());
            live.len() == 2 && !live.contains(&victim) && s.node_provider_ids(&admin).len() == 2
        },
        "live servers: {:?}",
        ids(&s.servers())
    );
    let expected = provider_ids(&s.servers());
    assert_eventually!(Duration::from_secs(60), || s.node_provider_ids(&admin) == expected, "nodes follow the servers");

    // A server carrying the shoot's cluster metadata that no machine names (started by hand, or left by a crash
    // between create and record) is deleted by the orphan collection within 60 s.
    let cluster_key = format!("kubernetes.io-cluster-{id}=1");
    let created = openstack::cli(&[
        "server",
        "create",
        "--flavor",
        "m1.small",
        "--image",
        "debian-12",
        "--nic",
        "none",
        "--property",
        &cluster_key,
        "-f",
        "value",
        "-c",
        "id",
        "stray",
    ]);
    let stray = created.trim().to_string();
    assert_eventually!(
        Duration::from_secs(60),
        || !ids(&s.servers()).contains(&stray),
        "the stray server {stray} still exists"
    );
    assert_eq!(s.servers().len(), 2, "the shoot's own servers stay");

    // Delete: nothing of the shoot is left in nova, neutron or keystone (the key pair).
    s.delete_shoot();
    s.wait_deleted();
    let left = s.leftovers();
    assert!(left.is_empty(), "left in OpenStack after delete: {left:?}");
}

#[test]
fn wrong_passwords_and_unknown_flavors_are_reported_and_crashes_leave_exactly_the_desired_servers() {
    let mut s = OpenStackShoot::start("os-crash");
    let env = env();

    // A wrong password: the shoot names the failure with Gardener's code, the Infrastructure retries with a
    // growing pause, no secret reaches the status, and nothing was created.
    s.apply_example("not-the-password");
    let g = &s.garden;
    assert_eventually!(
        Duration::from_secs(120),
        || s.field("{.status.lastErrors[*].codes}").contains("ERR_INFRA_UNAUTHENTICATED"),
        "lastErrors: {}",
        s.field("{.status.lastErrors}")
    );
    let infra_description = || {
        let out = g.kubectl(&[
            "-n",
            &s.id,
            "get",
            "infrastructure",
            &s.name,
            "-o",
            "jsonpath={.status.lastOperation.description}",
        ]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eventually!(
        Duration::from_secs(60),
        || infra_description().contains("(retrying in 10s)") || infra_description().contains("(retrying in 20s)"),
        "the pause grows: {}",
        infra_description()
    );
    assert!(!infra_description().contains("not-the-password"), "no secret in the status");
    assert!(s.leftovers().is_empty(), "created with a wrong password: {:?}", s.leftovers());

    // A flavor the CloudProfile does not offer is refused at admission, naming the field.
    let patch = r#"[{"op":"replace","path":"/spec/provider/workers/0/machine/type","value":"m1.huge"}]"#;
    let out = g.kubectl(&["-n", "garden-dev", "patch", "shoot", &s.name, "--type=json", "-p", patch]);
    assert!(!out.status.success(), "an unknown flavor was accepted");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("spec.provider.workers[0].machine.type") && err.contains("m1.huge"), "{err}");

    // With the right password the shoot is built; provider-openstack, machine-controller and the gardenlet are
    // killed (SIGKILL) over and over while it is created, scaled and deleted. Between create and delete, 10
    // scale cycles (2 -> 4 -> 2 servers) with machine-controller killed in each. `GARDEN_OPENSTACK_CYCLES`
    // (default 1) runs that many create/scale/delete cycles.
    let patch = format!(r#"{{"stringData":{{"password":"{}"}}}}"#, env["OS_PASSWORD"]);
    g.kubectl_ok(&["-n", "garden-dev", "patch", "secret", "openstack-credentials", "-p", &patch]);
    let cycles: u32 = std::env::var("GARDEN_OPENSTACK_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    for cycle in 1..=cycles {
        if cycle > 1 {
            s.apply_example(&env["OS_PASSWORD"]);
        }
        s.crashes(6);
        s.wait_succeeded(Duration::from_secs(300));
        let inv = s.inventory();
        let count = |k: &str| inv.get(k).map_or(0, Vec::len);
        for k in ["Router", "Network", "Subnet", "RouterInterface", "SecurityGroup", "KeyPair"] {
            assert_eq!(count(k), 1, "cycle {cycle}: exactly one {k}");
        }
        assert_eventually!(Duration::from_secs(60), || s.servers().len() == 2, "cycle {cycle}: exactly 2 servers");

        if cycle == 1 {
            // A flavor the CloudProfile offers but nova does not have: the new machines fail with InvalidArgument,
            // which the Worker and the shoot report as ERR_CONFIGURATION_PROBLEM, naming the flavor; back to a
            // flavor nova has, the pool converges again.
            let flavor = |f: &str| {
                let patch =
                    format!(r#"[{{"op":"replace","path":"/spec/provider/workers/0/machine/type","value":"{f}"}}]"#);
                s.garden.kubectl_ok(&["-n", "garden-dev", "patch", "shoot", &s.name, "--type=json", "-p", &patch]);
            };
            flavor("m1.large");
            let what = || s.field("{.status.lastOperation.description} {.status.lastErrors}");
            assert_eventually!(
                Duration::from_secs(120),
                || s.field("{.status.lastErrors[*].codes}").contains("ERR_CONFIGURATION_PROBLEM")
                    && what().contains("m1.large")
                    && what().contains("does not exist"),
                "shoot: {}",
                what()
            );
            flavor("m1.medium");
            s.wait_succeeded(Duration::from_secs(300));
            assert_eventually!(Duration::from_secs(120), || s.servers().len() == 2, "back to exactly 2 servers");
        }

        for round in 1..=10 {
            let want = if round % 2 == 1 { 4 } else { 2 };
            s.scale(want);
            std::thread::sleep(Duration::from_millis(500 + 150 * round));
            s.kill_machine_controller();
            s.wait_succeeded(Duration::from_secs(300));
            assert_eventually!(
                Duration::from_secs(120),
                || s.servers().len() == want as usize,
                "cycle {cycle}, scale round {round}: {} servers, want {want}",
                s.servers().len()
            );
        }

        s.delete_shoot();
        s.crashes(4);
        s.wait_deleted();
        let left = s.leftovers();
        assert!(left.is_empty(), "cycle {cycle}: left in OpenStack after delete: {left:?}");
        eprintln!("[openstack e2e] cycle {cycle} of {cycles} converged");
    }
}
