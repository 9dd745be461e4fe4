//! `cloud_discovery` → `UpdateProvider`.
//!
//! The agent sends `{"Provider": name, "Metadata": …}` with the names of its Go struct. The
//! provider is `""` when the agent recognised no platform, and the metadata is `null` for
//! the platforms without any (and for AWS when the agent could not read it). Only the
//! metadata fields Trento keeps are read; the rest of Azure's large document is ignored.

use serde::Deserialize;
use uuid::Uuid;

use super::{InvalidDiscovery, parse_payload};
use crate::LandscapeCommand;
use crate::host::{AwsProvider, AzureProvider, GcpProvider, HostCommand, Provider};

/// The provider names the agent sends, as Trento's enum lists them.
const PROVIDERS: [&str; 6] = ["azure", "aws", "gcp", "kvm", "nutanix", "vmware"];

#[derive(Deserialize)]
struct ProviderName {
    #[serde(default, rename = "Provider", alias = "provider")]
    provider: Option<String>,
}

#[derive(Deserialize)]
struct WithMetadata<T> {
    #[serde(rename = "Metadata", alias = "metadata")]
    metadata: Option<T>,
}

/// Azure's instance metadata document, as far as Trento reads it.
#[derive(Deserialize)]
struct AzureMetadata {
    compute: AzureCompute,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AzureCompute {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    resource_group_name: Option<String>,
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    vm_size: Option<String>,
    #[serde(default)]
    offer: Option<String>,
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    os_profile: Option<AzureOsProfile>,
    #[serde(default)]
    storage_profile: Option<AzureStorageProfile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AzureOsProfile {
    #[serde(default)]
    admin_username: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AzureStorageProfile {
    /// Only counted; each disk's own document is not read.
    #[serde(default)]
    data_disks: Option<Vec<serde::de::IgnoredAny>>,
}

pub(super) fn detect(agent_id: Uuid, payload: &str) -> Result<Vec<LandscapeCommand>, InvalidDiscovery> {
    let name: ProviderName = parse_payload(payload)?;
    let provider = match name.provider.as_deref().map(str::trim) {
        None | Some("") => Provider::Unknown,
        Some("azure") => Provider::Azure(parse_payload::<WithMetadata<AzureMetadata>>(payload)?.metadata.map(azure)),
        Some("aws") => Provider::Aws(parse_payload::<WithMetadata<AwsProvider>>(payload)?.metadata),
        Some("gcp") => Provider::Gcp(parse_payload::<WithMetadata<GcpProvider>>(payload)?.metadata),
        Some("kvm") => Provider::Kvm,
        Some("nutanix") => Provider::Nutanix,
        Some("vmware") => Provider::Vmware,
        Some(other) => {
            return Err(InvalidDiscovery::field(
                "payload.Provider",
                format!("unknown provider `{other}`; expected one of {} or empty", PROVIDERS.join(", ")),
            ));
        }
    };
    Ok(vec![LandscapeCommand::Host {
        host_id: agent_id,
        command: HostCommand::UpdateProvider { host_id: agent_id, provider },
    }])
}

fn azure(metadata: AzureMetadata) -> AzureProvider {
    let compute = metadata.compute;
    let data_disks = compute.storage_profile.and_then(|s| s.data_disks).map_or(0, |disks| disks.len());
    AzureProvider {
        vm_name: compute.name,
        resource_group: compute.resource_group_name,
        location: compute.location,
        vm_size: compute.vm_size,
        data_disk_number: u32::try_from(data_disks).unwrap_or(u32::MAX),
        offer: compute.offer,
        sku: compute.sku,
        admin_username: compute.os_profile.and_then(|p| p.admin_username),
    }
}
