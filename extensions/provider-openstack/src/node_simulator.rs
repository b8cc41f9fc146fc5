//! The nova servers of the node simulator ([`provider_local::node_simulator`]), for tests against the local
//! OpenStack only (its fake compute driver boots nothing): the servers carrying a shoot's cluster metadata, listed
//! with the shoot's own credentials (which must name their `authURL`) in its region.

use std::collections::BTreeMap;

use garden_api::extensions::v1alpha1::Infrastructure;
use garden_api::provider::openstack::v1alpha1::PROVIDER_TYPE;
use kube::ResourceExt;
use provider_local::node_simulator::Instances;

use crate::client::{Credentials, Sessions};
use crate::driver::cluster_servers;

/// Nova servers of OpenStack shoots.
#[derive(Default)]
pub struct NovaServers {
    sessions: Sessions,
}

#[async_trait::async_trait]
impl Instances for NovaServers {
    fn infrastructure_type(&self) -> &'static str {
        PROVIDER_TYPE
    }

    async fn list(
        &self,
        infra: &Infrastructure,
        credentials: &BTreeMap<String, Vec<u8>>,
    ) -> anyhow::Result<Vec<(String, String)>> {
        let creds = Credentials::from_secret(credentials, None).map_err(anyhow::Error::msg)?;
        let region = infra.spec.region.as_str();
        let session = match self.sessions.get(&creds, region).await {
            Ok(s) => s,
            Err(e) => {
                self.sessions.forget(&creds, region).await;
                return Err(e.into());
            }
        };
        Ok(cluster_servers(&session, region, &infra.namespace().unwrap_or_default()).await?)
    }
}
