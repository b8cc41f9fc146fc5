//! `bench-bare-nova`: the baseline of the OpenStack machine benchmark (`tests/src/bin/bench-openstack-machines.rs`,
//! run by `hack/bench-machines.sh`): N servers created and waited for through the OpenStack SDK alone (this
//! crate's client: the same sessions and retries), no machine layer.
//!
//! ```text
//! bench-bare-nova --env /tmp/garden-openstack/env --count 20 [--flavor m1.medium] [--image debian-12]
//! ```
//!
//! Untimed setup: a Keystone session with the tenant's credentials from the env file `hack/openstack.sh up`
//! writes, the flavor's and the image's IDs. Then, timed: N concurrent server creates (no network, as the local
//! OpenStack cannot bind ports; metadata `garden.bench_run=<run>`, no cluster key, so no shoot's orphan collection
//! sees them; user data), then one detailed server list filtered by the run's name prefix every `--poll-ms` until
//! all N are ACTIVE. Prints one JSON line on stdout: `{"seconds": .., "launched_s": .., "calls": ..}` (calls:
//! the requests made in the timed part, every attempt counted). Then, untimed, deletes its servers and waits
//! until they are gone. Progress goes to stderr.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use base64::Engine;
use clap::Parser;
use openstack_sdk::api::compute::v2::{flavor, server};
use openstack_sdk::api::image::v2::image;
use provider_openstack::client::{self, api_calls, call, call_all, run, Credentials};
use serde::Deserialize;
use serde_json::json;

/// N servers created and waited for through the SDK alone (the OpenStack machine benchmark's baseline).
#[derive(Parser, Debug)]
#[command(name = "bench-bare-nova")]
struct Args {
    /// The env file of `hack/openstack.sh up` (OS_AUTH_URL, the tenant's credentials).
    #[arg(long)]
    env: std::path::PathBuf,
    /// How many servers.
    #[arg(long)]
    count: usize,
    #[arg(long, default_value = "m1.medium")]
    flavor: String,
    #[arg(long, default_value = "debian-12")]
    image: String,
    /// Pause between two list rounds (milliseconds).
    #[arg(long, default_value_t = 250)]
    poll_ms: u64,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 900)]
    timeout_s: u64,
}

#[derive(Deserialize)]
struct Named {
    id: String,
    name: String,
    #[serde(default)]
    status: String,
}

fn total(calls: &BTreeMap<String, u64>) -> u64 {
    calls.values().sum()
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let text = std::fs::read_to_string(&args.env).with_context(|| format!("{}", args.env.display()))?;
    let env: BTreeMap<&str, &str> = text.lines().filter_map(|l| l.split_once('=')).collect();
    let get = |k: &str| env.get(k).map(|v| v.as_bytes().to_vec()).with_context(|| format!("{k} missing"));
    let secret: BTreeMap<String, Vec<u8>> = [
        ("authURL", get("OS_AUTH_URL")?),
        ("domainName", get("OS_DOMAIN_NAME")?),
        ("tenantName", get("OS_PROJECT_NAME")?),
        ("username", get("OS_USERNAME")?),
        ("password", get("OS_PASSWORD")?),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let creds = Credentials::from_secret(&secret, None).map_err(anyhow::Error::msg)?;
    let region = env.get("OS_REGION_NAME").copied().unwrap_or("RegionOne");
    let os = client::connect(&creds, region).await?;
    let flavors: Vec<Named> = call(&os, "list flavors", &flavor::list_detailed_20::Request::builder().build()?).await?;
    let flavor_id = flavors.into_iter().find(|f| f.name == args.flavor).context("no such flavor")?.id;
    let images: Vec<Named> =
        call(&os, "list images", &image::list::Request::builder().name(args.image.as_str()).build()?).await?;
    let image_id = images.into_iter().next().context("no such image")?.id;
    let run_id = format!("{}-{}", std::process::id(), epoch_seconds());
    let prefix = format!("bench-bare-{run_id}-");
    let user_data = base64::engine::general_purpose::STANDARD.encode("#cloud-config\nruncmd: [true]\n");

    let before = api_calls();
    let start = Instant::now();
    eprintln!("[bench-bare-nova] creating {} servers", args.count);
    let creates = (0..args.count).map(|i| {
        let (os, name, flavor_id, image_id, user_data, run_id) =
            (&os, format!("{prefix}{i}"), &flavor_id, &image_id, &user_data, &run_id);
        async move {
            let mut body = server::create_290::ServerBuilder::default();
            body.name(name.as_str())
                .flavor_ref(flavor_id.as_str())
                .image_ref(image_id.as_str())
                .networks(server::create_290::ServerNetworks::F2(server::create_290::NetworksStringEnum::None))
                .metadata([("garden.bench_run", run_id.as_str())].into_iter())
                .user_data(user_data.as_str())
                .availability_zone("nova");
            let req = server::create_290::Request::builder().server(body.build()?).build()?;
            let _: serde_json::Value = call(os, "create server", &req).await?;
            anyhow::Ok(())
        }
    });
    futures::future::try_join_all(creates).await?;
    let launched_s = start.elapsed().as_secs_f64();
    let pattern = format!("^{}", prefix.replace('-', "\\-"));
    let list = server::list_detailed_21::Request::builder().name(pattern.as_str()).build()?;
    let deadline = start + Duration::from_secs(args.timeout_s);
    let servers = loop {
        let servers: Vec<Named> = call_all(&os, "list servers", &list).await?;
        let active = servers.iter().filter(|s| s.status == "ACTIVE").count();
        if servers.iter().any(|s| s.status == "ERROR") {
            bail!("a server went to ERROR");
        }
        if active >= args.count {
            break servers;
        }
        if Instant::now() > deadline {
            bail!("{active} of {} servers ACTIVE after {} s", args.count, args.timeout_s);
        }
        tokio::time::sleep(Duration::from_millis(args.poll_ms)).await;
    };
    let seconds = start.elapsed().as_secs_f64();
    let calls = total(&api_calls()) - total(&before);
    println!("{}", json!({"seconds": seconds, "launched_s": launched_s, "calls": calls}));

    eprintln!("[bench-bare-nova] deleting its {} servers", servers.len());
    for s in servers.iter().filter(|s| s.name.starts_with(&prefix)) {
        let del = server::delete::Request::builder().id(s.id.as_str()).build()?;
        run(&os, "delete server", &del).await?;
    }
    let deadline = Instant::now() + Duration::from_secs(args.timeout_s);
    while !call_all::<_, Named>(&os, "list servers", &list).await?.iter().all(|s| s.status == "DELETED") {
        if Instant::now() > deadline {
            bail!("its servers were not deleted within {} s", args.timeout_s);
        }
        tokio::time::sleep(Duration::from_millis(args.poll_ms)).await;
    }
    Ok(())
}

/// Seconds since the epoch: tells runs apart.
fn epoch_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
