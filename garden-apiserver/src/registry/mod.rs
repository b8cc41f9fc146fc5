//! Gardener's kinds (`core.gardener.cloud`, `security.gardener.cloud`, `extensions.gardener.cloud`) and MCM's
//! (`machine.sapcloud.io`) on `api_machinery::registry`.

pub mod gardener;
pub mod machine;
