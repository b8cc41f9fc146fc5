//! Shoots on AWS end to end against moto (a real EC2/IAM API server, with AMI, instance type and key pair
//! validation on): an AWS seed (gardenlet, provider-aws, machine-controller with the EC2 driver, and the node
//! simulator that stands in for the kubelets of instances that never boot) builds `examples/shoot-aws.yaml`'s
//! network and machines (its etcd backed up into moto's S3); what exists in moto is read back through the AWS API
//! (boto3 from moto's venv, `tests/support/aws_inventory.py`).

#[path = "../../etcd-backup/tests/support/peers.rs"]
mod peers;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use base64::Engine;
use garden_e2e::shoot::{self, KillPlaneOnDrop};
use garden_e2e::{assert_eventually, repo_path, GardenOptions, TestGarden};
use serde_json::Value;

const ID: &str = "shoot--dev--aws";
const AMI: &str = "ami-1e749f67";

struct AwsShoot {
    // Dropped first: the garden's processes before moto.
    garden: TestGarden,
    moto: peers::Moto,
    /// The access key the test reads moto with (any, unless moto checks them).
    credentials: (String, String),
    _cleanup: KillPlaneOnDrop,
}

/// moto with validation on, a garden with an AWS seed and `examples/cloudprofile-aws.yaml` applied.
fn aws_garden() -> AwsShoot {
    let mut garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    let moto = peers::Moto::start_with(
        garden.dir(),
        &[
            ("MOTO_ENABLE_AMI_VALIDATION", "true"),
            ("MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION", "true"),
            ("MOTO_ENABLE_KEYPAIR_VALIDATION", "true"),
        ],
    );
    // The seed's backups go to moto's S3 (BackupBucket type aws, its endpoint in the providerConfig).
    let _ = garden.kubectl(&["create", "namespace", "garden"]);
    garden.kubectl_ok(&[
        "-n",
        "garden",
        "create",
        "secret",
        "generic",
        "backup-aws",
        "--from-literal=accessKeyID=test",
        "--from-literal=secretAccessKey=test",
    ]);
    let (config, state_dir) = garden.aws_seed_config("aws");
    let backup = format!(
        "  spec:\n    backup:\n      provider: aws\n      region: us-east-1\n      providerConfig:\n        \
         endpoint: {}\n      credentialsRef:\n        apiVersion: v1\n        kind: Secret\n        \
         name: backup-aws\n        namespace: garden\n",
        moto.endpoint()
    );
    let config = config.replacen("  spec:\n", &backup, 1);
    garden.start_gardenlet("aws", &config).unwrap();
    // A machine whose instance vanished is replaced after 20 s (the default is 10 min).
    garden.start_aws_machine_layer(&moto.endpoint(), &["--machine-health-timeout=20s"]).unwrap();
    garden.apply_dev_project().unwrap();
    garden.kubectl_ok(&["apply", "-f", &repo_path("examples/cloudprofile-aws.yaml").display().to_string()]);
    AwsShoot {
        garden,
        moto,
        credentials: ("test".into(), "test".into()),
        _cleanup: KillPlaneOnDrop(state_dir.join(ID)),
    }
}

impl AwsShoot {
    fn apply_example_shoot(&self) {
        let example = repo_path("examples/shoot-aws.yaml").display().to_string();
        self.garden.kubectl_ok(&["-n", "garden-dev", "apply", "-f", &example]);
    }

    fn wait_succeeded(&self, timeout: Duration) {
        shoot::wait_succeeded(&self.garden, "garden-dev", "aws", timeout);
    }

    /// What of the shoot exists in moto, read through the AWS API (`tests/support/aws_inventory.py`, boto3 from
    /// moto's venv): kind -> live resources with their details.
    fn inventory(&self) -> BTreeMap<String, Vec<Value>> {
        let moto_server = peers::find_moto().expect("moto is installed");
        let python = moto_server.with_file_name("python3");
        let out = std::process::Command::new(&python)
            .arg(repo_path("tests/support/aws_inventory.py"))
            .args([self.moto.endpoint().as_str(), "us-east-1", ID])
            .env("AWS_ACCESS_KEY_ID", &self.credentials.0)
            .env("AWS_SECRET_ACCESS_KEY", &self.credentials.1)
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
        assert!(out.status.success(), "aws_inventory.py: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// The live instances of the shoot.
    fn instances(&self) -> Vec<Value> {
        self.inventory().remove("Instance").unwrap_or_default()
    }

    /// Everything of the shoot still in moto: "<count> <kind>" for every kind with live resources.
    fn leftovers(&self) -> Vec<String> {
        shoot::leftovers(self.inventory())
    }

    /// `n` rounds, a second or more apart, of SIGKILL and restart of provider-aws and machine-controller, and
    /// every other round of the gardenlet (started again with `gardenlet_config`).
    fn crashes(&mut self, n: u64, gardenlet_config: &str) {
        for i in 0..n {
            std::thread::sleep(Duration::from_millis(1000 + 700 * i));
            self.garden.crash_restart_extension().unwrap();
            self.garden.kill_machine_controller();
            self.garden.start_machine_controller().unwrap();
            if i % 2 == 1 {
                self.garden.kill_gardenlet("aws");
                self.garden.start_gardenlet("aws", gardenlet_config).unwrap();
            }
        }
    }

    /// The shoot's Nodes' provider IDs.
    fn node_provider_ids(&self, admin: &std::path::Path) -> BTreeSet<String> {
        shoot::node_provider_ids(&self.garden, admin)
    }

    /// An EC2 Query API call (moto does not check signatures; the region comes from the credential scope).
    fn ec2_query(&self, query: &str) -> String {
        let auth = "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, \
                    SignedHeaders=host, Signature=0";
        let url = format!("{}/?{query}&Version=2016-11-15", self.moto.endpoint());
        let out = std::process::Command::new("curl").args(["-sf", "-H", auth, &url]).output().unwrap();
        assert!(out.status.success(), "EC2 {query} failed");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn ids(items: &[Value]) -> BTreeSet<String> {
    items.iter().filter_map(|i| i["id"].as_str().map(String::from)).collect()
}

fn provider_ids(instances: &[Value]) -> BTreeSet<String> {
    instances.iter().map(|i| format!("aws:///{}/{}", i["zone"].as_str().unwrap(), i["id"].as_str().unwrap())).collect()
}

#[test]
fn an_aws_shoot_gets_its_network_three_instances_and_nodes_and_leaves_nothing_behind() {
    let s = aws_garden();
    s.apply_example_shoot();
    s.wait_succeeded(Duration::from_secs(300));
    let g = &s.garden;
    let inv = s.inventory();
    let kind = |k: &str| inv.get(k).cloned().unwrap_or_default();

    // The network: one VPC, per zone workers/public/internal subnets, gateways, routes, security group, IAM, key.
    let vpcs = kind("VPC");
    assert_eq!(vpcs.len(), 1, "VPCs: {vpcs:?}");
    assert_eq!(vpcs[0]["cidr"], "10.250.0.0/16");
    let subnets = kind("Subnet");
    let cidrs: BTreeSet<(&str, &str)> = subnets
        .iter()
        .map(|s| (s["zone"].as_str().unwrap_or_default(), s["cidr"].as_str().unwrap_or_default()))
        .collect();
    let expected: BTreeSet<(&str, &str)> = [
        ("us-east-1a", "10.250.0.0/19"),
        ("us-east-1a", "10.250.96.0/22"),
        ("us-east-1a", "10.250.112.0/22"),
        ("us-east-1b", "10.250.32.0/19"),
        ("us-east-1b", "10.250.100.0/22"),
        ("us-east-1b", "10.250.116.0/22"),
    ]
    .into();
    assert_eq!(cidrs, expected);
    assert_eq!(kind("InternetGateway").len(), 1);
    assert_eq!(kind("NatGateway").iter().filter(|n| n["state"] == "available").count(), 2);
    assert!(kind("SecurityGroup").iter().any(|g| g["name"] == format!("{ID}-nodes")));
    assert!(kind("RouteTable").len() >= 3, "a public and one private route table per zone");
    assert_eq!(ids(&kind("IAMRole")), BTreeSet::from([format!("{ID}-nodes")]), "IAM role");
    assert_eq!(ids(&kind("InstanceProfile")), BTreeSet::from([format!("{ID}-nodes")]), "instance profile");
    assert_eq!(ids(&kind("KeyPair")), BTreeSet::from([format!("{ID}-ssh-publickey")]), "key pair");

    // The shoot's etcd is backed up into the seed's S3 bucket (named after the seed's UID).
    let bucket = g.kubectl_ok(&["get", "seed", "aws", "-o", "jsonpath={.metadata.uid}"]);
    assert_eventually!(
        Duration::from_secs(120),
        || peers::http(s.moto.port, "GET", &format!("/{}?list-type=2", bucket.trim())).is_some_and(|(code, body)| {
            code == 200 && body.contains(&format!("<Key>{ID}--")) && body.contains("Full-")
        }),
        "no full snapshot of {ID} in s3://{bucket}"
    );

    // Exactly 3 instances, in the workers subnets, with the AMI, type, tags and user data.
    let workers: BTreeSet<&str> = subnets
        .iter()
        .filter(|s| s["cidr"].as_str().is_some_and(|c| c.ends_with("/19")))
        .filter_map(|s| s["id"].as_str())
        .collect();
    let instances = kind("Instance");
    assert_eq!(instances.len(), 3, "instances: {instances:?}");
    let machines = g.kubectl_ok(&["-n", ID, "get", "machines.machine.sapcloud.io", "-o", "json"]);
    let machines: Value = serde_json::from_str(&machines).unwrap();
    let machine_names: BTreeSet<&str> =
        machines["items"].as_array().unwrap().iter().filter_map(|m| m["metadata"]["name"].as_str()).collect();
    for i in &instances {
        assert_eq!(i["image"], AMI);
        assert_eq!(i["type"], "m5.large");
        assert!(workers.contains(i["subnet"].as_str().unwrap_or_default()), "instance in {}", i["subnet"]);
        assert_eq!(i["tags"]["kubernetes.io/role/node"], "1");
        assert!(machine_names.contains(i["tags"]["Name"].as_str().unwrap_or_default()), "Name tag {}", i["tags"]);
        let id = i["id"].as_str().unwrap();
        let user_data = s.ec2_query(&format!("Action=DescribeInstanceAttribute&InstanceId={id}&Attribute=userData"));
        let encoded = user_data.split("<value>").nth(1).and_then(|v| v.split("</value>").next()).unwrap_or_default();
        let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).unwrap_or_default();
        let decoded = String::from_utf8_lossy(&decoded);
        assert!(decoded.starts_with("#cloud-config\n"), "user data of {id}: {decoded}");
        assert!(!decoded.contains("<<BOOTSTRAP_TOKEN>>"), "the machine's bootstrap token is filled in");
    }

    // Nodes with the instances' provider IDs.
    let admin = shoot::admin_kubeconfig(g, "garden-dev", "aws", "shoot-admin.kubeconfig");
    assert_eq!(s.node_provider_ids(&admin), provider_ids(&instances));

    // An instance terminated behind the system's back is replaced (by a new machine, with its own Node).
    let victim = instances[0]["id"].as_str().unwrap().to_string();
    s.ec2_query(&format!("Action=TerminateInstances&InstanceId.1={victim}"));
    assert_eventually!(
        Duration::from_secs(240),
        || {
            let live = ids(&s.instances());
            live.len() == 3 && !live.contains(&victim) && s.node_provider_ids(&admin).len() == 3
        },
        "live instances: {:?}",
        ids(&s.instances())
    );
    let expected = provider_ids(&s.instances());
    assert_eventually!(
        Duration::from_secs(60),
        || s.node_provider_ids(&admin) == expected,
        "nodes follow the instances"
    );

    // An instance carrying the shoot's cluster tag that no machine names (started by hand, or left by a crash
    // between launch and record) is terminated by the orphan collection.
    let subnet = workers.iter().next().unwrap();
    let tags = format!(
        "TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=kubernetes.io/cluster/{ID}\
         &TagSpecification.1.Tag.1.Value=1&TagSpecification.1.Tag.2.Key=Name&TagSpecification.1.Tag.2.Value=stray"
    );
    let run = s.ec2_query(&format!(
        "Action=RunInstances&ImageId={AMI}&InstanceType=m5.large&MinCount=1&MaxCount=1&SubnetId={subnet}&{tags}"
    ));
    let stray = run.split("<instanceId>").nth(1).and_then(|v| v.split("</instanceId>").next()).unwrap().to_string();
    assert_eventually!(
        Duration::from_secs(60),
        || !ids(&s.instances()).contains(&stray),
        "the stray instance {stray} still runs"
    );
    assert_eq!(s.instances().len(), 3, "the shoot's own instances stay");

    // Delete: nothing of the shoot is left in moto.
    g.kubectl_ok(&["-n", "garden-dev", "annotate", "shoot", "aws", "confirmation.gardener.cloud/deletion=true"]);
    g.kubectl_ok(&["-n", "garden-dev", "delete", "shoot", "aws", "--wait=false"]);
    assert_eventually!(
        Duration::from_secs(300),
        || !g.kubectl(&["-n", "garden-dev", "get", "shoot", "aws"]).status.success(),
        "shoot still there: {}",
        shoot::field(g, "garden-dev", "aws", "{.status.lastOperation.description}")
    );
    let left = s.leftovers();
    assert!(left.is_empty(), "left in moto after delete: {left:?}");
}

/// An IAM Query API call with moto's unsigned test credentials (only good while moto still lets requests through
/// unauthenticated: `INITIAL_NO_AUTH_ACTION_COUNT`).
fn iam_query(moto: &peers::Moto, query: &str) -> String {
    let auth = "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/iam/aws4_request, \
                SignedHeaders=host, Signature=0";
    let url = format!("{}/?{query}&Version=2010-05-08", moto.endpoint());
    let out = std::process::Command::new("curl").args(["-sS", "-H", auth, &url]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn xml_field<'a>(xml: &'a str, field: &str) -> &'a str {
    let open = format!("<{field}>");
    let close = format!("</{field}>");
    xml.split(open.as_str()).nth(1).and_then(|v| v.split(close.as_str()).next()).unwrap_or_default()
}

#[test]
fn wrong_credentials_are_reported_and_retried_and_crashes_leave_no_duplicates_or_leftovers() {
    let mut garden = TestGarden::start_with(GardenOptions { controller_manager: true, ..Default::default() }).unwrap();
    // moto checks every request's signature and IAM permissions after the first three (which create the user
    // whose access key the shoot gets once its wrong one was seen to fail).
    let moto = peers::Moto::start_with(
        garden.dir(),
        &[
            ("INITIAL_NO_AUTH_ACTION_COUNT", "3"),
            ("MOTO_ENABLE_AMI_VALIDATION", "true"),
            ("MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION", "true"),
            ("MOTO_ENABLE_KEYPAIR_VALIDATION", "true"),
        ],
    );
    let created = iam_query(&moto, "Action=CreateUser&UserName=gardener");
    assert!(created.contains("<UserName>gardener</UserName>"), "CreateUser: {created}");
    let policy = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C\
                  %22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D";
    let put =
        iam_query(&moto, &format!("Action=PutUserPolicy&UserName=gardener&PolicyName=all&PolicyDocument={policy}"));
    assert!(put.contains("PutUserPolicyResponse"), "PutUserPolicy: {put}");
    let key = iam_query(&moto, "Action=CreateAccessKey&UserName=gardener");
    let (key_id, secret) = (xml_field(&key, "AccessKeyId").to_string(), xml_field(&key, "SecretAccessKey").to_string());
    assert!(!key_id.is_empty() && !secret.is_empty(), "CreateAccessKey: {key}");

    let (config, state_dir) = garden.aws_seed_config("aws");
    garden.start_gardenlet("aws", &config).unwrap();
    garden.start_aws_machine_layer(&moto.endpoint(), &[]).unwrap();
    garden.apply_dev_project().unwrap();
    garden.kubectl_ok(&["apply", "-f", &repo_path("examples/cloudprofile-aws.yaml").display().to_string()]);
    let credentials = (key_id.clone(), secret.clone());
    let mut s = AwsShoot { garden, moto, credentials, _cleanup: KillPlaneOnDrop(state_dir.join(ID)) };

    // The example's key is unknown to this AWS: the shoot names the failure with Gardener's code, the
    // Infrastructure retries with a growing pause, and nothing was created.
    s.apply_example_shoot();
    let g = &s.garden;
    assert_eventually!(
        Duration::from_secs(120),
        || shoot::field(g, "garden-dev", "aws", "{.status.lastErrors[*].codes}").contains("ERR_INFRA_UNAUTHENTICATED"),
        "lastErrors: {}",
        shoot::field(g, "garden-dev", "aws", "{.status.lastErrors}")
    );
    let infra_description =
        || g.kubectl(&["-n", ID, "get", "infrastructure", "aws", "-o", "jsonpath={.status.lastOperation.description}"]);
    let retrying_in = |secs: u64| {
        let out = infra_description();
        String::from_utf8_lossy(&out.stdout).contains(&format!("(retrying in {secs}s)"))
    };
    assert_eventually!(Duration::from_secs(60), || retrying_in(10) || retrying_in(20), "the pause grows");
    assert!(!String::from_utf8_lossy(&infra_description().stdout).contains(&secret), "no secret in the status");
    let left = s.leftovers();
    assert!(left.is_empty(), "created with wrong credentials: {left:?}");

    // With the right key the shoot is built, every request signed and authorized by moto's IAM; provider-aws,
    // machine-controller and the gardenlet are killed (SIGKILL) over and over meanwhile, while it is created,
    // scaled and deleted. `GARDEN_AWS_CYCLES` (default 1) runs that many create/scale/delete cycles.
    let patch = format!(r#"{{"stringData":{{"accessKeyID":"{key_id}","secretAccessKey":"{secret}"}}}}"#);
    g.kubectl_ok(&["-n", "garden-dev", "patch", "secret", "aws-credentials", "-p", &patch]);
    let cycles: u32 = std::env::var("GARDEN_AWS_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let example = std::fs::read_to_string(repo_path("examples/shoot-aws.yaml")).unwrap();
    let shoot_only = example.split("\n---\n").find(|d| d.contains("\nkind: Shoot\n")).expect("a Shoot").to_string();
    for cycle in 1..=cycles {
        if cycle > 1 {
            let out = s.garden.kubectl_stdin(&["-n", "garden-dev", "apply", "-f", "-"], &shoot_only);
            assert!(out.status.success(), "cycle {cycle}: {}", String::from_utf8_lossy(&out.stderr));
        }
        s.crashes(6, &config);
        s.wait_succeeded(Duration::from_secs(300));
        let inv = s.inventory();
        let count = |k: &str| inv.get(k).map_or(0, Vec::len);
        assert_eq!(count("VPC"), 1, "cycle {cycle}: one VPC");
        assert_eq!(count("Subnet"), 6, "cycle {cycle}: three subnets per zone");
        assert_eq!(count("NatGateway"), 2, "cycle {cycle}: a NAT gateway per zone");
        assert_eq!(count("ElasticIP"), 2, "cycle {cycle}: an elastic IP per zone");
        assert_eventually!(Duration::from_secs(60), || s.instances().len() == 3, "cycle {cycle}: exactly 3 instances");

        // Scale the pool to 4 (with crashes): exactly one more instance.
        let scale = r#"[{"op":"replace","path":"/spec/provider/workers/0/minimum","value":4},
                        {"op":"replace","path":"/spec/provider/workers/0/maximum","value":5}]"#;
        s.garden.kubectl_ok(&["-n", "garden-dev", "patch", "shoot", "aws", "--type=json", "-p", scale]);
        s.crashes(3, &config);
        s.wait_succeeded(Duration::from_secs(300));
        assert_eventually!(Duration::from_secs(120), || s.instances().len() == 4, "cycle {cycle}: exactly 4 instances");

        // Delete, with more crashes: nothing of the shoot is left.
        let g = &s.garden;
        g.kubectl_ok(&["-n", "garden-dev", "annotate", "shoot", "aws", "confirmation.gardener.cloud/deletion=true"]);
        g.kubectl_ok(&["-n", "garden-dev", "delete", "shoot", "aws", "--wait=false"]);
        s.crashes(4, &config);
        let g = &s.garden;
        assert_eventually!(
            Duration::from_secs(300),
            || !g.kubectl(&["-n", "garden-dev", "get", "shoot", "aws"]).status.success(),
            "cycle {cycle}: shoot still there: {}",
            shoot::field(g, "garden-dev", "aws", "{.status.lastOperation.description}")
        );
        let left = s.leftovers();
        assert!(left.is_empty(), "cycle {cycle}: left in moto after delete: {left:?}");
        eprintln!("[aws e2e] cycle {cycle} of {cycles} converged");
    }
}
