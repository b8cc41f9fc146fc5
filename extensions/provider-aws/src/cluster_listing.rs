//! Shared instance listings, one per cluster at a time: the lookups of many machines of one cluster (status
//! reads, the lookup before a create, deletes, orphan collection) ride on one tag-filtered `DescribeInstances`
//! instead of sending one each. EC2 answers a filtered describe in time that grows with the instances it scans
//! (moto serialises them), so a hundred concurrent lookups used to cost a hundred scans.
//!
//! Freshness (see [`machine_driver::shared_listing`]): a lookup joins only a listing that has not been sent yet,
//! so a listing sent before a `RunInstances` is never the answer to a lookup that began after it.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_ec2::types::{Filter, Instance};
use futures::FutureExt;
use machine_driver::shared_listing::SharedListings;
use machine_driver::DriverError;

use crate::ec2;
use crate::spec::CLUSTER_TAG_PREFIX;

/// Instance states that count as a machine's VM (terminated and shutting-down ones are gone).
const LIVE_STATES: [&str; 4] = ["pending", "running", "stopping", "stopped"];
/// How long the first lookup of an idle cluster waits for others to join it.
const GATHER: Duration = Duration::from_millis(10);

/// (access key ID, region, cluster): listings are not shared across credentials.
type Key = (String, String, String);

pub struct ClusterListings {
    listings: SharedListings<Key, Vec<Instance>>,
}

impl Default for ClusterListings {
    fn default() -> Self {
        ClusterListings { listings: SharedListings::new(GATHER) }
    }
}

impl ClusterListings {
    /// Every live instance tagged `kubernetes.io/cluster/<cluster>`, listed no earlier than this call.
    pub async fn instances(
        &self,
        client: &aws_sdk_ec2::Client,
        access_key_id: &str,
        region: &str,
        cluster: &str,
    ) -> Result<Arc<Vec<Instance>>, DriverError> {
        let key: Key = (access_key_id.to_string(), region.to_string(), cluster.to_string());
        let (client, cluster) = (client.clone(), cluster.to_string());
        self.listings.get(key, move || async move { list(&client, &cluster).await }.boxed()).await
    }
}

/// Every live instance of `cluster` (all pages).
async fn list(client: &aws_sdk_ec2::Client, cluster: &str) -> Result<Vec<Instance>, DriverError> {
    let filters = vec![
        Filter::builder().name("tag-key").values(format!("{CLUSTER_TAG_PREFIX}{cluster}")).build(),
        Filter::builder()
            .name("instance-state-name")
            .set_values(Some(LIVE_STATES.iter().map(|s| s.to_string()).collect()))
            .build(),
    ];
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .describe_instances()
            .set_filters(Some(filters.clone()))
            .set_next_token(token)
            .max_results(1000)
            .send()
            .await
            .map_err(|e| ec2::error("DescribeInstances", e))?;
        out.extend(page.reservations().iter().flat_map(|r| r.instances().iter().cloned()));
        token = page.next_token().filter(|t| !t.is_empty()).map(str::to_string);
        if token.is_none() {
            return Ok(out);
        }
    }
}
