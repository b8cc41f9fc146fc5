//! `bench-bare-ec2`: the baseline of the AWS machine benchmark (`tests/src/bin/bench-aws-machines.rs`, run by
//! `hack/bench-machines.sh`): N instances launched through aws-sdk-ec2 alone, no machine layer.
//!
//! ```text
//! bench-bare-ec2 --endpoint http://127.0.0.1:5000 --count 100 [--region us-east-1]
//! ```
//!
//! Untimed setup: its own VPC and one subnet per zone (tagged `garden.bench/run=<run>`, so they are recognisable
//! and never mistaken for a shoot's: no `kubernetes.io/cluster/...` tag), and the AMI's root device name. Then,
//! timed: N concurrent single-instance RunInstances calls (spread over the zones' subnets like a pool's
//! machines, with a root volume and the instance, volume and network interface tagged, as the EC2 driver does),
//! then DescribeInstances filtered by the run's tag (all pages) every `--poll-ms` until all N are `running`.
//! Prints one JSON line on stdout: `{"seconds": .., "calls": .., "run_instances": .., "describe_calls": ..}`
//! (calls are the SDK operations sent, not counting the SDK's own retries). Then, untimed, terminates its
//! instances and tries to delete its subnets and VPC. Progress goes to stderr.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use aws_sdk_ec2::types::{
    BlockDeviceMapping, EbsBlockDevice, Filter, InstanceStateName, InstanceType, ResourceType, Tag, TagSpecification,
    VolumeType,
};
use clap::Parser;
use provider_aws::ec2::Clients;
use provider_aws::spec::AccessKey;

const RUN_TAG: &str = "garden.bench/run";

/// N instances launched and waited for through aws-sdk-ec2 alone (the AWS machine benchmark's baseline).
#[derive(Parser, Debug)]
#[command(name = "bench-bare-ec2")]
struct Args {
    /// The EC2 endpoint (moto, or a proxy in front of it).
    #[arg(long)]
    endpoint: String,
    /// How many instances.
    #[arg(long)]
    count: usize,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Zones, one subnet each; the instances are spread over them round-robin.
    #[arg(long, value_delimiter = ',', default_value = "us-east-1a,us-east-1b")]
    zones: Vec<String>,
    #[arg(long, default_value = "ami-1e749f67")]
    ami: String,
    #[arg(long, default_value = "m5.large")]
    instance_type: String,
    /// Root volume size (GiB; gp3), as the example shoot's pool.
    #[arg(long, default_value_t = 50)]
    volume_gib: i32,
    /// Pause between two DescribeInstances rounds (milliseconds).
    #[arg(long, default_value_t = 250)]
    poll_ms: u64,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 900)]
    timeout_s: u64,
    #[arg(long, env = "AWS_ACCESS_KEY_ID", default_value = "bench")]
    access_key_id: String,
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", default_value = "bench", hide_env_values = true)]
    secret_access_key: String,
}

fn tags(resource: ResourceType, run: &str, name: &str) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(resource)
        .tags(Tag::builder().key(RUN_TAG).value(run).build())
        .tags(Tag::builder().key("Name").value(name).build())
        .build()
}

/// The run's instances (all pages) by state: (instance IDs, how many are running, DescribeInstances calls made).
async fn instances(client: &aws_sdk_ec2::Client, run: &str) -> Result<(Vec<String>, usize, usize)> {
    let mut pages = client
        .describe_instances()
        .filters(Filter::builder().name(format!("tag:{RUN_TAG}")).values(run).build())
        .max_results(1000)
        .into_paginator()
        .send();
    let (mut ids, mut running, mut calls) = (Vec::new(), 0, 0);
    while let Some(page) = pages.next().await {
        calls += 1;
        let page = page.context("DescribeInstances")?;
        for i in page.reservations().iter().flat_map(|r| r.instances()) {
            let state = i.state().and_then(|s| s.name());
            if matches!(state, Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)) {
                continue;
            }
            running += usize::from(state == Some(&InstanceStateName::Running));
            ids.extend(i.instance_id().map(str::to_string));
        }
    }
    Ok((ids, running, calls))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    if args.count == 0 || args.zones.is_empty() {
        bail!("--count must be > 0 and --zones not empty");
    }
    let key = AccessKey { id: args.access_key_id.clone(), secret: args.secret_access_key.clone() };
    let client = Clients::new(Some(args.endpoint.clone())).get(&key, &args.region);
    let run =
        format!("bench-bare-ec2-{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis());

    // Untimed: the network and the AMI's root device.
    let vpc = client
        .create_vpc()
        .cidr_block("10.199.0.0/16")
        .tag_specifications(tags(ResourceType::Vpc, &run, &run))
        .send()
        .await
        .context("CreateVpc")?;
    let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).context("CreateVpc answered no VPC ID")?.to_string();
    let mut subnets = Vec::new();
    for (i, zone) in args.zones.iter().enumerate() {
        let subnet = client
            .create_subnet()
            .vpc_id(&vpc_id)
            .availability_zone(zone)
            .cidr_block(format!("10.199.{}.0/20", i * 16))
            .tag_specifications(tags(ResourceType::Subnet, &run, &format!("{run}-{zone}")))
            .send()
            .await
            .with_context(|| format!("CreateSubnet in {zone}"))?;
        subnets.push(subnet.subnet().and_then(|s| s.subnet_id()).context("CreateSubnet answered no ID")?.to_string());
    }
    let images = client.describe_images().image_ids(&args.ami).send().await.context("DescribeImages")?;
    let root = images
        .images()
        .first()
        .with_context(|| format!("AMI {} does not exist", args.ami))?
        .root_device_name()
        .unwrap_or("/dev/xvda")
        .to_string();
    eprintln!("[bench-bare-ec2] run {run}: VPC {vpc_id}, subnets {subnets:?}; launching {} instances", args.count);

    // Timed: N single RunInstances at once, then DescribeInstances until all are running.
    let start = Instant::now();
    let launches = (0..args.count).map(|i| {
        let name = format!("{run}-{i:03}");
        let volume = EbsBlockDevice::builder()
            .volume_size(args.volume_gib)
            .volume_type(VolumeType::Gp3)
            .delete_on_termination(true)
            .build();
        client
            .run_instances()
            .image_id(&args.ami)
            .instance_type(InstanceType::from(args.instance_type.as_str()))
            .min_count(1)
            .max_count(1)
            .subnet_id(&subnets[i % subnets.len()])
            .block_device_mappings(BlockDeviceMapping::builder().device_name(&root).ebs(volume).build())
            .tag_specifications(tags(ResourceType::Instance, &run, &name))
            .tag_specifications(tags(ResourceType::Volume, &run, &name))
            .tag_specifications(tags(ResourceType::NetworkInterface, &run, &name))
            .send()
    });
    let results = futures::future::join_all(launches).await;
    let run_instances = results.len();
    let launched_s = start.elapsed().as_secs_f64();
    let failed: Vec<String> = results.iter().filter_map(|r| r.as_ref().err()).map(|e| format!("{e:?}")).collect();
    if let Some(first) = failed.first() {
        bail!("{} of {} RunInstances failed; the first: {first}", failed.len(), args.count);
    }
    eprintln!("[bench-bare-ec2] {run_instances} RunInstances answered after {launched_s:.2} s");
    let deadline = start + Duration::from_secs(args.timeout_s);
    let mut describe_calls = 0;
    let ids = loop {
        let (ids, running, calls) = instances(&client, &run).await?;
        describe_calls += calls;
        if running >= args.count {
            break ids;
        }
        if Instant::now() > deadline {
            bail!("only {running} of {} instances running after {} s", args.count, args.timeout_s);
        }
        tokio::time::sleep(Duration::from_millis(args.poll_ms)).await;
    };
    let seconds = start.elapsed().as_secs_f64();
    let round = |x: f64| (x * 100.0).round() / 100.0;
    println!(
        "{}",
        serde_json::json!({
            "seconds": round(seconds),
            "launched_s": round(launched_s),
            "calls": run_instances + describe_calls,
            "run_instances": run_instances,
            "describe_calls": describe_calls,
        })
    );

    // Untimed: clean up (best effort: the VPC may still hold the terminated instances' interfaces).
    for chunk in ids.chunks(1000) {
        if let Err(e) = client.terminate_instances().set_instance_ids(Some(chunk.to_vec())).send().await {
            eprintln!("[bench-bare-ec2] TerminateInstances failed: {e:?}");
        }
    }
    for subnet in &subnets {
        if let Err(e) = client.delete_subnet().subnet_id(subnet).send().await {
            eprintln!("[bench-bare-ec2] DeleteSubnet {subnet} failed (left behind): {e}");
        }
    }
    if let Err(e) = client.delete_vpc().vpc_id(&vpc_id).send().await {
        eprintln!("[bench-bare-ec2] DeleteVpc {vpc_id} failed (left behind): {e}");
    }
    eprintln!("[bench-bare-ec2] terminated {} instances", ids.len());
    Ok(())
}
