//! The AWS part of the shared Infrastructure controller ([`infrastructure_actuator`]): the access key from the
//! credentials Secret, the `InfrastructureConfig`, and the [`crate::infrastructure`] flow with its errors as
//! Gardener reports them (the AWS error code in the description).

use garden_api::provider::aws::v1alpha1::{self as aws, InfrastructureConfig};
use infrastructure_actuator::{Actuator, Failure, Request};
use serde_json::Value;

use crate::ec2::Clients;
use crate::infrastructure::{self, InfraError, InfraRequest};
use crate::spec::AccessKey;
use crate::worker::WORKER_TYPE;

/// The AWS infrastructure actuator.
pub struct AwsInfrastructure {
    pub clients: Clients,
}

impl From<InfraError> for Failure {
    fn from(e: InfraError) -> Self {
        // The AWS code too: what a tenant searches AWS's documentation for.
        let description = match &e.aws_code {
            Some(code) => format!("{e} (AWS error {code})"),
            None => e.to_string(),
        };
        Failure { codes: e.gardener_code().into_iter().collect(), task: e.task.clone(), description }
    }
}

fn credentials(req: &Request<'_>) -> Result<AccessKey, Failure> {
    AccessKey::from_secret(req.credentials).map_err(|e| {
        let r = &req.infra.spec.secret_ref;
        let name =
            format!("{}/{}", r.namespace.as_deref().unwrap_or(req.technical_id), r.name.as_deref().unwrap_or(""));
        Failure::configuration("Reading credentials", format!("Secret {name}: {}", e.message))
    })
}

fn config(req: &Request<'_>) -> Result<InfrastructureConfig, Failure> {
    let raw = req.infra.spec.provider_config.as_ref().ok_or_else(|| {
        Failure::configuration("Reading providerConfig", "spec.providerConfig is required (the networks)".into())
    })?;
    aws::decode(raw, "spec.providerConfig")
        .map_err(|e| Failure::configuration("Reading providerConfig", format!("{}: {}", e.field, e.message)))
}

impl AwsInfrastructure {
    /// The EC2 and IAM clients of the request's region and the flow's request.
    fn flow<'a>(
        &self,
        req: &'a Request<'_>,
        key: &AccessKey,
        config: &'a InfrastructureConfig,
    ) -> (aws_sdk_ec2::Client, aws_sdk_iam::Client, InfraRequest<'a>) {
        let region = req.infra.spec.region.as_str();
        let flow = InfraRequest { technical_id: req.technical_id, region, config, ssh_public_key: req.ssh_public_key };
        (self.clients.get(key, region), self.clients.iam(key, region), flow)
    }
}

#[async_trait::async_trait]
impl Actuator for AwsInfrastructure {
    fn infrastructure_type(&self) -> &'static str {
        WORKER_TYPE
    }

    async fn reconcile(&self, req: &Request<'_>) -> Result<Value, Failure> {
        let (key, config) = (credentials(req)?, config(req)?);
        let (ec2, iam, flow) = self.flow(req, &key, &config);
        let built = infrastructure::reconcile(&ec2, &iam, &flow, req.progress).await?;
        Ok(aws::encode(&built))
    }

    async fn delete(&self, req: &Request<'_>) -> Result<(), Failure> {
        let (key, config) = (credentials(req)?, config(req)?);
        let (ec2, iam, flow) = self.flow(req, &key, &config);
        Ok(infrastructure::delete(&ec2, &iam, &flow, req.progress).await?)
    }
}
