//! `ha_cluster_discovery` → `RegisterOnlineClusterHost` or `RegisterOfflineClusterHost`,
//! preceded by `DeregisterClusterHost` when the host left the cluster it was in.
//!
//! `payload.rs` mirrors the agent's JSON; this module is what Vigil reads from it, following
//! Trento's cluster policy and discovery payload: the cluster type from the crm_mon clones
//! and groups and the SAPHanaSR-angi topology property, HANA replication from node
//! attributes (classic scale-up) or cluster properties (scale-out and angi), ASCS/ERS
//! systems from the CIB groups crossed with where crm_mon runs them.
//!
//! As in Trento's policy, each node keeps its attributes, the details list the clustered
//! SAP instances (`sap_instances`), and the command carries the crm_mon summary's last
//! change as `cib_last_written`.
//!
//! A `null` payload means the host is in no cluster. `"Online": false` means the host is
//! configured as a member but its cluster stack is stopped: only `Id` and `Name` are read.
//! A payload without `Online` comes from an agent that predates the field and only sends
//! full payloads, so it is online (Trento: offline only when `online` is `false`).

mod payload;

use std::collections::BTreeMap;

use uuid::Uuid;

use self::payload::{
    CibGroup, CibResources, CrmNode, CrmResource, NameValue, OfflinePayload, OnlinePayload, Primitive, Probe,
};
use super::{DiscoveryContext, InvalidDiscovery, parse_payload};
use crate::LandscapeCommand;
use crate::cluster::{
    AscsErsInstance, AscsErsRole, AscsErsSapSystem, ClusterCommand, ClusterDetails, ClusterNode, ClusterResource,
    ClusterSapInstance, ClusterType, HanaArchitecture, HanaDetails, HanaScenario, HanaSite, HanaStatus, InstanceMount,
    NodeStatus, Provider, ResourceStatus, SapInstanceResourceType, SbdDevice, SbdDeviceStatus, StoppedResource,
    cluster_id,
};

pub(super) fn detect(
    agent_id: Uuid,
    payload: &str,
    context: &DiscoveryContext,
) -> Result<Vec<LandscapeCommand>, InvalidDiscovery> {
    let deregister = |cluster_id: Uuid| LandscapeCommand::Cluster {
        cluster_id,
        command: ClusterCommand::DeregisterClusterHost { cluster_id, host_id: agent_id },
    };
    let Some(probe) = parse_payload::<Option<Probe>>(payload)? else {
        // The host is in no cluster (any more).
        return Ok(context.current_cluster_id.map(&deregister).into_iter().collect());
    };
    let (cluster_id, command) = if probe.online == Some(false) {
        let p: OfflinePayload = parse_payload(payload)?;
        let cluster_id = cluster_id(&non_empty_id(&p.id)?);
        let command = ClusterCommand::RegisterOfflineClusterHost {
            cluster_id,
            host_id: agent_id,
            name: p.name.filter(|n| !n.trim().is_empty()),
        };
        (cluster_id, command)
    } else {
        let p: OnlinePayload = parse_payload(payload)?;
        let cluster_id = cluster_id(&non_empty_id(&p.id)?);
        let details = Reading::new(&p).details()?;
        let command = ClusterCommand::RegisterOnlineClusterHost {
            cluster_id,
            host_id: agent_id,
            name: p.name.clone().filter(|n| !n.trim().is_empty()),
            designated_controller: p.dc,
            details: Box::new(details),
            cib_last_written: p
                .crmmon
                .summary
                .last_change
                .as_ref()
                .and_then(|c| c.time.as_deref())
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
        };
        (cluster_id, command)
    };
    let mut commands = Vec::new();
    if let Some(previous) = context.current_cluster_id
        && previous != cluster_id
    {
        commands.push(deregister(previous));
    }
    commands.push(LandscapeCommand::Cluster { cluster_id, command });
    Ok(commands)
}

fn non_empty_id(id: &str) -> Result<String, InvalidDiscovery> {
    if id.trim().is_empty() {
        return Err(InvalidDiscovery::field("payload.Id", "must not be empty"));
    }
    Ok(id.to_owned())
}

const SAP_INSTANCE_AGENT: &str = "ocf::heartbeat:SAPInstance";

/// How far a HANA cluster scales.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scale {
    Up,
    Out,
}

/// The HANA system a cluster manages: its SID (lowercase in attribute names) and how it is
/// set up.
struct Hana<'a> {
    sid: &'a str,
    scale: Scale,
    architecture: HanaArchitecture,
}

/// One online payload, with the lookups the rules need.
struct Reading<'a> {
    payload: &'a OnlinePayload,
    properties: &'a [NameValue],
    /// Every CIB primitive: top level, in groups, in clones and in masters.
    primitives: Vec<&'a Primitive>,
    groups: &'a [CibGroup],
    /// Every crm_mon resource, with the clone or group it belongs to.
    resources: Vec<(&'a CrmResource, Option<&'a str>)>,
    provider: Provider,
}

impl<'a> Reading<'a> {
    fn new(payload: &'a OnlinePayload) -> Self {
        static NO_RESOURCES: CibResources =
            CibResources { primitives: Vec::new(), groups: Vec::new(), clones: Vec::new(), masters: Vec::new() };
        let configuration = &payload.cib.configuration;
        let cib_resources = configuration.resources.as_ref().unwrap_or(&NO_RESOURCES);
        let primitives = cib_resources
            .primitives
            .iter()
            .chain(cib_resources.groups.iter().flat_map(|g| &g.primitives))
            .chain(cib_resources.clones.iter().chain(&cib_resources.masters).filter_map(|c| c.primitive.as_ref()))
            .collect();
        let crmmon = &payload.crmmon;
        let resources = crmmon
            .resources
            .iter()
            .map(|r| (r, None))
            .chain(
                crmmon
                    .clones
                    .iter()
                    .chain(&crmmon.groups)
                    .flat_map(|g| g.resources.iter().map(move |r| (r, Some(g.id.as_str())))),
            )
            .collect();
        Reading {
            payload,
            properties: configuration.crm_config.as_ref().map(|c| c.cluster_properties.as_slice()).unwrap_or_default(),
            primitives,
            groups: &cib_resources.groups,
            resources,
            provider: Provider::parse(payload.provider.as_deref()),
        }
    }

    fn details(&self) -> Result<ClusterDetails, InvalidDiscovery> {
        let (cluster_type, hana_setup) = self.cluster_type();
        let hana = match hana_setup {
            None => None,
            Some((scale, architecture)) => Some(Hana {
                sid: self.hana_sid().ok_or_else(|| {
                    InvalidDiscovery::field(
                        "payload.Cib.Configuration.Resources",
                        "a HANA cluster must name its SID in a SAPHanaTopology resource",
                    )
                })?,
                scale,
                architecture,
            }),
        };
        let nodes = self.nodes(hana.as_ref());
        let manages_ascs_ers = matches!(cluster_type, ClusterType::AscsErs | ClusterType::HanaAscsErs);
        let sbd_devices = self
            .payload
            .sbd
            .iter()
            .flat_map(|s| &s.devices)
            .map(|d| SbdDevice {
                device: d.device.clone(),
                status: if d.status == "healthy" { SbdDeviceStatus::Healthy } else { SbdDeviceStatus::Unhealthy },
            })
            .collect();
        Ok(ClusterDetails {
            cluster_type,
            sid: hana.as_ref().map(|h| h.sid.to_owned()),
            // Trento records no SIDs for a cluster of unknown type.
            additional_sids: if cluster_type == ClusterType::Unknown { Vec::new() } else { self.sap_instance_sids() },
            provider: self.provider,
            state: self.payload.state.clone().filter(|s| !s.is_empty()),
            hosts_number: self.payload.crmmon.summary.nodes.number,
            resources_number: self.payload.crmmon.summary.resources.number,
            fencing_type: self.fencing_type(),
            maintenance_mode: self.property("maintenance-mode") == Some("true"),
            sbd_devices,
            stopped_resources: self.stopped_resources(),
            hana: hana.as_ref().map(|h| self.hana_details(h, &nodes)),
            sap_systems: if manages_ascs_ers { self.sap_systems() } else { Vec::new() },
            sap_instances: self.sap_instances(),
            nodes,
        })
    }

    /// Trento's `sap_instances`: each `SAPHanaTopology` resource (`SID`, `InstanceNumber`)
    /// as the HANA instance `HDB<nr>`, then each `SAPInstance` resource, whose
    /// `InstanceName` is `<SID>_<instance>_<host>` and whose number ends the instance part.
    /// Resources that do not name their SID and number are left out.
    fn sap_instances(&self) -> Vec<ClusterSapInstance> {
        let hana = self.primitives.iter().filter(|p| p.kind == "SAPHanaTopology").filter_map(|p| {
            let sid = p.attribute("SID").filter(|s| !s.is_empty())?;
            let number = p.attribute("InstanceNumber").filter(|n| !n.is_empty())?;
            Some(ClusterSapInstance {
                name: format!("HDB{number}"),
                sid: sid.to_owned(),
                instance_number: number.to_owned(),
                hostname: None,
                resource_type: SapInstanceResourceType::SapHanaTopology,
            })
        });
        let sap = self.sap_instance_names().filter_map(|instance_name| {
            let mut parts = instance_name.splitn(3, '_');
            let sid = parts.next().filter(|s| !s.is_empty())?;
            let instance = parts.next().filter(|i| !i.is_empty())?;
            Some(ClusterSapInstance {
                name: instance.to_owned(),
                sid: sid.to_owned(),
                instance_number: last_two_chars(instance),
                hostname: parts.next().filter(|h| !h.is_empty()).map(str::to_owned),
                resource_type: SapInstanceResourceType::SapInstance,
            })
        });
        hana.chain(sap).collect()
    }

    /// Trento's classification: HANA from the crm_mon clones (SAPHanaTopology with SAPHana
    /// for scale-up, with SAPHanaController for scale-out), ASCS/ERS from an even number
    /// (≥ 2) of crm_mon groups running a non-HDB `SAPInstance`, SAPHanaSR-angi from the
    /// `hana_<sid>_glob_topology` property.
    fn cluster_type(&self) -> (ClusterType, Option<(Scale, HanaArchitecture)>) {
        let clone_agents: Vec<&str> =
            self.payload.crmmon.clones.iter().flat_map(|c| &c.resources).map(|r| r.agent.as_str()).collect();
        let has = |agent: &str| clone_agents.contains(&agent);
        let topology = has("ocf::suse:SAPHanaTopology");
        let classic_scale = if topology && has("ocf::suse:SAPHana") {
            Some(Scale::Up)
        } else if topology && has("ocf::suse:SAPHanaController") {
            Some(Scale::Out)
        } else {
            None
        };
        let sap_instance_groups = self
            .payload
            .crmmon
            .groups
            .iter()
            .filter(|g| g.resources.iter().any(|r| r.agent == SAP_INSTANCE_AGENT && !r.id.contains("HDB")))
            .count();
        let ascs_ers = sap_instance_groups >= 2 && sap_instance_groups % 2 == 0;
        let angi_scale =
            match self.properties.iter().find(|p| p.name.ends_with("_glob_topology")).map(|p| p.value.as_str()) {
                Some("ScaleUp") => Some(Scale::Up),
                Some("ScaleOut") => Some(Scale::Out),
                _ => None,
            };
        let hana_type = |scale| match scale {
            Scale::Up => ClusterType::HanaScaleUp,
            Scale::Out => ClusterType::HanaScaleOut,
        };
        match (angi_scale, classic_scale, ascs_ers) {
            (Some(scale), _, false) => (hana_type(scale), Some((scale, HanaArchitecture::Angi))),
            (None, Some(scale), false) => (hana_type(scale), Some((scale, HanaArchitecture::Classic))),
            (_, None, true) => (ClusterType::AscsErs, None),
            (Some(scale), Some(_), true) => (ClusterType::HanaAscsErs, Some((scale, HanaArchitecture::Angi))),
            (None, Some(scale), true) => (ClusterType::HanaAscsErs, Some((scale, HanaArchitecture::Classic))),
            (None, None, false) => (ClusterType::Unknown, None),
        }
    }

    fn property(&self, name: &str) -> Option<&'a str> {
        self.properties.iter().find(|p| p.name == name).map(|p| p.value.as_str())
    }

    /// The SID of the first `SAPHanaTopology` resource that names one.
    fn hana_sid(&self) -> Option<&'a str> {
        self.primitives
            .iter()
            .filter(|p| p.kind == "SAPHanaTopology")
            .filter_map(|p| p.attribute("SID"))
            .find(|sid| !sid.is_empty())
    }

    /// The SIDs of every `SAPInstance` resource (`<SID>_<instance>_<host>`), in CIB order.
    fn sap_instance_sids(&self) -> Vec<String> {
        let mut sids: Vec<String> = Vec::new();
        for name in self.sap_instance_names() {
            let sid = name.split('_').next().unwrap_or_default();
            if !sid.is_empty() && !sids.iter().any(|s| s == sid) {
                sids.push(sid.to_owned());
            }
        }
        sids
    }

    fn sap_instance_names(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.primitives
            .iter()
            .filter(|p| p.kind == "SAPInstance")
            .filter_map(|p| p.attribute("InstanceName"))
            .filter(|n| !n.is_empty())
    }

    /// The first stonith resource's agent; without one, `Unknown` when SBD devices are
    /// configured and `Diskless SBD` when only the watchdog is (Trento's rule).
    fn fencing_type(&self) -> Option<String> {
        let stonith = self.payload.crmmon.resources.iter().find_map(|r| r.agent.strip_prefix("stonith:"));
        if let Some(agent) = stonith {
            return Some(agent.to_owned());
        }
        let sbd = self.payload.sbd.as_ref()?;
        let config = sbd.config.as_ref()?;
        if config.contains_key("SBD_DEVICE") {
            Some("Unknown".to_owned())
        } else if config.contains_key("SBD_WATCHDOG_DEV") && sbd.devices.is_empty() {
            Some("Diskless SBD".to_owned())
        } else {
            None
        }
    }

    fn stopped_resources(&self) -> Vec<StoppedResource> {
        self.resources
            .iter()
            .filter(|(r, _)| r.nodes_running_on == 0 && !r.active)
            .map(|(r, _)| StoppedResource { id: r.id.clone(), agent: r.agent.clone(), role: r.role.clone() })
            .collect()
    }

    /// The suffix of the resource agent that holds a virtual IP on this platform.
    fn virtual_ip_suffix(&self) -> &'static str {
        match self.provider {
            Provider::Aws => "aws-vpc-move-ip",
            _ => "IPaddr2",
        }
    }

    fn attributes_of(&self, node: &str) -> BTreeMap<&'a str, &'a str> {
        self.payload
            .crmmon
            .node_attributes
            .iter()
            .flat_map(|a| &a.nodes)
            .find(|n| n.name == node)
            .map(|n| n.attributes.iter().map(|a| (a.name.as_str(), a.value.as_str())).collect())
            .unwrap_or_default()
    }

    fn fail_count(&self, node: &str, resource: &str) -> Option<u64> {
        self.payload
            .crmmon
            .node_history
            .iter()
            .flat_map(|h| &h.nodes)
            .find(|n| n.name == node)?
            .resource_history
            .iter()
            .find(|e| e.name == resource)
            .map(|e| e.fail_count)
    }

    fn nodes(&self, hana: Option<&Hana<'_>>) -> Vec<ClusterNode> {
        // Trento drops the last primary timestamp of a scale-up cluster's nodes: SAPHanaSR
        // rewrites it on the primary as it monitors it, and each rewrite would otherwise be
        // new details.
        let volatile = hana.filter(|h| h.scale == Scale::Up).map(|h| format!("lpa_{}_lpt", h.sid.to_lowercase()));
        self.payload
            .crmmon
            .nodes
            .iter()
            .map(|node| {
                let attributes = self.attributes_of(&node.name);
                let resources: Vec<ClusterResource> = self
                    .resources
                    .iter()
                    .filter(|(r, _)| r.node_name() == Some(node.name.as_str()))
                    .map(|(r, parent)| ClusterResource {
                        id: r.id.clone(),
                        agent: r.agent.clone(),
                        role: r.role.clone(),
                        status: resource_status(r),
                        fail_count: self.fail_count(&node.name, &r.id),
                        managed: r.managed,
                        parent: parent.map(str::to_owned),
                    })
                    .collect();
                let virtual_ip = self.node_virtual_ip(&resources);
                let mut cluster_node = ClusterNode {
                    name: node.name.clone(),
                    status: node_status(node),
                    designated_controller: node.dc,
                    site: None,
                    hana_status: None,
                    nameserver_actual_role: None,
                    indexserver_actual_role: None,
                    virtual_ip,
                    majority_maker: false,
                    resources,
                    attributes: attributes
                        .iter()
                        .filter(|(name, _)| volatile.as_deref() != Some(**name))
                        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                        .collect(),
                };
                if let Some(hana) = hana {
                    let sid = hana.sid.to_lowercase();
                    let site = attributes
                        .get(format!("hana_{sid}_site").as_str())
                        .filter(|s| !s.is_empty())
                        .map(|s| (*s).to_owned());
                    let roles: Vec<&str> = attributes
                        .get(format!("hana_{sid}_roles").as_str())
                        .map(|r| r.split(':').collect())
                        .unwrap_or_default();
                    let (nameserver, indexserver) = match (roles.as_slice(), hana.scale, hana.architecture) {
                        ([_, _, _, nameserver, _, indexserver], Scale::Up, HanaArchitecture::Classic)
                        | ([_, nameserver, _, indexserver], _, _) => (*nameserver, *indexserver),
                        _ => ("", ""),
                    };
                    cluster_node.hana_status = Some(match (hana.scale, hana.architecture) {
                        (Scale::Up, HanaArchitecture::Classic) => scale_up_status(&attributes, &sid),
                        _ => self.site_status(hana, site.as_deref()),
                    });
                    cluster_node.nameserver_actual_role = Some(nameserver.to_owned()).filter(|r| !r.is_empty());
                    cluster_node.indexserver_actual_role = Some(indexserver.to_owned()).filter(|r| !r.is_empty());
                    cluster_node.majority_maker = hana.scale == Scale::Out && site.is_none();
                    cluster_node.site = site;
                }
                cluster_node
            })
            .collect()
    }

    /// The `ip` of the first virtual IP resource running on the node (Trento's rule).
    fn node_virtual_ip(&self, resources: &[ClusterResource]) -> Option<String> {
        let suffix = self.virtual_ip_suffix();
        let id = &resources.iter().find(|r| r.agent.ends_with(suffix))?.id;
        self.primitives
            .iter()
            .find(|p| p.id == *id && p.kind.ends_with(suffix))?
            .attribute("ip")
            .filter(|ip| !ip.is_empty())
            .map(str::to_owned)
    }

    fn hana_details(&self, hana: &Hana<'_>, nodes: &[ClusterNode]) -> HanaDetails {
        let scenario = match hana.scale {
            // Another HANA (an `HDB` SAPInstance) next to the replicated one: cost optimized.
            Scale::Up => {
                let other_hana =
                    self.sap_instance_names().any(|n| n.split('_').nth(1).is_some_and(|i| i.starts_with("HDB")));
                if other_hana { HanaScenario::CostOptimized } else { HanaScenario::PerformanceOptimized }
            }
            Scale::Out => HanaScenario::Unknown,
        };
        let sid = hana.sid.to_lowercase();
        if (hana.scale, hana.architecture) == (Scale::Up, HanaArchitecture::Classic) {
            return self.scale_up_details(scenario, &sid, nodes);
        }
        let primary = self.primary_site(&sid);
        let secondary = self.secondary_site(&sid);
        let property_or = |name: String, default: &str| self.property(&name).unwrap_or(default).to_owned();
        let (system_replication_mode, system_replication_operation_mode, secondary_sync_state) = match hana.architecture
        {
            HanaArchitecture::Classic => (
                property_or(format!("hana_{sid}_glob_srmode"), "sync"),
                property_or(format!("hana_{sid}_glob_op_mode"), "logreplay"),
                property_or(format!("hana_{sid}_glob_sync_state"), "Unknown"),
            ),
            HanaArchitecture::Angi => (
                property_or(format!("hana_{sid}_site_srMode_{primary}"), "sync"),
                property_or(format!("hana_{sid}_site_opMode_{primary}"), "logreplay"),
                property_or(format!("hana_{sid}_site_srPoll_{secondary}"), "Unknown"),
            ),
        };
        // Without the multi-target hook there is no `glob_sec`: the secondary is the other
        // site with a landscape status.
        let reported_secondary =
            self.property(&format!("hana_{sid}_glob_sec")).map(str::to_owned).unwrap_or_else(|| secondary.clone());
        let sites = [primary, secondary]
            .into_iter()
            .map(|site| HanaSite {
                state: self.site_status(hana, Some(site.as_str())),
                sr_health_state: property_or(format!("hana_{sid}_site_lss_{site}"), "Unknown"),
                name: site,
            })
            .collect();
        HanaDetails {
            architecture: hana.architecture,
            scenario,
            system_replication_mode,
            system_replication_operation_mode,
            secondary_sync_state,
            sr_health_state: property_or(format!("hana_{sid}_site_lss_{reported_secondary}"), "Unknown"),
            sites,
        }
    }

    /// Classic scale-up: everything is in the node attributes.
    fn scale_up_details(&self, scenario: HanaScenario, sid: &str, nodes: &[ClusterNode]) -> HanaDetails {
        let node_attributes: Vec<BTreeMap<&str, &str>> = nodes.iter().map(|n| self.attributes_of(&n.name)).collect();
        // Trento reads the modes from the first node; the first node that has them is the
        // same on a healthy cluster and still right when the first node is down.
        let first_attribute = |name: String| {
            node_attributes.iter().find_map(|a| a.get(name.as_str()).map(|v| (*v).to_owned())).unwrap_or_default()
        };
        let landscape_status = |attributes: &BTreeMap<&str, &str>| {
            attributes
                .get(format!("hana_{sid}_roles").as_str())
                .and_then(|r| r.split(':').next())
                .unwrap_or("Unknown")
                .to_owned()
        };
        let secondary = nodes
            .iter()
            .zip(&node_attributes)
            .find(|(n, _)| matches!(n.hana_status, Some(HanaStatus::Secondary | HanaStatus::Failed)));
        HanaDetails {
            architecture: HanaArchitecture::Classic,
            scenario,
            system_replication_mode: first_attribute(format!("hana_{sid}_srmode")),
            system_replication_operation_mode: first_attribute(format!("hana_{sid}_op_mode")),
            secondary_sync_state: secondary
                .and_then(|(_, a)| a.get(format!("hana_{sid}_sync_state").as_str()))
                .map_or_else(|| "Unknown".to_owned(), |s| (*s).to_owned()),
            sr_health_state: secondary.map_or_else(|| "Unknown".to_owned(), |(_, a)| landscape_status(a)),
            sites: nodes
                .iter()
                .zip(&node_attributes)
                .filter_map(|(n, a)| {
                    Some(HanaSite {
                        name: n.site.clone()?,
                        state: n.hana_status.unwrap_or(HanaStatus::Unknown),
                        sr_health_state: landscape_status(a),
                    })
                })
                .collect(),
        }
    }

    fn primary_site(&self, sid: &str) -> String {
        self.property(&format!("hana_{sid}_glob_prim")).unwrap_or("Unknown").to_owned()
    }

    /// The first site with a landscape status that is not the primary.
    fn secondary_site(&self, sid: &str) -> String {
        let primary = self.primary_site(sid);
        let prefix = format!("hana_{sid}_site_lss_");
        self.properties
            .iter()
            .filter_map(|p| p.name.strip_prefix(prefix.as_str()))
            .find(|site| *site != primary)
            .unwrap_or("Unknown")
            .to_owned()
    }

    /// A site's replication role from the cluster properties (scale-out and angi).
    fn site_status(&self, hana: &Hana<'_>, site: Option<&str>) -> HanaStatus {
        let Some(site) = site else {
            return HanaStatus::Unknown;
        };
        let sid = hana.sid.to_lowercase();
        let role = self.property(&format!("hana_{sid}_site_srr_{site}"));
        let sync_state = match hana.architecture {
            HanaArchitecture::Angi => self.property(&format!("hana_{sid}_site_srPoll_{site}")),
            // Without the srHook attribute (SAPHanaSR.py), the secondary's state is the
            // global sync state and the primary's is PRIM.
            HanaArchitecture::Classic => self.property(&format!("hana_{sid}_site_srHook_{site}")).or_else(|| {
                if site == self.secondary_site(&sid) {
                    self.property(&format!("hana_{sid}_glob_sync_state"))
                } else {
                    Some("PRIM")
                }
            }),
        };
        hana_status(role, sync_state)
    }

    /// The ASCS/ERS systems: one per SID of the `SAPInstance` resources in CIB groups.
    fn sap_systems(&self) -> Vec<AscsErsSapSystem> {
        let mut sids: Vec<&str> = Vec::new();
        for group in self.groups {
            if let Some(name) = sap_instance(group).and_then(|p| p.attribute("InstanceName"))
                && !name.split('_').nth(1).unwrap_or_default().starts_with("HDB")
            {
                let sid = name.split('_').next().unwrap_or_default();
                if !sid.is_empty() && !sids.contains(&sid) {
                    sids.push(sid);
                }
            }
        }
        sids.into_iter().map(|sid| self.sap_system(sid)).collect()
    }

    fn sap_system(&self, sid: &str) -> AscsErsSapSystem {
        let groups: Vec<&CibGroup> = self
            .groups
            .iter()
            .filter(|g| {
                sap_instance(g)
                    .and_then(|p| p.attribute("InstanceName"))
                    .is_some_and(|n| n.split('_').next() == Some(sid))
            })
            .collect();
        let primitives: Vec<&Primitive> = groups.iter().flat_map(|g| &g.primitives).collect();
        let filesystems = primitives.iter().filter(|p| p.kind == "Filesystem").count();
        let suffix = self.virtual_ip_suffix();
        let instances = groups
            .iter()
            .filter_map(|group| {
                let instance = sap_instance(group)?;
                let instance_name = instance.attribute("InstanceName").unwrap_or_default().to_owned();
                let filesystem = group.primitives.iter().find(|p| p.kind == "Filesystem");
                Some(AscsErsInstance {
                    role: if instance.attribute("IS_ERS") == Some("true") {
                        AscsErsRole::Ers
                    } else {
                        AscsErsRole::Ascs
                    },
                    instance_number: instance_name.split('_').nth(1).map(last_two_chars).unwrap_or_default(),
                    instance_name,
                    node: self
                        .resources
                        .iter()
                        .find(|(r, _)| r.id == instance.id)
                        .and_then(|(r, _)| r.node_name())
                        .map(str::to_owned),
                    virtual_ip: group
                        .primitives
                        .iter()
                        .find(|p| p.kind.ends_with(suffix))
                        .and_then(|p| p.attribute("ip"))
                        .filter(|ip| !ip.is_empty())
                        .map(str::to_owned),
                    mount: if filesystem.is_some() {
                        InstanceMount::FilesystemResource
                    } else if group.primitives.iter().any(|p| p.kind == "SAPStartSrv") {
                        InstanceMount::SimpleMount
                    } else {
                        InstanceMount::Unmanaged
                    },
                    filesystem: filesystem.and_then(|p| p.attribute("directory")).map(str::to_owned),
                })
            })
            .collect();
        AscsErsSapSystem {
            sid: sid.to_owned(),
            filesystem_resource_based: filesystems == 2,
            distributed: self.distributed(&primitives),
            instances,
        }
    }

    /// Whether the system's `SAPInstance` resources run started, not failed, on two
    /// different nodes that are online and clean (Trento's rule).
    fn distributed(&self, primitives: &[&Primitive]) -> bool {
        let clean_nodes: Vec<&str> = self
            .payload
            .crmmon
            .nodes
            .iter()
            .filter(|n| n.online == Some(true) && !n.unclean)
            .map(|n| n.name.as_str())
            .collect();
        let mut running_on: Vec<&str> = self
            .payload
            .crmmon
            .groups
            .iter()
            .flat_map(|g| &g.resources)
            .filter(|r| {
                r.agent == SAP_INSTANCE_AGENT
                    && r.role == "Started"
                    && !r.failed
                    && primitives.iter().any(|p| p.id == r.id)
            })
            .filter_map(|r| r.node_name())
            .filter(|n| clean_nodes.contains(n))
            .collect();
        running_on.sort_unstable();
        running_on.dedup();
        running_on.len() == 2
    }
}

/// The group's (first) `SAPInstance` resource.
fn sap_instance(group: &CibGroup) -> Option<&Primitive> {
    group.primitives.iter().find(|p| p.kind == "SAPInstance")
}

fn node_status(node: &CrmNode) -> NodeStatus {
    if node.online == Some(false) {
        NodeStatus::Offline
    } else if node.unclean {
        NodeStatus::Unclean
    } else if node.standby {
        NodeStatus::Standby
    } else if node.maintenance {
        NodeStatus::Maintenance
    } else if node.shutdown {
        NodeStatus::Shutdown
    } else if node.pending {
        NodeStatus::Pending
    } else if node.standby_on_fail {
        NodeStatus::StandbyOnFail
    } else if node.online == Some(true) {
        NodeStatus::Online
    } else {
        NodeStatus::Unknown
    }
}

fn resource_status(resource: &CrmResource) -> ResourceStatus {
    if resource.active {
        ResourceStatus::Active
    } else if resource.blocked {
        ResourceStatus::Blocked
    } else if resource.failed {
        ResourceStatus::Failed
    } else if resource.failure_ignored {
        ResourceStatus::FailureIgnored
    } else if resource.orphaned {
        ResourceStatus::Orphaned
    } else {
        ResourceStatus::Inactive
    }
}

/// Classic scale-up: the role is the second field of `hana_<sid>_roles`
/// (`4:P:master1:master:worker:master`), the sync state `hana_<sid>_sync_state`.
fn scale_up_status(attributes: &BTreeMap<&str, &str>, sid: &str) -> HanaStatus {
    let role = attributes.get(format!("hana_{sid}_roles").as_str()).and_then(|r| r.split(':').nth(1));
    let sync_state = attributes.get(format!("hana_{sid}_sync_state").as_str()).copied();
    hana_status(role, sync_state)
}

/// Trento's table from role (`P`/`S`) and sync state to replication role.
fn hana_status(role: Option<&str>, sync_state: Option<&str>) -> HanaStatus {
    match (role, sync_state) {
        (None, _) | (_, None) | (_, Some("Unknown")) => HanaStatus::Unknown,
        (Some("P"), Some("PRIM")) => HanaStatus::Primary,
        (Some("S"), Some("SOK")) => HanaStatus::Secondary,
        (Some("P" | "S"), Some(_)) => HanaStatus::Failed,
        _ => HanaStatus::Unknown,
    }
}

/// The instance number at the end of an instance part such as `ASCS00`.
fn last_two_chars(instance: &str) -> String {
    let start = instance.char_indices().rev().nth(1).map_or(0, |(i, _)| i);
    instance[start..].to_owned()
}
