//! Every gatherer on the captured outputs of `fixtures/facts/` (see its README). File-based
//! gatherers are run for real, through their I/O, on a root directory holding the fixture
//! where the machine keeps the file; tool-based ones are checked through their parsers. The
//! expected values were written by reading the fixtures.

use std::path::{Path, PathBuf};

use serde_json::json;
use vigil_agent::facts::{
    self, FactError, FactErrorKind, FactRequest, FactValue, Outcome, Sources, cibadmin, corosync_cmapctl,
    package_version, saptune, sysctl, systemd,
};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/facts").join(path)
}

fn text(path: &str) -> String {
    std::fs::read_to_string(fixture(path)).unwrap()
}

/// A root directory holding each fixture at the path the machine keeps it.
fn root_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    for (fixture_path, machine_path) in files {
        let target = root.path().join(machine_path.trim_start_matches('/'));
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(fixture(fixture_path), target).unwrap();
    }
    root
}

/// Gathers `(gatherer, argument)` pairs under `root`, returning each outcome.
async fn gather(root: &Path, asks: &[(&str, &str)]) -> Vec<Result<FactValue, FactError>> {
    gather_from(&Sources::under(root), asks).await
}

/// Gathers `(gatherer, argument)` pairs from `sources`, returning each outcome.
async fn gather_from(sources: &Sources, asks: &[(&str, &str)]) -> Vec<Result<FactValue, FactError>> {
    let requests: Vec<FactRequest> = asks
        .iter()
        .enumerate()
        .map(|(i, (gatherer, argument))| FactRequest {
            check_id: format!("C{i}"),
            name: format!("fact{i}"),
            gatherer: (*gatherer).into(),
            argument: (*argument).into(),
        })
        .collect();
    let facts = facts::gather(sources, &requests).await;
    assert_eq!(facts.len(), requests.len());
    facts
        .into_iter()
        .zip(&requests)
        .map(|(fact, request)| {
            assert_eq!((&fact.check_id, &fact.name), (&request.check_id, &request.name), "answers keep the order");
            match fact.outcome {
                Outcome::Value(v) => Ok(v),
                Outcome::Error(e) => Err(e),
            }
        })
        .collect()
}

fn kind(outcome: &Result<FactValue, FactError>) -> FactErrorKind {
    outcome.as_ref().expect_err("an error").kind
}

#[tokio::test]
async fn corosync_conf_of_a_two_node_hana_cluster() {
    let root = root_with(&[("corosync.conf/hana-two-node-udpu.conf", "/etc/corosync/corosync.conf")]);
    let got = gather(
        root.path(),
        &[
            ("corosync.conf", "totem.token"),
            ("corosync.conf", "totem.consensus"),
            ("corosync.conf", "totem.max_messages"),
            ("corosync.conf", "totem.transport"),
            ("corosync.conf", "totem.interface.0.mcastport"),
            ("corosync.conf", "nodelist.node.1.ring0_addr"),
            ("corosync.conf", "quorum.two_node"),
            ("corosync.conf", "logging.logger_subsys.subsys"),
            ("corosync.conf", "nodelist.node"),
            ("corosync.conf", "totem.token_coefficient"),
        ],
    )
    .await;
    assert_eq!(got[0], Ok(json!(30000)));
    assert_eq!(got[1], Ok(json!(36000)));
    assert_eq!(got[2], Ok(json!(20)));
    assert_eq!(got[3], Ok(json!("udpu")));
    assert_eq!(got[4], Ok(json!(5405)));
    assert_eq!(got[5], Ok(json!("10.80.1.12")));
    assert_eq!(got[6], Ok(json!(1)));
    assert_eq!(got[7], Ok(json!("QUORUM")));
    assert_eq!(
        got[8],
        Ok(json!([{"ring0_addr": "10.80.1.11", "nodeid": 1}, {"ring0_addr": "10.80.1.12", "nodeid": 2}]))
    );
    assert_eq!(kind(&got[9]), FactErrorKind::ValueNotFound);
}

#[test]
fn corosync_conf_with_knet_links() {
    let doc = facts::corosync_conf::parse(&text("corosync.conf/knet-two-links.conf")).unwrap();
    assert_eq!(doc["totem"]["transport"], "knet");
    assert_eq!(doc["totem"]["token"], 5000);
    assert_eq!(
        doc["totem"]["interface"],
        json!([{"linknumber": 0, "knet_link_priority": 10}, {"linknumber": 1, "knet_link_priority": 5}])
    );
    assert_eq!(facts::lookup(&doc, "nodelist.node.1.name").unwrap(), "hana02");
    assert_eq!(facts::lookup(&doc, "nodelist.node.0.ring1_addr").unwrap(), "192.168.100.11");
    assert_eq!(facts::lookup(&doc, "totem.ip_version").unwrap(), "ipv4-6");
}

#[tokio::test]
async fn a_broken_corosync_conf_is_a_parse_error_for_every_fact() {
    let root = root_with(&[("corosync.conf/broken-unclosed.conf", "/etc/corosync/corosync.conf")]);
    let got = gather(root.path(), &[("corosync.conf", "totem.token"), ("corosync.conf", "")]).await;
    for outcome in &got {
        let e = outcome.as_ref().unwrap_err();
        assert_eq!(e.kind, FactErrorKind::ParseError);
        assert!(e.message.contains("/etc/corosync/corosync.conf: line 1: section `totem` is never closed"), "{e}");
    }
}

#[tokio::test]
async fn missing_files_are_file_not_found() {
    let root = tempfile::tempdir().unwrap();
    let got = gather(
        root.path(),
        &[
            ("corosync.conf", "totem.token"),
            ("sbd_config", "SBD_PACEMAKER"),
            ("hosts", ""),
            ("fstab", "/"),
            ("sysctl", "vm.swappiness"),
        ],
    )
    .await;
    for outcome in &got[..4] {
        assert_eq!(kind(outcome), FactErrorKind::FileNotFound, "{outcome:?}");
    }
    // A sysctl key without its /proc file is a key the kernel does not have.
    assert_eq!(kind(&got[4]), FactErrorKind::ValueNotFound);
}

#[test]
fn corosync_cmapctl_of_the_running_cluster() {
    let values = corosync_cmapctl::parse(&text("corosync-cmapctl/hana-two-node.txt")).unwrap();
    let value = |key: &str| corosync_cmapctl::value_of(&values, key);
    assert_eq!(value("runtime.config.totem.token").unwrap(), 30000);
    assert_eq!(value("runtime.config.totem.consensus").unwrap(), 36000);
    assert_eq!(value("totem.transport").unwrap(), "udpu");
    assert_eq!(value("runtime.members.1.ip").unwrap(), "r(0) ip(10.80.1.11) ");
    assert_eq!(value("resources.system.memory_used.current").unwrap(), -1);
    assert_eq!(value("resources.system.load_15min.current").unwrap(), json!(0.0));
    assert_eq!(
        value("nodelist.node").unwrap(),
        json!({"0": {"nodeid": 1, "ring0_addr": "10.80.1.11"}, "1": {"nodeid": 2, "ring0_addr": "10.80.1.12"}})
    );
    assert_eq!(
        value("quorum").unwrap(),
        json!({"expected_votes": 2, "provider": "corosync_votequorum", "two_node": 1})
    );
    assert_eq!(value("totem.token_coefficient").unwrap_err().kind, FactErrorKind::ValueNotFound);
}

#[tokio::test]
async fn sbd_config_with_two_devices() {
    let root = root_with(&[("sbd_config/disk-based.sbd", "/etc/sysconfig/sbd")]);
    let got = gather(
        root.path(),
        &[
            ("sbd_config", "SBD_DEVICE"),
            ("sbd_config", "SBD_PACEMAKER"),
            ("sbd_config", "SBD_STARTMODE"),
            ("sbd_config", "SBD_WATCHDOG_TIMEOUT"),
            ("sbd_config", "SBD_OPTS"),
            ("sbd_config", ""),
        ],
    )
    .await;
    assert_eq!(
        got[0],
        Ok(json!(
            "/dev/disk/by-id/scsi-36001405a0b1c2d3e4f5a6b7c8d9e0f1a;/dev/disk/by-id/scsi-36001405f1e2d3c4b5a6978812345678b"
        ))
    );
    assert_eq!(got[1], Ok(json!("yes")));
    assert_eq!(got[2], Ok(json!("always")));
    assert_eq!(got[3], Ok(json!(5)));
    assert_eq!(got[4], Ok(json!("")));
    let all = got[5].as_ref().unwrap().as_object().unwrap();
    let keys: Vec<&str> = all.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "SBD_DELAY_START",
            "SBD_DEVICE",
            "SBD_MOVE_TO_ROOT_CGROUP",
            "SBD_OPTS",
            "SBD_PACEMAKER",
            "SBD_STARTMODE",
            "SBD_SYNC_RESOURCE_STARTUP",
            "SBD_TIMEOUT_ACTION",
            "SBD_WATCHDOG_DEV",
            "SBD_WATCHDOG_TIMEOUT"
        ]
    );
    assert_eq!(all["SBD_TIMEOUT_ACTION"], "flush,reboot");
}

#[test]
fn diskless_sbd_config() {
    let values = facts::sbd_config::parse(&text("sbd_config/diskless.sbd")).unwrap();
    assert_eq!(values["SBD_STARTMODE"], "clean");
    assert_eq!(values["SBD_WATCHDOG_TIMEOUT"], 15);
    assert_eq!(values["SBD_OPTS"], "-W -W");
    assert!(!values.contains_key("SBD_DEVICE"));
}

#[test]
fn rpm_versions_of_the_cluster_stack() {
    let query = package_version::parse_rpm(&text("package_version/rpm-q.stdout")).unwrap();
    let pacemaker = package_version::value_of(&query, "pacemaker", "rpm").unwrap();
    assert_eq!(
        pacemaker,
        json!({"name": "pacemaker", "epoch": null, "version": "2.1.7+20231219.0f7f88312", "release": "150600.6.3.1",
               "arch": "x86_64", "manager": "rpm", "installed_versions": ["2.1.7+20231219.0f7f88312-150600.6.3.1"]})
    );
    let kernel = package_version::value_of(&query, "kernel-default", "rpm").unwrap();
    assert_eq!(kernel["installed_versions"], json!(["6.4.0-150600.23.25.1", "6.4.0-150600.23.30.1"]));
    assert_eq!(package_version::value_of(&query, "SAPHanaSR-angi", "rpm").unwrap()["arch"], "noarch");
    assert_eq!(package_version::value_of(&query, "python3-base", "rpm").unwrap()["epoch"], 0);
    let missing = package_version::value_of(&query, "SAPHanaSR", "rpm").unwrap_err();
    assert_eq!(missing.kind, FactErrorKind::PackageNotInstalled);
    assert_eq!(missing.message, "package SAPHanaSR is not installed");
}

#[test]
fn dpkg_versions_of_a_development_machine() {
    let query = package_version::parse_dpkg(
        &text("package_version/dpkg-query.stdout"),
        &text("package_version/dpkg-query.stderr"),
    )
    .unwrap();
    let vim = package_version::value_of(&query, "vim-tiny", "dpkg").unwrap();
    assert_eq!((&vim["epoch"], &vim["version"], &vim["release"]), (&json!(2), &json!("9.0.1378"), &json!("2")));
    let openssl = package_version::value_of(&query, "openssl", "dpkg").unwrap();
    assert_eq!(openssl["installed_versions"], json!(["3.0.15-1~deb12u1"]));
    assert_eq!(package_version::value_of(&query, "tzdata", "dpkg").unwrap()["arch"], "all");
    for gone in ["exim4", "pacemaker"] {
        assert_eq!(
            package_version::value_of(&query, gone, "dpkg").unwrap_err().kind,
            FactErrorKind::PackageNotInstalled
        );
    }
}

#[test]
fn systemd_states_of_the_cluster_units() {
    let units = systemd::parse(&text("systemd/systemctl-show.txt")).unwrap();
    let ids: Vec<&str> = units.iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["pacemaker.service", "corosync.service", "sbd.service", "saptune.service", "sapconf.service"]);
    assert_eq!(units[0]["active_state"], "active");
    assert_eq!(units[0]["sub_state"], "running");
    assert_eq!(units[0]["unit_file_state"], "enabled");
    assert_eq!(units[1]["unit_file_state"], "disabled", "corosync is started by pacemaker, not enabled");
    assert_eq!(units[3]["sub_state"], "exited");
    assert_eq!(units[4]["load_state"], "not-found");
    assert_eq!(units[4]["unit_file_state"], "");
    assert_eq!(units[2]["need_daemon_reload"], "no");
}

#[tokio::test]
async fn sysctl_of_a_tuned_node_read_from_a_proc_tree() {
    let listing = text("sysctl/sysctl-a.txt");
    let expected = sysctl::parse_listing(&listing).unwrap();
    assert_eq!(expected["vm.swappiness"], 10);
    assert_eq!(expected["kernel.sem"], "32000 1024000000 500 32000");
    assert_eq!(expected["kernel.shmall"], json!(18446744073692774399u64));
    assert_eq!(expected["net.ipv4.ip_local_port_range"], "9000 65499");
    assert_eq!(expected["kernel.core_pattern"], "|/usr/lib/systemd/systemd-coredump %P %u %g %s %t %c %h");
    assert_eq!(expected["vm.stat_refresh"], "");
    // The same machine as /proc/sys: one file per key holding the raw value, as the kernel
    // prints it (tabs and all).
    let root = tempfile::tempdir().unwrap();
    for line in listing.lines() {
        let (key, raw) = line.split_once(" = ").unwrap_or((line.trim_end_matches(" ="), ""));
        let file = root.path().join("proc/sys").join(key.replace('.', "/"));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, format!("{raw}\n")).unwrap();
    }
    let keys: Vec<&str> = expected.keys().map(String::as_str).collect();
    let mut asks: Vec<(&str, &str)> = keys.iter().map(|k| ("sysctl", *k)).collect();
    asks.push(("sysctl", "vm.nr_hugepages"));
    asks.push(("sysctl", "vm"));
    let got = gather(root.path(), &asks).await;
    for (key, outcome) in keys.iter().zip(&got) {
        assert_eq!(outcome.as_ref().ok(), Some(&expected[*key]), "{key}");
    }
    assert_eq!(kind(&got[keys.len()]), FactErrorKind::ValueNotFound);
    assert_eq!(kind(&got[keys.len() + 1]), FactErrorKind::FileUnreadable, "a group of keys is not a key");
}

#[tokio::test]
async fn hosts_of_the_cluster_nodes() {
    let root = root_with(&[("hosts/hana-cluster.hosts", "/etc/hosts")]);
    let got = gather(
        root.path(),
        &[("hosts", "hana01"), ("hosts", "HANAVIP"), ("hosts", "localhost"), ("hosts", "hana03"), ("hosts", "")],
    )
    .await;
    assert_eq!(got[0], Ok(json!(["10.80.1.11"])));
    assert_eq!(got[1], Ok(json!(["10.80.1.20"])), "names compare without case");
    assert_eq!(got[2], Ok(json!(["127.0.0.1", "::1"])));
    assert_eq!(kind(&got[3]), FactErrorKind::ValueNotFound);
    let all = got[4].as_ref().unwrap();
    assert_eq!(all["hana02-rep"], json!(["192.168.100.12"]));
    assert_eq!(all["hana02.example.com"], json!(["10.80.1.12"]));
    assert_eq!(all.as_object().unwrap().len(), 16);
}

#[tokio::test]
async fn fstab_of_a_hana_node() {
    let root = root_with(&[("fstab/hana-node.fstab", "/etc/fstab")]);
    let got = gather(
        root.path(),
        &[
            ("fstab", "/hana/shared"),
            ("fstab", "/sapmnt/trans"),
            ("fstab", "/boot/efi"),
            ("fstab", "/hana/data/"),
            ("fstab", "/hana/backup"),
            ("fstab", ""),
        ],
    )
    .await;
    let shared = got[0].as_ref().unwrap();
    assert_eq!(shared["device"], "nfs01.example.com:/hana_shared_HA1");
    assert_eq!(shared["file_system_type"], "nfs4");
    assert_eq!(
        shared["options"],
        json!(["rw", "hard", "rsize=262144", "wsize=262144", "sec=sys", "vers=4.1", "_netdev"])
    );
    assert_eq!(got[1].as_ref().unwrap()["device"], "//fs01.example.com/SAP Transport");
    assert_eq!(got[2].as_ref().unwrap()["check_order"], 2);
    assert_eq!(got[3].as_ref().unwrap()["device"], "/dev/mapper/vg_hana-lv_data");
    assert_eq!(kind(&got[4]), FactErrorKind::ValueNotFound);
    let all = got[5].as_ref().unwrap().as_array().unwrap();
    assert_eq!(all.len(), 11);
    assert_eq!(all[1]["options"], json!(["subvol=/@/var"]));
}

#[test]
fn saptune_status_with_the_hana_solution_applied() {
    let status = saptune::parse(&text("saptune/status.json")).unwrap();
    assert_eq!(status["tuning_state"], "compliant");
    assert_eq!(status["package_version"], "3.1.3");
    assert_eq!(status["services"]["saptune"], json!(["enabled", "active"]));
    assert_eq!(status["solution_applied"], json!([{"solution_id": "HANA", "applied_partially": false}]));
    assert_eq!(status["notes_applied"].as_array().unwrap().len(), 9);
    assert_eq!(status["staging"]["staging_enabled"], false);
}

#[test]
fn saptune_note_verify_with_a_deviation() {
    let verify = saptune::parse(&text("saptune/note-verify.json")).unwrap();
    assert_eq!(verify["system_compliance"], false);
    let failing: Vec<&FactValue> =
        verify["verifications"].as_array().unwrap().iter().filter(|v| v["compliant"] == false).collect();
    assert_eq!(failing.len(), 1);
    assert_eq!(failing[0]["parameter"], "vm.dirty_bytes");
    assert_eq!((&failing[0]["expected_value"], &failing[0]["actual_value"]), (&json!("629145600"), &json!("0")));
    assert_eq!(failing[0]["note_id"], "2578899");
}

#[test]
fn an_old_saptune_without_json_is_a_parse_error() {
    let e = saptune::parse(&text("saptune/status-saptune-2.txt")).unwrap_err();
    assert!(e.reason.contains("saptune 3.1 or later is needed"), "{e}");
}

#[tokio::test]
async fn an_unknown_gatherer_fails_alone_and_the_order_is_kept() {
    let root = root_with(&[("hosts/hana-cluster.hosts", "/etc/hosts"), ("fstab/hana-node.fstab", "/etc/fstab")]);
    let got = gather(
        root.path(),
        &[("hosts", "hana01"), ("crm_mon", ""), ("fstab", "/usr/sap"), ("hosts", "hana02"), ("package_version", "-qa")],
    )
    .await;
    assert_eq!(got[0], Ok(json!(["10.80.1.11"])));
    assert_eq!(kind(&got[1]), FactErrorKind::UnknownGatherer);
    assert_eq!(got[2].as_ref().unwrap()["file_system_type"], "xfs");
    assert_eq!(got[3], Ok(json!(["10.80.1.12"])));
    assert_eq!(kind(&got[4]), FactErrorKind::InvalidArgument, "an option is never passed to rpm or dpkg");
}

/// A programs directory whose `cibadmin` runs `body` (a shell script) and fails unless it is
/// asked `--query --local`, so the gatherer runs the program for real.
fn cibadmin_running(body: &str) -> (tempfile::TempDir, Sources) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("cibadmin");
    let guard = "[ \"$*\" = '--query --local' ] || { echo \"unexpected arguments: $*\" >&2; exit 64; }";
    std::fs::write(&script, format!("#!/bin/sh\n{guard}\n{body}\n")).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let sources = Sources { programs: Some(dir.path().to_owned()), ..Sources::under(dir.path()) };
    (dir, sources)
}

/// `cibadmin` printing a fixture of `cibadmin/`.
fn cibadmin_printing(name: &str) -> (tempfile::TempDir, Sources) {
    cibadmin_running(&format!("cat '{}'", fixture(&format!("cibadmin/{name}")).display()))
}

#[tokio::test]
async fn cibadmin_of_a_hana_scale_up_cluster() {
    let (_dir, sources) = cibadmin_printing("hana-scale-up.xml");
    let got = gather_from(
        &sources,
        &[("cibadmin", "rsc_defaults"), ("cibadmin", "op_defaults"), ("cibadmin", "crm_config"), ("cibadmin", "nodes")],
    )
    .await;
    assert_eq!(got[0], Ok(json!({"resource-stickiness": 1000, "migration-threshold": 5000})));
    assert_eq!(got[1], Ok(json!({"timeout": 600, "record-pending": "true"})));
    let properties = got[2].as_ref().unwrap();
    assert_eq!(properties["stonith-enabled"], "true");
    assert_eq!(properties["stonith-timeout"], 150);
    assert_eq!(properties["priority-fencing-delay"], 30);
    assert_eq!(properties["cluster-name"], "hana_ha1");
    assert_eq!(properties["dc-version"], "2.1.7+20231219.0f7f88312-150600.6.3.1-2.1.7+20231219.0f7f88312");
    assert_eq!(properties.as_object().unwrap().len(), 9);
    assert_eq!(kind(&got[3]), FactErrorKind::InvalidArgument, "nodes is not a section cibadmin reads");
}

#[test]
fn cibadmin_of_an_ascs_ers_cluster() {
    let sections = cibadmin::parse(&text("cibadmin/ascs-ers.xml")).unwrap();
    // The groups' and primitives' own resource-stickiness (3000, 5000) are not the defaults.
    assert_eq!(sections["rsc_defaults"], json!({"resource-stickiness": 1, "migration-threshold": 3}));
    assert_eq!(sections["crm_config"]["cluster-name"], "nw_en2");
}

#[tokio::test]
async fn a_cib_without_defaults_answers_empty_sections() {
    let (_dir, sources) = cibadmin_printing("no-defaults.xml");
    let got = gather_from(&sources, &[("cibadmin", "rsc_defaults"), ("cibadmin", "op_defaults")]).await;
    assert_eq!(got, [Ok(json!({})), Ok(json!({}))]);
}

#[test]
fn two_rsc_defaults_sets_are_merged_the_first_value_of_a_name_winning() {
    // A new CIB's build-resource-defaults (resource-stickiness=1) before crm's rsc-options
    // (1000, 5000), both of score 0: Pacemaker keeps the first set's stickiness.
    let sections = cibadmin::parse(&text("cibadmin/two-rsc-defaults-sets.xml")).unwrap();
    assert_eq!(sections["rsc_defaults"], json!({"resource-stickiness": 1, "migration-threshold": 5000}));
}

#[tokio::test]
async fn a_truncated_cib_is_a_parse_error_naming_the_line() {
    let (_dir, sources) = cibadmin_printing("truncated.xml");
    let got = gather_from(&sources, &[("cibadmin", "rsc_defaults"), ("cibadmin", "crm_config")]).await;
    // Cut in the middle of an element on its last line, as a program killed mid-way leaves it.
    let last_line = text("cibadmin/truncated.xml").lines().count();
    for outcome in &got {
        let e = outcome.as_ref().unwrap_err();
        assert_eq!(e.kind, FactErrorKind::ParseError);
        assert_eq!(
            e.message,
            format!(
                "cibadmin --query --local: line {last_line}: the XML ends before the <cib> is closed (output cut off?)"
            )
        );
    }
}

#[tokio::test]
async fn cibadmin_with_pacemaker_down_is_a_tool_failure_quoting_it() {
    let (_dir, sources) = cibadmin_running(
        "echo 'Could not connect to the CIB: Transport endpoint is not connected' >&2\necho 'Init failed, could not perform requested operations: Transport endpoint is not connected' >&2\nexit 102",
    );
    let got = gather_from(&sources, &[("cibadmin", "rsc_defaults"), ("cibadmin", "rsc-defaults")]).await;
    let e = got[0].as_ref().unwrap_err();
    assert_eq!(e.kind, FactErrorKind::ToolFailed);
    assert_eq!(
        e.message,
        "`cibadmin --query --local` exited with 102: Could not connect to the CIB: Transport endpoint is not connected"
    );
    assert_eq!(kind(&got[1]), FactErrorKind::InvalidArgument, "a wrong section is said as such");
}

#[tokio::test]
async fn cibadmin_not_installed_is_tool_not_found() {
    let empty = tempfile::tempdir().unwrap();
    let sources = Sources { programs: Some(empty.path().to_owned()), ..Sources::under(empty.path()) };
    let got = gather_from(&sources, &[("cibadmin", "rsc_defaults"), ("cibadmin", "")]).await;
    assert_eq!(kind(&got[0]), FactErrorKind::ToolNotFound);
    assert_eq!(kind(&got[1]), FactErrorKind::MissingArgument);
}
