//! The shipped catalog, embedded: every file of `checks/`, tests included, so
//! `vigil policy test` and `cargo test` can run them. Written by `gen_shipped.sh`.

const SOURCES: &[(&str, &str)] = &[
    ("ascs_ers/ascs_ers_automatic_recover.rego", include_str!("../checks/ascs_ers/ascs_ers_automatic_recover.rego")),
    (
        "ascs_ers/ascs_ers_automatic_recover_test.rego",
        include_str!("../checks/ascs_ers/ascs_ers_automatic_recover_test.rego"),
    ),
    ("ascs_ers/ascs_ers_group_stickiness.rego", include_str!("../checks/ascs_ers/ascs_ers_group_stickiness.rego")),
    (
        "ascs_ers/ascs_ers_group_stickiness_test.rego",
        include_str!("../checks/ascs_ers/ascs_ers_group_stickiness_test.rego"),
    ),
    ("ascs_ers/ascs_ers_groups.rego", include_str!("../checks/ascs_ers/ascs_ers_groups.rego")),
    ("ascs_ers/ascs_ers_groups_test.rego", include_str!("../checks/ascs_ers/ascs_ers_groups_test.rego")),
    ("ascs_ers/ascs_ers_is_ers.rego", include_str!("../checks/ascs_ers/ascs_ers_is_ers.rego")),
    ("ascs_ers/ascs_ers_is_ers_test.rego", include_str!("../checks/ascs_ers/ascs_ers_is_ers_test.rego")),
    ("corosync/corosync_consensus.rego", include_str!("../checks/corosync/corosync_consensus.rego")),
    ("corosync/corosync_consensus_test.rego", include_str!("../checks/corosync/corosync_consensus_test.rego")),
    ("corosync/corosync_crypto.rego", include_str!("../checks/corosync/corosync_crypto.rego")),
    ("corosync/corosync_crypto_test.rego", include_str!("../checks/corosync/corosync_crypto_test.rego")),
    ("corosync/corosync_expected_votes.rego", include_str!("../checks/corosync/corosync_expected_votes.rego")),
    (
        "corosync/corosync_expected_votes_test.rego",
        include_str!("../checks/corosync/corosync_expected_votes_test.rego"),
    ),
    ("corosync/corosync_join.rego", include_str!("../checks/corosync/corosync_join.rego")),
    ("corosync/corosync_join_test.rego", include_str!("../checks/corosync/corosync_join_test.rego")),
    ("corosync/corosync_max_messages.rego", include_str!("../checks/corosync/corosync_max_messages.rego")),
    ("corosync/corosync_max_messages_test.rego", include_str!("../checks/corosync/corosync_max_messages_test.rego")),
    ("corosync/corosync_runtime_token.rego", include_str!("../checks/corosync/corosync_runtime_token.rego")),
    ("corosync/corosync_runtime_token_test.rego", include_str!("../checks/corosync/corosync_runtime_token_test.rego")),
    ("corosync/corosync_token.rego", include_str!("../checks/corosync/corosync_token.rego")),
    ("corosync/corosync_token_retransmits.rego", include_str!("../checks/corosync/corosync_token_retransmits.rego")),
    (
        "corosync/corosync_token_retransmits_test.rego",
        include_str!("../checks/corosync/corosync_token_retransmits_test.rego"),
    ),
    ("corosync/corosync_token_test.rego", include_str!("../checks/corosync/corosync_token_test.rego")),
    ("corosync/corosync_transport.rego", include_str!("../checks/corosync/corosync_transport.rego")),
    ("corosync/corosync_transport_test.rego", include_str!("../checks/corosync/corosync_transport_test.rego")),
    ("corosync/corosync_two_node.rego", include_str!("../checks/corosync/corosync_two_node.rego")),
    ("corosync/corosync_two_node_test.rego", include_str!("../checks/corosync/corosync_two_node_test.rego")),
    ("lib/checklib.rego", include_str!("../checks/lib/checklib.rego")),
    ("lib/checklib_test.rego", include_str!("../checks/lib/checklib_test.rego")),
    ("os/cluster_hosts_same_os.rego", include_str!("../checks/os/cluster_hosts_same_os.rego")),
    ("os/cluster_hosts_same_os_test.rego", include_str!("../checks/os/cluster_hosts_same_os_test.rego")),
    ("os/cluster_nodes_in_hosts_file.rego", include_str!("../checks/os/cluster_nodes_in_hosts_file.rego")),
    ("os/cluster_nodes_in_hosts_file_test.rego", include_str!("../checks/os/cluster_nodes_in_hosts_file_test.rego")),
    ("os/os_version_supported.rego", include_str!("../checks/os/os_version_supported.rego")),
    ("os/os_version_supported_test.rego", include_str!("../checks/os/os_version_supported_test.rego")),
    ("os/subscription_sles_sap.rego", include_str!("../checks/os/subscription_sles_sap.rego")),
    ("os/subscription_sles_sap_test.rego", include_str!("../checks/os/subscription_sles_sap_test.rego")),
    ("os/time_sync_active.rego", include_str!("../checks/os/time_sync_active.rego")),
    ("os/time_sync_active_test.rego", include_str!("../checks/os/time_sync_active_test.rego")),
    (
        "pacemaker/ascs_ers_migration_threshold.rego",
        include_str!("../checks/pacemaker/ascs_ers_migration_threshold.rego"),
    ),
    (
        "pacemaker/ascs_ers_migration_threshold_test.rego",
        include_str!("../checks/pacemaker/ascs_ers_migration_threshold_test.rego"),
    ),
    (
        "pacemaker/ascs_ers_resource_stickiness.rego",
        include_str!("../checks/pacemaker/ascs_ers_resource_stickiness.rego"),
    ),
    (
        "pacemaker/ascs_ers_resource_stickiness_test.rego",
        include_str!("../checks/pacemaker/ascs_ers_resource_stickiness_test.rego"),
    ),
    ("pacemaker/cluster_nodes_not_standby.rego", include_str!("../checks/pacemaker/cluster_nodes_not_standby.rego")),
    (
        "pacemaker/cluster_nodes_not_standby_test.rego",
        include_str!("../checks/pacemaker/cluster_nodes_not_standby_test.rego"),
    ),
    ("pacemaker/cluster_nodes_online.rego", include_str!("../checks/pacemaker/cluster_nodes_online.rego")),
    ("pacemaker/cluster_nodes_online_test.rego", include_str!("../checks/pacemaker/cluster_nodes_online_test.rego")),
    ("pacemaker/concurrent_fencing.rego", include_str!("../checks/pacemaker/concurrent_fencing.rego")),
    ("pacemaker/concurrent_fencing_test.rego", include_str!("../checks/pacemaker/concurrent_fencing_test.rego")),
    ("pacemaker/fencing_configured.rego", include_str!("../checks/pacemaker/fencing_configured.rego")),
    ("pacemaker/fencing_configured_test.rego", include_str!("../checks/pacemaker/fencing_configured_test.rego")),
    ("pacemaker/fencing_race_delay.rego", include_str!("../checks/pacemaker/fencing_race_delay.rego")),
    ("pacemaker/fencing_race_delay_test.rego", include_str!("../checks/pacemaker/fencing_race_delay_test.rego")),
    ("pacemaker/maintenance_mode_off.rego", include_str!("../checks/pacemaker/maintenance_mode_off.rego")),
    ("pacemaker/maintenance_mode_off_test.rego", include_str!("../checks/pacemaker/maintenance_mode_off_test.rego")),
    ("pacemaker/migration_threshold.rego", include_str!("../checks/pacemaker/migration_threshold.rego")),
    ("pacemaker/migration_threshold_test.rego", include_str!("../checks/pacemaker/migration_threshold_test.rego")),
    ("pacemaker/pacemaker_version.rego", include_str!("../checks/pacemaker/pacemaker_version.rego")),
    ("pacemaker/pacemaker_version_test.rego", include_str!("../checks/pacemaker/pacemaker_version_test.rego")),
    ("pacemaker/priority_fencing_delay.rego", include_str!("../checks/pacemaker/priority_fencing_delay.rego")),
    (
        "pacemaker/priority_fencing_delay_test.rego",
        include_str!("../checks/pacemaker/priority_fencing_delay_test.rego"),
    ),
    ("pacemaker/resource_stickiness.rego", include_str!("../checks/pacemaker/resource_stickiness.rego")),
    ("pacemaker/resource_stickiness_test.rego", include_str!("../checks/pacemaker/resource_stickiness_test.rego")),
    ("pacemaker/stonith_action.rego", include_str!("../checks/pacemaker/stonith_action.rego")),
    ("pacemaker/stonith_action_test.rego", include_str!("../checks/pacemaker/stonith_action_test.rego")),
    ("pacemaker/stonith_enabled.rego", include_str!("../checks/pacemaker/stonith_enabled.rego")),
    ("pacemaker/stonith_enabled_test.rego", include_str!("../checks/pacemaker/stonith_enabled_test.rego")),
    ("pacemaker/stonith_timeout.rego", include_str!("../checks/pacemaker/stonith_timeout.rego")),
    ("pacemaker/stonith_timeout_test.rego", include_str!("../checks/pacemaker/stonith_timeout_test.rego")),
    ("packages/package_corosync.rego", include_str!("../checks/packages/package_corosync.rego")),
    ("packages/package_corosync_test.rego", include_str!("../checks/packages/package_corosync_test.rego")),
    ("packages/package_resource_agents.rego", include_str!("../checks/packages/package_resource_agents.rego")),
    (
        "packages/package_resource_agents_test.rego",
        include_str!("../checks/packages/package_resource_agents_test.rego"),
    ),
    (
        "packages/package_sap_suse_cluster_connector.rego",
        include_str!("../checks/packages/package_sap_suse_cluster_connector.rego"),
    ),
    (
        "packages/package_sap_suse_cluster_connector_test.rego",
        include_str!("../checks/packages/package_sap_suse_cluster_connector_test.rego"),
    ),
    ("packages/package_sbd.rego", include_str!("../checks/packages/package_sbd.rego")),
    ("packages/package_sbd_test.rego", include_str!("../checks/packages/package_sbd_test.rego")),
    ("packages/saphanasr_package.rego", include_str!("../checks/packages/saphanasr_package.rego")),
    ("packages/saphanasr_package_test.rego", include_str!("../checks/packages/saphanasr_package_test.rego")),
    ("saphana/saphana_automated_register.rego", include_str!("../checks/saphana/saphana_automated_register.rego")),
    (
        "saphana/saphana_automated_register_test.rego",
        include_str!("../checks/saphana/saphana_automated_register_test.rego"),
    ),
    ("saphana/saphana_clone_interleave.rego", include_str!("../checks/saphana/saphana_clone_interleave.rego")),
    (
        "saphana/saphana_clone_interleave_test.rego",
        include_str!("../checks/saphana/saphana_clone_interleave_test.rego"),
    ),
    (
        "saphana/saphana_duplicate_primary_timeout.rego",
        include_str!("../checks/saphana/saphana_duplicate_primary_timeout.rego"),
    ),
    (
        "saphana/saphana_duplicate_primary_timeout_test.rego",
        include_str!("../checks/saphana/saphana_duplicate_primary_timeout_test.rego"),
    ),
    ("saphana/saphana_operation_timeouts.rego", include_str!("../checks/saphana/saphana_operation_timeouts.rego")),
    (
        "saphana/saphana_operation_timeouts_test.rego",
        include_str!("../checks/saphana/saphana_operation_timeouts_test.rego"),
    ),
    ("saphana/saphana_prefer_site_takeover.rego", include_str!("../checks/saphana/saphana_prefer_site_takeover.rego")),
    (
        "saphana/saphana_prefer_site_takeover_test.rego",
        include_str!("../checks/saphana/saphana_prefer_site_takeover_test.rego"),
    ),
    ("saphana/saphana_priority.rego", include_str!("../checks/saphana/saphana_priority.rego")),
    ("saphana/saphana_priority_test.rego", include_str!("../checks/saphana/saphana_priority_test.rego")),
    ("saphana/saphana_topology_clone.rego", include_str!("../checks/saphana/saphana_topology_clone.rego")),
    ("saphana/saphana_topology_clone_test.rego", include_str!("../checks/saphana/saphana_topology_clone_test.rego")),
    ("saptune/sapconf_inactive.rego", include_str!("../checks/saptune/sapconf_inactive.rego")),
    ("saptune/sapconf_inactive_test.rego", include_str!("../checks/saptune/sapconf_inactive_test.rego")),
    ("saptune/saptune_compliant.rego", include_str!("../checks/saptune/saptune_compliant.rego")),
    ("saptune/saptune_compliant_test.rego", include_str!("../checks/saptune/saptune_compliant_test.rego")),
    ("saptune/saptune_installed.rego", include_str!("../checks/saptune/saptune_installed.rego")),
    ("saptune/saptune_installed_test.rego", include_str!("../checks/saptune/saptune_installed_test.rego")),
    ("saptune/saptune_service_enabled.rego", include_str!("../checks/saptune/saptune_service_enabled.rego")),
    ("saptune/saptune_service_enabled_test.rego", include_str!("../checks/saptune/saptune_service_enabled_test.rego")),
    ("saptune/saptune_solution_applied.rego", include_str!("../checks/saptune/saptune_solution_applied.rego")),
    (
        "saptune/saptune_solution_applied_test.rego",
        include_str!("../checks/saptune/saptune_solution_applied_test.rego"),
    ),
    ("saptune/saptune_version.rego", include_str!("../checks/saptune/saptune_version.rego")),
    ("saptune/saptune_version_test.rego", include_str!("../checks/saptune/saptune_version_test.rego")),
    ("sbd/sbd_delay_start.rego", include_str!("../checks/sbd/sbd_delay_start.rego")),
    ("sbd/sbd_delay_start_test.rego", include_str!("../checks/sbd/sbd_delay_start_test.rego")),
    ("sbd/sbd_device_count.rego", include_str!("../checks/sbd/sbd_device_count.rego")),
    ("sbd/sbd_device_count_test.rego", include_str!("../checks/sbd/sbd_device_count_test.rego")),
    ("sbd/sbd_devices_healthy.rego", include_str!("../checks/sbd/sbd_devices_healthy.rego")),
    ("sbd/sbd_devices_healthy_test.rego", include_str!("../checks/sbd/sbd_devices_healthy_test.rego")),
    ("sbd/sbd_diskless_node_count.rego", include_str!("../checks/sbd/sbd_diskless_node_count.rego")),
    ("sbd/sbd_diskless_node_count_test.rego", include_str!("../checks/sbd/sbd_diskless_node_count_test.rego")),
    ("sbd/sbd_diskless_watchdog_timeout.rego", include_str!("../checks/sbd/sbd_diskless_watchdog_timeout.rego")),
    (
        "sbd/sbd_diskless_watchdog_timeout_test.rego",
        include_str!("../checks/sbd/sbd_diskless_watchdog_timeout_test.rego"),
    ),
    ("sbd/sbd_msgwait_vs_watchdog.rego", include_str!("../checks/sbd/sbd_msgwait_vs_watchdog.rego")),
    ("sbd/sbd_msgwait_vs_watchdog_test.rego", include_str!("../checks/sbd/sbd_msgwait_vs_watchdog_test.rego")),
    ("sbd/sbd_pacemaker.rego", include_str!("../checks/sbd/sbd_pacemaker.rego")),
    ("sbd/sbd_pacemaker_test.rego", include_str!("../checks/sbd/sbd_pacemaker_test.rego")),
    ("sbd/sbd_startmode.rego", include_str!("../checks/sbd/sbd_startmode.rego")),
    ("sbd/sbd_startmode_test.rego", include_str!("../checks/sbd/sbd_startmode_test.rego")),
    ("sbd/sbd_timeout_action.rego", include_str!("../checks/sbd/sbd_timeout_action.rego")),
    ("sbd/sbd_timeout_action_test.rego", include_str!("../checks/sbd/sbd_timeout_action_test.rego")),
    ("sbd/stonith_timeout_vs_sbd_msgwait.rego", include_str!("../checks/sbd/stonith_timeout_vs_sbd_msgwait.rego")),
    (
        "sbd/stonith_timeout_vs_sbd_msgwait_test.rego",
        include_str!("../checks/sbd/stonith_timeout_vs_sbd_msgwait_test.rego"),
    ),
];

/// Every shipped module as `(path under checks/, source)`, sorted by path.
pub fn sources() -> impl Iterator<Item = (&'static str, &'static str)> {
    SOURCES.iter().copied()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn the_list_matches_the_directory() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("checks");
        let on_disk = vigil_policy::PolicySet::from_dir(&dir).expect("checks/ loads");
        let listed: Vec<&str> = super::sources().map(|(path, _)| path).collect();
        let found: Vec<&str> = on_disk.modules().map(|(path, _)| path).collect();
        assert_eq!(listed, found, "run crates/vigil-checks/gen_shipped.sh");
        for (path, source) in super::sources() {
            assert_eq!(on_disk.get(path), Some(source), "{path}");
        }
    }
}
