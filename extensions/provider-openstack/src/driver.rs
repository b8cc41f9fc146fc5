//! The nova machine driver. A server is named after its machine and carries, from its creation on, the class's
//! metadata (with `kubernetes.io-cluster-<technicalID>` and `kubernetes.io-role-node`, also as server tags); every
//! lookup goes by name and cluster metadata, so a driver that crashed between the create call and recording the
//! provider ID finds the server again instead of creating a second one. The lookups and ACTIVE-waits of a
//! cluster's machines that arrive together share one listing of the servers named `<cluster>-...`
//! ([`machine_driver::shared_listing`]). A create waits until the server is
//! ACTIVE (a server that went to ERROR is deleted and its fault reported: "No valid host was found" is
//! ResourceExhausted); a delete waits until nova no longer knows the server.
//!
//! Servers get the class's network, or, when the operator says so ([`ServerNetworks::None`]), no network at all:
//! the local test OpenStack cannot bind ports without agents.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use futures::FutureExt;
use garden_api::machine::v1alpha1::MachineClass;
use kube::ResourceExt;
use machine_driver::shared_listing::SharedListings;
use machine_driver::{Code, Driver, DriverError, MachineIdentity, MachineList, MachineRequest, USER_DATA_KEY};
use openstack_sdk::api::compute::v2::{flavor, server};
use openstack_sdk::api::image::v2::image;
use openstack_sdk::AsyncOpenStack;
use serde::Deserialize;
use serde_json::Value;
use tracing::{info, warn};

use crate::client::{call, call_all, run, Credentials, Sessions};
use crate::spec::{ProviderSpec, CLUSTER_KEY_PREFIX};

/// How long a create waits for ACTIVE and a delete for the server to be gone.
const SERVER_DEADLINE: Duration = Duration::from_secs(600);
const POLL: Duration = Duration::from_millis(500);

/// Which networks servers get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerNetworks {
    /// The class's `networkID` (production).
    Class,
    /// None (`"networks": "none"`): for clouds that cannot bind ports, as the local test OpenStack.
    None,
}

pub struct OpenStackDriver {
    sessions: Sessions,
    networks: ServerNetworks,
    /// (region, flavor name) -> flavor ID and (region, image name) -> image ID: asked once each.
    flavors: tokio::sync::Mutex<HashMap<(String, String), String>>,
    images: tokio::sync::Mutex<HashMap<(String, String), String>>,
    /// The servers of a cluster, listed once for all the lookups and waits of its machines that arrive together.
    listings: SharedListings<ListingKey, Vec<Server>>,
}

/// (credentials, region, cluster): listings are not shared across credentials.
type ListingKey = (Credentials, String, String);
/// How long the first lookup of an idle cluster waits for others to join its listing.
const GATHER: Duration = Duration::from_millis(10);

/// A class's spec with a session for its credentials.
struct Conn {
    spec: ProviderSpec,
    os: AsyncOpenStack,
    cluster: String,
    creds: Credentials,
}

#[derive(Clone, Debug, Deserialize)]
struct Server {
    id: String,
    name: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
    #[serde(default)]
    created: String,
    #[serde(default)]
    fault: Option<Value>,
}

impl OpenStackDriver {
    pub fn new(networks: ServerNetworks) -> Self {
        OpenStackDriver {
            sessions: Sessions::default(),
            networks,
            flavors: Default::default(),
            images: Default::default(),
            listings: SharedListings::new(GATHER),
        }
    }

    async fn connect(&self, class: &MachineClass, secret: &BTreeMap<String, Vec<u8>>) -> Result<Conn, DriverError> {
        let spec = ProviderSpec::parse(&class.provider_spec)?;
        let creds = Credentials::from_secret(secret, None).map_err(DriverError::invalid)?;
        let session = match self.sessions.get(&creds, &spec.region).await {
            Ok(s) => s,
            Err(e) => {
                self.sessions.forget(&creds, &spec.region).await;
                return Err(e.into());
            }
        };
        let cluster = spec.cluster().unwrap_or_default().to_string();
        Ok(Conn { spec, os: session, cluster, creds })
    }

    /// The servers whose names start with `<cluster>-` (a machine's name does), listed no earlier than this call
    /// and shared with the lookups of the cluster's other machines arriving meanwhile.
    async fn cluster_listing(&self, c: &Conn) -> Result<Arc<Vec<Server>>, DriverError> {
        let key: ListingKey = (c.creds.clone(), c.spec.region.clone(), c.cluster.clone());
        let (os, pattern) = (c.os.clone(), format!("^{}-", regex_escape(&c.cluster)));
        self.listings
            .get(key, move || {
                async move {
                    let list = server::list_detailed_21::Request::builder()
                        .name(pattern.as_str())
                        .build()
                        .map_err(internal)?;
                    Ok(call_all::<_, Server>(&os, "list servers", &list).await?)
                }
                .boxed()
            })
            .await
    }

    /// The servers of machine `name` in the class's cluster, oldest first.
    async fn machine_servers(&self, c: &Conn, name: &str) -> Result<Vec<Server>, DriverError> {
        let key = format!("{CLUSTER_KEY_PREFIX}{}", c.cluster);
        let ours = |s: &Server| s.name == name && s.metadata.contains_key(&key) && s.status != "DELETED";
        let mut found: Vec<Server> = if name.starts_with(&format!("{}-", c.cluster)) {
            self.cluster_listing(c).await?.iter().filter(|s| ours(s)).cloned().collect()
        } else {
            // nova's name filter is a regular expression.
            let pattern = format!("^{}$", regex_escape(name));
            let list = server::list_detailed_21::Request::builder().name(pattern.as_str()).build().map_err(internal)?;
            call::<_, Vec<Server>>(&c.os, "list servers", &list).await?.into_iter().filter(|s| ours(s)).collect()
        };
        found.sort_by(|a, b| a.created.cmp(&b.created));
        Ok(found)
    }

    async fn flavor_id(&self, os: &AsyncOpenStack, spec: &ProviderSpec) -> Result<String, DriverError> {
        let key = (spec.region.clone(), spec.flavor_name.clone());
        let mut flavors = self.flavors.lock().await;
        if let Some(id) = flavors.get(&key) {
            return Ok(id.clone());
        }
        #[derive(Deserialize)]
        struct Flavor {
            id: String,
            name: String,
        }
        let list = flavor::list_detailed_20::Request::builder().build().map_err(internal)?;
        let all: Vec<Flavor> = call(os, "list flavors", &list).await?;
        let id = all
            .into_iter()
            .find(|f| f.name == spec.flavor_name)
            .ok_or_else(|| {
                DriverError::invalid(format!("flavor {:?} does not exist in {}", spec.flavor_name, spec.region))
            })?
            .id;
        flavors.insert(key, id.clone());
        Ok(id)
    }

    async fn image_id(&self, os: &AsyncOpenStack, spec: &ProviderSpec) -> Result<String, DriverError> {
        if !spec.image_id.is_empty() {
            return Ok(spec.image_id.clone());
        }
        let key = (spec.region.clone(), spec.image_name.clone());
        let mut images = self.images.lock().await;
        if let Some(id) = images.get(&key) {
            return Ok(id.clone());
        }
        #[derive(Deserialize)]
        struct Image {
            id: String,
        }
        let list = image::list::Request::builder().name(spec.image_name.as_str()).build().map_err(internal)?;
        let found: Vec<Image> = call(os, "list images", &list).await?;
        let id = match found.as_slice() {
            [one] => one.id.clone(),
            [] => {
                return Err(DriverError::invalid(format!(
                    "image {:?} does not exist in {}",
                    spec.image_name, spec.region
                )))
            }
            _ => {
                return Err(DriverError::invalid(format!(
                    "{} images are named {:?} in {}: name one by imageID",
                    found.len(),
                    spec.image_name,
                    spec.region
                )))
            }
        };
        images.insert(key, id.clone());
        Ok(id)
    }

    /// Polls server `id` (of machine `name`) until it is ACTIVE, through the cluster's shared listing; one in ERROR
    /// is deleted and its fault returned.
    async fn wait_active(&self, c: &Conn, name: &str, id: &str) -> Result<(), DriverError> {
        let deadline = Instant::now() + SERVER_DEADLINE;
        loop {
            let s = match self.machine_servers(c, name).await?.into_iter().find(|s| s.id == id) {
                Some(s) => s,
                None => return Err(DriverError::not_found(format!("server {id} of machine {name} is gone"))),
            };
            match s.status.as_str() {
                "ACTIVE" => return Ok(()),
                "ERROR" => {
                    let fault =
                        s.fault.as_ref().and_then(|f| f["message"].as_str()).unwrap_or("no fault recorded").to_string();
                    warn!(server = id, fault = %fault, "server went to ERROR: deleting it");
                    let del = server::delete::Request::builder().id(id).build().map_err(internal)?;
                    let _ = run(&c.os, "delete server", &del).await;
                    let code = if fault.contains("No valid host") { Code::ResourceExhausted } else { Code::Internal };
                    return Err(DriverError::new(code, format!("server {id} went to ERROR: {fault}")));
                }
                _ if Instant::now() > deadline => {
                    return Err(DriverError::new(
                        Code::DeadlineExceeded,
                        format!("server {id} is still {} after {}s", s.status, SERVER_DEADLINE.as_secs()),
                    ))
                }
                _ => tokio::time::sleep(POLL).await,
            }
        }
    }

    /// Deletes servers `ids` and waits until nova no longer lists them.
    async fn delete_servers(&self, os: &AsyncOpenStack, ids: &[String]) -> Result<(), DriverError> {
        for id in ids {
            let del = server::delete::Request::builder().id(id.as_str()).build().map_err(internal)?;
            match run(os, "delete server", &del).await {
                Ok(()) => {}
                Err(e) if e.not_found() => {}
                Err(e) => return Err(e.into()),
            }
        }
        let deadline = Instant::now() + SERVER_DEADLINE;
        for id in ids {
            loop {
                let get = server::get_20::Request::builder().id(id.as_str()).build().map_err(internal)?;
                match call::<_, Server>(os, "get server", &get).await {
                    Err(e) if e.not_found() => break,
                    Ok(s) if s.status == "DELETED" => break,
                    Ok(s) if Instant::now() > deadline => {
                        return Err(DriverError::new(
                            Code::DeadlineExceeded,
                            format!(
                                "server {id} is still {} {}s after its delete",
                                s.status,
                                SERVER_DEADLINE.as_secs()
                            ),
                        ))
                    }
                    Ok(_) => tokio::time::sleep(POLL).await,
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(())
    }
}

fn internal(e: impl std::fmt::Display) -> DriverError {
    DriverError::internal(format!("building an OpenStack request: {e}"))
}

/// Whether nova takes `key` as a server tag (at most 60 characters, no `/` nor `,`). Lookups go by metadata;
/// tags are a convenience for operators (`openstack server list --tags`), so keys nova refuses are left out.
fn valid_server_tag(key: &str) -> bool {
    !key.is_empty() && key.len() <= 60 && !key.contains(['/', ','])
}

fn regex_escape(s: &str) -> String {
    s.chars().fold(String::new(), |mut out, c| {
        if !c.is_ascii_alphanumeric() && c != '-' && c != '_' {
            out.push('\\');
        }
        out.push(c);
        out
    })
}

/// `openstack:///<region>/<server-id>`; the node registers with the server's name.
pub fn identity(region: &str, server_id: &str, name: &str) -> MachineIdentity {
    MachineIdentity { provider_id: format!("openstack:///{region}/{server_id}"), node_name: name.to_string() }
}

/// The server ID of a provider ID `openstack:///<region>/<id>`.
pub fn server_id(provider_id: &str) -> Option<&str> {
    provider_id.strip_prefix("openstack://")?.rsplit('/').next().filter(|id| !id.is_empty())
}

#[async_trait::async_trait]
impl Driver for OpenStackDriver {
    async fn create_machine(&self, req: &MachineRequest<'_>) -> Result<MachineIdentity, DriverError> {
        let c = self.connect(req.class, req.secret).await?;
        let (spec, os) = (&c.spec, &c.os);
        let name = req.machine.name_any();
        let mut existing = self.machine_servers(&c, &name).await?;
        if !existing.is_empty() {
            // More than one can only come from outside this driver: the oldest is the machine's.
            let extra: Vec<String> = existing.drain(1..).map(|s| s.id).collect();
            if !extra.is_empty() {
                warn!(machine = %name, servers = ?extra, "more than one server carries the machine's name and cluster; deleting the newer ones");
                self.delete_servers(os, &extra).await?;
            }
            self.wait_active(&c, &name, &existing[0].id).await?;
            return Ok(identity(&spec.region, &existing[0].id, &name));
        }
        let user_data = req
            .secret
            .get(USER_DATA_KEY)
            .ok_or_else(|| DriverError::invalid(format!("the class secret has no {USER_DATA_KEY}")))?;
        let flavor = self.flavor_id(os, spec).await?;
        let image = self.image_id(os, spec).await?;
        let networks = match self.networks {
            ServerNetworks::None => {
                server::create_290::ServerNetworks::F2(server::create_290::NetworksStringEnum::None)
            }
            ServerNetworks::Class => {
                if spec.network_id.is_empty() {
                    return Err(DriverError::invalid("providerSpec lacks networkID"));
                }
                let net = server::create_290::NetworksBuilder::default()
                    .uuid(spec.network_id.as_str())
                    .build()
                    .map_err(internal)?;
                server::create_290::ServerNetworks::F1(vec![net])
            }
        };
        let mut body = server::create_290::ServerBuilder::default();
        body.name(name.as_str())
            .flavor_ref(flavor.as_str())
            .image_ref(image.as_str())
            .networks(networks)
            .metadata(spec.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .tags(spec.tags.keys().filter(|k| valid_server_tag(k)).map(|k| k.as_str().into()).collect::<Vec<_>>())
            .user_data(base64::engine::general_purpose::STANDARD.encode(user_data));
        if !spec.availability_zone.is_empty() {
            body.availability_zone(spec.availability_zone.as_str());
        }
        if !spec.key_name.is_empty() {
            body.key_name(spec.key_name.as_str());
        }
        if self.networks == ServerNetworks::Class && !spec.security_groups.is_empty() {
            let groups = spec
                .security_groups
                .iter()
                .map(|g| server::create_290::SecurityGroupsBuilder::default().name(g.as_str()).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(internal)?;
            body.security_groups(groups);
        }
        if let Some(drive) = spec.use_config_drive {
            body.config_drive(drive);
        }
        let mut request = server::create_290::Request::builder();
        request.server(body.build().map_err(internal)?);
        if let Some(group) = &spec.server_group_id {
            let hints = server::create_290::OsSchHntSchedulerHintsBuilder::default()
                .group(vec![group.as_str().into()])
                .build()
                .map_err(internal)?;
            request.os_sch_hnt_scheduler_hints(hints);
        }
        let request = request.build().map_err(internal)?;
        #[derive(Deserialize)]
        struct Created {
            id: String,
        }
        let created: Created = call(os, "create server", &request).await?;
        info!(machine = %name, server = %created.id, "created server");
        self.wait_active(&c, &name, &created.id).await?;
        Ok(identity(&spec.region, &created.id, &name))
    }

    async fn delete_machine(&self, req: &MachineRequest<'_>) -> Result<(), DriverError> {
        let c = self.connect(req.class, req.secret).await?;
        let name = req.machine.name_any();
        let mut ids: Vec<String> = self.machine_servers(&c, &name).await?.into_iter().map(|s| s.id).collect();
        // A server recorded in the Machine whose name or metadata were changed behind our back still goes.
        let recorded = req.machine.spec.provider_id.as_deref().and_then(server_id).map(str::to_string);
        if let Some(id) = recorded.filter(|id| !ids.contains(id)) {
            ids.push(id);
        }
        if !ids.is_empty() {
            info!(machine = %name, servers = ?ids, "deleting");
        }
        self.delete_servers(&c.os, &ids).await
    }

    async fn get_machine_status(&self, req: &MachineRequest<'_>) -> Result<MachineIdentity, DriverError> {
        let c = self.connect(req.class, req.secret).await?;
        let name = req.machine.name_any();
        match self.machine_servers(&c, &name).await?.first() {
            Some(s) => Ok(identity(&c.spec.region, &s.id, &name)),
            None => Err(DriverError::not_found(format!("no server of machine {name} in cluster {}", c.cluster))),
        }
    }

    async fn list_machines(
        &self,
        class: &MachineClass,
        secret: &BTreeMap<String, Vec<u8>>,
    ) -> Result<MachineList, DriverError> {
        let c = self.connect(class, secret).await?;
        Ok(cluster_servers(&c.os, &c.spec.region, &c.cluster).await?.into_iter().collect())
    }

    fn cloud_api_calls(&self) -> BTreeMap<String, u64> {
        crate::client::api_calls()
    }
}

/// The servers of shoot `cluster` (by its metadata key) that are not deleted, as (provider ID, name).
pub async fn cluster_servers(
    os: &AsyncOpenStack,
    region: &str,
    cluster: &str,
) -> Result<Vec<(String, String)>, DriverError> {
    let key = format!("{CLUSTER_KEY_PREFIX}{cluster}");
    let list = server::list_detailed_21::Request::builder().build().map_err(internal)?;
    let servers: Vec<Server> = call_all(os, "list servers", &list).await?;
    Ok(servers
        .into_iter()
        .filter(|s| s.metadata.contains_key(&key) && s.status != "DELETED")
        .map(|s| (identity(region, &s.id, &s.name).provider_id, s.name))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_ids_name_region_and_server() {
        assert_eq!(identity("RegionOne", "abc", "m").provider_id, "openstack:///RegionOne/abc");
        assert_eq!(server_id("openstack:///RegionOne/abc"), Some("abc"));
        assert_eq!(server_id("aws:///x/i-1"), None);
        assert_eq!(regex_escape("shoot--a.b"), "shoot--a\\.b");
        assert!(valid_server_tag("kubernetes.io-cluster-shoot--dev--os"));
        assert!(!valid_server_tag("worker.gardener.cloud/pool"));
    }
}
