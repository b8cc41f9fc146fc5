//! The AWS instances of the node simulator ([`provider_local::node_simulator`]), for tests against moto only:
//! the pending and running instances carrying a shoot's cluster tag, listed with its own credentials and region.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Filter;
use garden_api::extensions::v1alpha1::Infrastructure;
use kube::ResourceExt;
use provider_local::node_simulator::Instances;

use crate::ec2::Clients;
use crate::spec::{AccessKey, CLUSTER_TAG_PREFIX};
use crate::worker::WORKER_TYPE;

/// moto's EC2 instances of AWS shoots.
pub struct Ec2Instances {
    pub clients: Clients,
}

#[async_trait::async_trait]
impl Instances for Ec2Instances {
    fn infrastructure_type(&self) -> &'static str {
        WORKER_TYPE
    }

    async fn list(
        &self,
        infra: &Infrastructure,
        credentials: &BTreeMap<String, Vec<u8>>,
    ) -> anyhow::Result<Vec<(String, String)>> {
        let ns = infra.namespace().unwrap_or_default();
        let key = AccessKey::from_secret(credentials)?;
        let ec2 = self.clients.get(&key, &infra.spec.region);
        let mut out = Vec::new();
        let mut pages = ec2
            .describe_instances()
            .filters(Filter::builder().name("tag-key").values(format!("{CLUSTER_TAG_PREFIX}{ns}")).build())
            .filters(Filter::builder().name("instance-state-name").values("pending").values("running").build())
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| crate::ec2::error("DescribeInstances", e))?;
            for i in page.reservations().iter().flat_map(|r| r.instances()) {
                let identity = crate::driver::identity(i);
                out.push((identity.provider_id, identity.node_name));
            }
        }
        Ok(out)
    }
}
