//! Every scenario of the shared Trento corpus, replayed in file order and in shuffled
//! orders, ends in the landscape its payloads describe. The expected landscapes below were
//! written by reading the JSON files (which host reports which cluster, which HANA instance
//! is primary, which application profile names which database), not by running the code.

mod common;
mod replaying;

use std::path::PathBuf;
use std::time::Duration;

use common::{Server, fixtures};
use replaying::{TRENTO, envelope, landscape, landscape_with, replay, scenario_files};
use serde_json::{Value, json};
use uuid::Uuid;

/// A host: agent id, hostname, cloud provider, number of SLES subscriptions listed, the
/// name of its cluster (if its cluster discovery names one) and its health.
struct Host {
    id: &'static str,
    hostname: &'static str,
    provider: &'static str,
    n_subscriptions: usize,
    cluster: Option<&'static str>,
    /// saptune graded with SAP workload (compliant passing, not tuned warning, not compliant
    /// critical, no saptune discovery warning) or passing without workload.
    health: &'static str,
}

/// A cluster: the corosync `Id` (its id is UUIDv5 of it), the designated controller's name,
/// type, HANA SID, member agent ids and health.
struct Cluster {
    payload_id: &'static str,
    name: &'static str,
    cluster_type: &'static str,
    sid: &'static str,
    hosts: &'static [&'static str],
    health: &'static str,
}

/// A database: the SAP system discovery entry's `Id`, SID, tenants, instances as (agent id,
/// instance number, `Primary`/`Secondary`, or `None` for Trento's `null` when the instance
/// does not replicate) and health.
struct Database {
    entry_id: &'static str,
    sid: &'static str,
    tenants: &'static [&'static str],
    instances: &'static [(&'static str, &'static str, Option<&'static str>)],
    health: &'static str,
}

/// A SAP system: SID, tenant, its database's entry `Id`, application instances as (agent
/// id, instance number), health and ENSA version.
struct SapSystem {
    sid: &'static str,
    tenant: &'static str,
    database_entry_id: &'static str,
    instances: &'static [(&'static str, &'static str)],
    health: &'static str,
    ensa_version: &'static str,
}

struct Scenario {
    dir: &'static str,
    hosts: &'static [Host],
    clusters: &'static [Cluster],
    databases: &'static [Database],
    sap_systems: &'static [SapSystem],
    /// Discoveries still waiting at the end, as (agent id, discovery type).
    parked: &'static [(&'static str, &'static str)],
}

const SCENARIOS: &[Scenario] = &[
    // Three VMware nodes; vmh3shdb03 is in the cluster but runs no HANA (empty SAP system
    // discovery). vmh3shdb02 is the secondary with `hana_h3s_sync_state=SFAIL`: replication
    // critical, and diskless SBD leaves the SBD part out.
    Scenario {
        dir: "hana-diskless-sbd",
        hosts: &[
            Host {
                id: "0f6e6491-21f2-495e-9f2d-bc50b872efaf",
                hostname: "vmh3shdb01",
                provider: "vmware",
                n_subscriptions: 7,
                cluster: Some("hana_diskless_sbd"),
                health: "passing",
            },
            Host {
                id: "5f2632a9-7b18-4c37-955a-fe16cadaaef4",
                hostname: "vmh3shdb02",
                provider: "vmware",
                n_subscriptions: 7,
                cluster: Some("hana_diskless_sbd"),
                health: "passing",
            },
            Host {
                id: "43dcb497-2652-4254-b53a-3ff1d3b2a0ff",
                hostname: "vmh3shdb03",
                provider: "vmware",
                n_subscriptions: 7,
                cluster: Some("hana_diskless_sbd"),
                health: "passing",
            },
        ],
        clusters: &[Cluster {
            payload_id: "a7b8d04c312f0323cc3c0e73770d54be",
            name: "hana_diskless_sbd",
            cluster_type: "hana_scale_up",
            sid: "H3S",
            hosts: &[
                "0f6e6491-21f2-495e-9f2d-bc50b872efaf",
                "43dcb497-2652-4254-b53a-3ff1d3b2a0ff",
                "5f2632a9-7b18-4c37-955a-fe16cadaaef4",
            ],
            health: "critical",
        }],
        databases: &[Database {
            entry_id: "ed918c768becd0dfc8218c233e1ae964",
            sid: "H3S",
            tenants: &["H3S"],
            instances: &[
                ("0f6e6491-21f2-495e-9f2d-bc50b872efaf", "00", Some("Primary")),
                ("5f2632a9-7b18-4c37-955a-fe16cadaaef4", "00", Some("Secondary")),
            ],
            health: "passing",
        }],
        sap_systems: &[],
        parked: &[],
    },
    // SAPHanaSR-angi on two Azure nodes; ROT replicates from WDF with lss 4 and SOK.
    Scenario {
        dir: "hana-scale-up-angi",
        hosts: &[
            Host {
                id: "851a4dd3-9693-44c3-a40b-b32d22872e74",
                hostname: "vmangi01",
                provider: "azure",
                n_subscriptions: 10,
                cluster: Some("hana_angi"),
                health: "passing",
            },
            Host {
                id: "4b67842f-ccf7-46a4-a344-9e918648b117",
                hostname: "vmangi02",
                provider: "azure",
                n_subscriptions: 10,
                cluster: Some("hana_angi"),
                health: "passing",
            },
        ],
        clusters: &[Cluster {
            payload_id: "04dcf01eefda0e3b4cc897968150169e",
            name: "hana_angi",
            cluster_type: "hana_scale_up",
            sid: "HN9",
            hosts: &["4b67842f-ccf7-46a4-a344-9e918648b117", "851a4dd3-9693-44c3-a40b-b32d22872e74"],
            health: "passing",
        }],
        databases: &[Database {
            entry_id: "b5e2378f560d932d1b8ceafa86751169",
            sid: "HN9",
            tenants: &["HN9"],
            instances: &[
                ("4b67842f-ccf7-46a4-a344-9e918648b117", "09", Some("Secondary")),
                ("851a4dd3-9693-44c3-a40b-b32d22872e74", "09", Some("Primary")),
            ],
            health: "passing",
        }],
        sap_systems: &[],
        parked: &[],
    },
    // Cost optimized: vmhdbcost02 runs the HDC secondary and a QAS HANA without replication;
    // its HDC instance is found by host name and number (no `currentInstance` mark). The
    // designated controller (vmhdbcost02) names the cluster `hana_cost_opt`, the other node
    // `hana_cluster`. Both nodes' saptune says `not compliant`.
    Scenario {
        dir: "hana-scale-up-cost-opt",
        hosts: &[
            Host {
                id: "fa7a5602-232b-5389-96a6-f5f5de6ff9a2",
                hostname: "vmhdbcost01",
                provider: "azure",
                n_subscriptions: 8,
                cluster: Some("hana_cost_opt"),
                health: "critical",
            },
            Host {
                id: "2372b24f-3d7a-5d01-9b1a-a2c4c95c53d4",
                hostname: "vmhdbcost02",
                provider: "azure",
                n_subscriptions: 8,
                cluster: Some("hana_cost_opt"),
                health: "critical",
            },
        ],
        clusters: &[Cluster {
            payload_id: "81237d528fa520f993b5d6e1cd8e7138",
            name: "hana_cost_opt",
            cluster_type: "hana_scale_up",
            sid: "HDC",
            hosts: &["2372b24f-3d7a-5d01-9b1a-a2c4c95c53d4", "fa7a5602-232b-5389-96a6-f5f5de6ff9a2"],
            health: "passing",
        }],
        databases: &[
            Database {
                entry_id: "0661e352d27724f9ae4c87f5f5136698",
                sid: "HDC",
                tenants: &["HDC"],
                instances: &[
                    ("2372b24f-3d7a-5d01-9b1a-a2c4c95c53d4", "10", Some("Secondary")),
                    ("fa7a5602-232b-5389-96a6-f5f5de6ff9a2", "10", Some("Primary")),
                ],
                health: "passing",
            },
            Database {
                entry_id: "359b9a561ea0fdac5f52a5014523b7bf",
                sid: "QAS",
                tenants: &["QAS"],
                instances: &[("2372b24f-3d7a-5d01-9b1a-a2c4c95c53d4", "20", None)],
                health: "passing",
            },
        ],
        sap_systems: &[],
        parked: &[],
    },
    // Multi-target replication: hana2 (SITEB) is primary, hana1 (SITEA, sync) and hana3
    // (SITEC, async) replicate from it. Only hana1 and hana2 are cluster nodes; hana3's
    // cluster discovery is `null`.
    Scenario {
        dir: "hana-scale-up-multi-tier",
        hosts: &[
            Host {
                id: "2b64f956-a49c-4652-ae03-3c24b570eb17",
                hostname: "hana1",
                provider: "vmware",
                n_subscriptions: 8,
                cluster: Some("hacluster"),
                health: "critical",
            },
            Host {
                id: "219bf05b-c6a7-4de3-bcf8-852b42fc6a4f",
                hostname: "hana2",
                provider: "vmware",
                n_subscriptions: 8,
                cluster: Some("hacluster"),
                health: "critical",
            },
            Host {
                id: "42f15836-de3e-4bda-936f-1af85f683c08",
                hostname: "hana3",
                provider: "vmware",
                n_subscriptions: 8,
                cluster: None,
                health: "passing",
            },
        ],
        clusters: &[Cluster {
            payload_id: "d6646b5b8ca71cdcf996699edbf5e070",
            name: "hacluster",
            cluster_type: "hana_scale_up",
            sid: "TG5",
            hosts: &["219bf05b-c6a7-4de3-bcf8-852b42fc6a4f", "2b64f956-a49c-4652-ae03-3c24b570eb17"],
            health: "passing",
        }],
        databases: &[Database {
            entry_id: "4a83c55d23de12aef4ba55c77ba61b64",
            sid: "TG5",
            tenants: &["TG5"],
            instances: &[
                ("219bf05b-c6a7-4de3-bcf8-852b42fc6a4f", "30", Some("Primary")),
                ("2b64f956-a49c-4652-ae03-3c24b570eb17", "30", Some("Secondary")),
                ("42f15836-de3e-4bda-936f-1af85f683c08", "30", Some("Secondary")),
            ],
            health: "passing",
        }],
        sap_systems: &[],
        parked: &[],
    },
    // A Java system (J2EE and SCS) whose profile names database HTJ at 10.17.0.4, which no
    // discovery of the scenario describes: its instances wait, parked, and no SAP system
    // exists.
    Scenario {
        dir: "sap-system-java",
        hosts: &[Host {
            id: "a18a203d-4f2f-4d21-b9a5-e300a9c5eeee",
            hostname: "vmnwjava01",
            provider: "azure",
            n_subscriptions: 10,
            cluster: None,
            health: "passing",
        }],
        clusters: &[],
        databases: &[],
        sap_systems: &[],
        parked: &[("a18a203d-4f2f-4d21-b9a5-e300a9c5eeee", "sap_system_discovery")],
    },
    // HA1's ASCS (00, message server, enq_server) and PAS (01, ABAP) on trento-vmnetweaver01
    // run on tenant PRD of the HANA at 10.0.1.10, trento-hana01. No saptune discovery: both
    // hosts run SAP workload, so saptune counts as a warning.
    Scenario {
        dir: "single-hana-single-app",
        hosts: &[
            Host {
                id: "c4914bd4-efa3-553a-9a52-e9b562e210e5",
                hostname: "trento-hana01",
                provider: "aws",
                n_subscriptions: 7,
                cluster: None,
                health: "warning",
            },
            Host {
                id: "e77ab524-c4e4-5381-bb59-5af8639d52a4",
                hostname: "trento-vmnetweaver01",
                provider: "aws",
                n_subscriptions: 8,
                cluster: None,
                health: "warning",
            },
        ],
        clusters: &[],
        databases: &[Database {
            entry_id: "e058aaacf42f039937c4a43bf3df350b",
            sid: "PRD",
            tenants: &["PRD"],
            instances: &[("c4914bd4-efa3-553a-9a52-e9b562e210e5", "00", None)],
            health: "passing",
        }],
        sap_systems: &[SapSystem {
            sid: "HA1",
            tenant: "PRD",
            database_entry_id: "e058aaacf42f039937c4a43bf3df350b",
            instances: &[
                ("e77ab524-c4e4-5381-bb59-5af8639d52a4", "00"),
                ("e77ab524-c4e4-5381-bb59-5af8639d52a4", "01"),
            ],
            health: "passing",
            ensa_version: "ensa2",
        }],
        parked: &[],
    },
];

/// The orders a scenario is replayed in: file order, reversed, and shuffles.
const SEEDS: [u64; 3] = [7, 42, 2024];

#[tokio::test]
async fn every_scenario_converges_to_its_landscape_in_any_order() {
    let mut dirs: Vec<String> = std::fs::read_dir(fixtures().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    dirs.sort();
    let covered: Vec<&str> = SCENARIOS.iter().map(|s| s.dir).collect();
    assert_eq!(dirs, covered, "every scenario of the corpus has its expected landscape");

    for scenario in SCENARIOS {
        let files = scenario_files(scenario.dir);
        let mut orders = vec![("file order".to_owned(), files.clone())];
        let mut reversed = files.clone();
        reversed.reverse();
        orders.push(("reversed".to_owned(), reversed));
        for seed in SEEDS {
            orders.push((format!("shuffled with seed {seed}"), shuffled(&files, seed)));
        }
        let mut first: Option<Value> = None;
        for (order, files) in orders {
            let s = Server::start().await;
            replay(&s, &files, &format!("{} in {order}", scenario.dir)).await;
            assert!(s.app.settle(Duration::from_secs(30)).await, "{}: never settled", scenario.dir);
            let landscape = landscape(&s).await;
            check(scenario, &landscape, &s, &order).await;
            match &first {
                None => first = Some(landscape),
                Some(first) => assert_eq!(
                    &landscape, first,
                    "{} in {order} ends in another landscape than in file order",
                    scenario.dir
                ),
            }
        }
    }
}

/// Read-your-writes: with every host discovery posted last, the cluster and SAP system
/// discoveries park and the process manager applies them in the background. A read with
/// `min_position` = the largest `last_position` of the 202s sees the whole landscape at once,
/// with no settling in between.
#[tokio::test]
async fn a_read_at_the_last_position_sees_what_was_parked() {
    for scenario in SCENARIOS {
        let (hosts_last, others): (Vec<PathBuf>, Vec<PathBuf>) = scenario_files(scenario.dir)
            .into_iter()
            .partition(|f| f.to_string_lossy().ends_with("_host_discovery.json"));
        let s = Server::start().await;
        let mut last_position = 0;
        let mut n_parked = 0;
        for file in others.iter().chain(&hosts_last) {
            let (status, body) = s.collect(envelope(file)).await;
            assert_eq!(status, axum::http::StatusCode::ACCEPTED, "{}: {body}", file.display());
            n_parked += usize::from(body["status"] == "parked");
            last_position = last_position.max(body["last_position"].as_u64().unwrap_or(0));
        }
        assert!(n_parked > 0, "{}: posting hosts last parks something", scenario.dir);
        let landscape = landscape_with(&s, &format!("&min_position={last_position}")).await;
        check(scenario, &landscape, &s, "hosts last, read at min_position").await;
        // And straight from the payloads: every host discovery's hostname is listed.
        for file in &hosts_last {
            let sent: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
            let hostname = &sent["payload"]["hostname"];
            assert!(
                landscape["hosts"].as_array().unwrap().iter().any(|h| &h["hostname"] == hostname),
                "{}: host {hostname} listed",
                scenario.dir
            );
        }
    }
}

/// A position beyond every stored event is a 400 at once; a stored position the read
/// models do not reach within `read_wait` is a 503 with `Retry-After`; both in the API's
/// error shape. A position that is not a number is a 400.
#[tokio::test]
async fn min_position_beyond_the_store_is_400_out_of_reach_is_503_and_not_a_number_is_400() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    use vigil_kernel::envelope::NewEvent;
    use vigil_kernel::store::ExpectedVersion;

    let s = Server::start_with(|c| c.read_wait = Duration::ZERO).await;
    let send = |uri: String| {
        let request =
            Request::get(&uri).header("authorization", format!("Bearer {}", s.token)).body(Body::empty()).unwrap();
        let router = s.app.router();
        async move {
            let response = router.oneshot(request).await.unwrap();
            let (status, retry_after) = (response.status(), response.headers().get("retry-after").cloned());
            let body: Value =
                serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
            (status, retry_after, body)
        }
    };
    let far = s.head().await + 1_000_000;
    for uri in [
        format!("/api/v1/hosts?min_position={far}"),
        format!("/api/v1/clusters?min_position={far}&limit=5"),
        format!("/api/v1/sap_systems/health?min_position={far}"),
    ] {
        let (status, _, body) = send(uri.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert!(body["message"].as_str().unwrap().contains("beyond the last stored event"), "{uri}: {body}");
    }

    // A burst of stored events the read models have not applied yet, read at once with no
    // wait allowed: 503 with Retry-After (the read models may win the race now and then).
    let mut unavailable = None;
    for round in 0..20 {
        let burst: Vec<NewEvent> = (0..2000)
            .map(|i| NewEvent {
                id: uuid::Uuid::now_v7(),
                event_type: "BurstRecorded".into(),
                schema_version: 1,
                source: "/test".into(),
                subject: format!("burst-{round}"),
                time: chrono::Utc::now(),
                data: format!("{{\"i\": {i}}}"),
                correlation_id: None,
                causation_id: None,
            })
            .collect();
        let appended = s.app.store.append(&format!("burst-{round}"), ExpectedVersion::Any, burst).await.unwrap();
        let (status, retry_after, body) =
            send(format!("/api/v1/hosts?min_position={}", appended.last_position.unwrap())).await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert!(retry_after.is_some(), "Retry-After: {body}");
            unavailable = Some(body);
            break;
        }
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let body = unavailable.expect("a read ahead of the read models answers 503");
    assert_eq!(body["code"], "unavailable", "{body}");
    assert!(body["message"].as_str().unwrap().contains("have not reached position"), "{body}");

    let (status, body) = s.get("/api/v1/hosts?min_position=abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "bad_request", "{body}");
    let head = s.head().await;
    assert!(s.app.wait_for_position(head, Duration::from_secs(20)).await);
    let (status, body) = s.get(&format!("/api/v1/hosts?min_position={head}")).await;
    assert_eq!(status, StatusCode::OK, "a reached position answers at once: {body}");
}

/// A Fisher–Yates shuffle driven by a small xorshift, so orders are reproducible.
fn shuffled(files: &[PathBuf], seed: u64) -> Vec<PathBuf> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut files = files.to_vec();
    for i in (1..files.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        files.swap(i, j);
    }
    files
}

fn cluster_id(payload_id: &str) -> String {
    Uuid::new_v5(&TRENTO, payload_id.as_bytes()).to_string()
}

fn database_id(entry_id: &str) -> Uuid {
    Uuid::new_v5(&TRENTO, entry_id.as_bytes())
}

async fn check(scenario: &Scenario, landscape: &Value, s: &Server, order: &str) {
    let at = |what: &str| format!("{} in {order}: {what}", scenario.dir);

    let hosts = landscape["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), scenario.hosts.len(), "{}", at("host count"));
    for expected in scenario.hosts {
        let host = hosts
            .iter()
            .find(|h| h["id"] == expected.id)
            .unwrap_or_else(|| panic!("{}", at(&format!("host {} missing", expected.id))));
        let what = at(expected.hostname);
        assert_eq!(host["hostname"], expected.hostname, "{what}");
        assert_eq!(host["provider"], expected.provider, "{what}");
        assert_eq!(host["sles_subscriptions"].as_array().unwrap().len(), expected.n_subscriptions, "{what}");
        let cluster = expected.cluster.map(|name| {
            let c = scenario.clusters.iter().find(|c| c.name == name).unwrap();
            cluster_id(c.payload_id)
        });
        assert_eq!(host["cluster_id"], json!(cluster), "{what}: cluster");
        assert_eq!(host["health"], expected.health, "{what}: health");
        assert_eq!(host["stale_at"], Value::Null, "{what}");
        assert_eq!(host["deregistered_at"], Value::Null, "{what}");
    }

    let clusters = landscape["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), scenario.clusters.len(), "{}", at("cluster count"));
    for expected in scenario.clusters {
        let id = cluster_id(expected.payload_id);
        let cluster = clusters
            .iter()
            .find(|c| c["id"] == id.as_str())
            .unwrap_or_else(|| panic!("{}", at(&format!("cluster {} missing", expected.name))));
        let what = at(expected.name);
        assert_eq!(cluster["name"], expected.name, "{what}");
        assert_eq!(cluster["type"], expected.cluster_type, "{what}");
        assert_eq!(cluster["sid"], expected.sid, "{what}");
        assert_eq!(cluster["health"], expected.health, "{what}: health");
        let members: Vec<&str> =
            cluster["hosts"].as_array().unwrap().iter().map(|h| h["host_id"].as_str().unwrap()).collect();
        assert_eq!(members, expected.hosts, "{what}: members");
    }

    let databases = landscape["databases"].as_array().unwrap();
    assert_eq!(databases.len(), scenario.databases.len(), "{}", at("database count"));
    for expected in scenario.databases {
        let id = database_id(expected.entry_id).to_string();
        let database = databases
            .iter()
            .find(|d| d["id"] == id.as_str())
            .unwrap_or_else(|| panic!("{}", at(&format!("database {} missing", expected.sid))));
        let what = at(expected.sid);
        assert_eq!(database["sid"], expected.sid, "{what}");
        assert_eq!(database["health"], expected.health, "{what}: health");
        let tenants: Vec<&str> =
            database["tenants"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(tenants, expected.tenants, "{what}: tenants");
        let instances: Vec<(&str, &str, Option<&str>)> = database["database_instances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["host_id"].as_str().unwrap(),
                    i["instance_number"].as_str().unwrap(),
                    i["system_replication"].as_str(),
                )
            })
            .collect();
        assert_eq!(instances, expected.instances, "{what}: instances");
    }

    let sap_systems = landscape["sap_systems"].as_array().unwrap();
    assert_eq!(sap_systems.len(), scenario.sap_systems.len(), "{}", at("SAP system count"));
    for expected in scenario.sap_systems {
        let database_id = database_id(expected.database_entry_id);
        let id = Uuid::new_v5(&database_id, expected.tenant.as_bytes()).to_string();
        let system = sap_systems
            .iter()
            .find(|s| s["id"] == id.as_str())
            .unwrap_or_else(|| panic!("{}", at(&format!("SAP system {} missing", expected.sid))));
        let what = at(expected.sid);
        assert_eq!(system["sid"], expected.sid, "{what}");
        assert_eq!(system["tenant"], expected.tenant, "{what}");
        assert_eq!(system["database_id"], database_id.to_string(), "{what}: database");
        assert_eq!(system["health"], expected.health, "{what}: health");
        assert_eq!(system["ensa_version"], expected.ensa_version, "{what}");
        let instances: Vec<(&str, &str)> = system["application_instances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["host_id"].as_str().unwrap(), i["instance_number"].as_str().unwrap()))
            .collect();
        assert_eq!(instances, expected.instances, "{what}: instances");
        let database = scenario.databases.iter().find(|d| d.entry_id == expected.database_entry_id).unwrap();
        assert_eq!(system["database_sid"], database.sid, "{what}");
        assert_eq!(
            system["database_instances"].as_array().unwrap().len(),
            database.instances.len(),
            "{what}: its database's instances"
        );
    }

    let mut parked: Vec<(String, String)> = s
        .app
        .ingest
        .parking()
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.agent_id.to_string(), p.discovery_type.to_string()))
        .collect();
    parked.sort();
    let expected: Vec<(String, String)> = scenario.parked.iter().map(|(a, t)| (a.to_string(), t.to_string())).collect();
    assert_eq!(parked, expected, "{}", at("parked discoveries"));
    let (_, discarded) = s.get("/api/v1/discoveries?status=discarded").await;
    assert_eq!(discarded["items"], json!([]), "{}", at("nothing is discarded"));
}
