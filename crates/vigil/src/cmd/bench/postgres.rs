//! `vigil bench store --store postgres://…`: durable appends to the PostgreSQL event store,
//! beside pgbench's single-row insert rate on the same server in the same run.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde_json::json;
use uuid::Uuid;
use vigil_store::sqlite::Durability;
use vigil_store::{PgEventStore, PgOptions};

use super::{Figure, concurrent_appends, machine, write_json};
use crate::args::BenchStoreArgs;

/// The published single-writer figure of Commanded's EventStore (PostgreSQL) that the
/// issue's goal for batched appends is set against.
const COMMANDED_EVENTS_PER_SECOND: f64 = 4_900.0;

pub(super) async fn run(args: BenchStoreArgs, url: String) -> anyhow::Result<ExitCode> {
    let durability: Durability = args.durability.parse().map_err(anyhow::Error::msg)?;
    let seconds = Duration::from_secs_f64(args.seconds);
    let settings = server_settings(&url, durability).await?;
    eprintln!(
        "vigil bench store: PostgreSQL ({settings}), durability {durability}, {} s per run, {} runs",
        args.seconds, args.runs
    );
    let mut figures = Vec::new();

    let mut samples = Vec::new();
    for _ in 0..args.runs {
        samples.push(pgbench_inserts(&url, seconds).await?);
    }
    figures.push(Figure::new("baseline: pgbench single-row inserts, 8 clients", "tps", samples));

    for (callers, nodes, batch) in [(1, 1, 1), (16, 1, 1), (64, 1, 1), (64, 2, 1), (1, 1, 100), (4, 1, 100)] {
        let mut samples = Vec::new();
        for _ in 0..args.runs {
            let scratch = Scratch::new(&url, durability, nodes).await?;
            samples.push(concurrent_appends(&scratch.nodes, callers, batch, seconds).await?);
            scratch.drop_schema().await?;
        }
        let name = match (batch, nodes) {
            (1, 1) => format!("single-event appends, {callers} callers"),
            (1, n) => format!("single-event appends, {callers} callers over {n} nodes"),
            (b, _) => format!("{b}-event batched appends, {callers} callers"),
        };
        figures.push(Figure::new(name, "events/s", samples));
    }

    let pgbench = figures[0].median;
    let group_commit = figures[3].median / pgbench;
    let batched = figures[5].median / COMMANDED_EVENTS_PER_SECOND;
    eprintln!("64 callers / pgbench 8 clients: {group_commit:.1}× (goal ≥ 3×)");
    eprintln!("100-event batches, 1 caller / 4.9k events/s: {batched:.1}× (goal ≥ 10×)");
    eprintln!("64 callers over 2 nodes / on 1 node: {:.2}×", figures[4].median / figures[3].median);
    write_json(
        &args.json,
        json!({ "benchmark": "store", "store": "postgres", "durability": durability.to_string(), "server": settings,
                "machine": machine(), "figures": figures,
                "ratios": { "group_commit_vs_pgbench": group_commit, "batched_vs_commanded": batched } }),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// A scratch schema with `nodes` stores on it (each its own writer and connections, as
/// separate Vigil nodes would have).
struct Scratch {
    nodes: Vec<Arc<PgEventStore>>,
}

impl Scratch {
    async fn new(url: &str, durability: Durability, nodes: usize) -> anyhow::Result<Scratch> {
        let options = PgOptions {
            schema: format!("vigil_bench_{}", Uuid::now_v7().simple()),
            durability,
            max_readers: 2,
            ..Default::default()
        };
        let mut stores = Vec::new();
        for _ in 0..nodes {
            stores.push(Arc::new(PgEventStore::connect(url, options.clone()).await?));
        }
        Ok(Scratch { nodes: stores })
    }

    async fn drop_schema(self) -> anyhow::Result<()> {
        let store = &self.nodes[0];
        let client = store.pool().get().await?;
        client.batch_execute(&format!("DROP SCHEMA {} CASCADE", store.schema())).await?;
        Ok(())
    }
}

/// What the server does with commits, as the report must say.
async fn server_settings(url: &str, durability: Durability) -> anyhow::Result<String> {
    let scratch = Scratch::new(url, durability, 1).await?;
    let mut shown = Vec::new();
    {
        let client = scratch.nodes[0].pool().get().await?;
        for setting in ["server_version", "synchronous_commit", "fsync", "wal_sync_method", "commit_delay"] {
            let value: String = client.query_one(&format!("SHOW {setting}"), &[]).await?.get(0);
            shown.push(format!("{setting} = {value}"));
        }
    }
    scratch.drop_schema().await?;
    Ok(shown.join(", "))
}

/// pgbench with 8 clients (2 threads), each transaction one insert of a row shaped like an
/// event (about 600 bytes of JSON, a unique id and the same secondary indexes) into a scratch
/// table, committed as the server commits. Transactions per second.
async fn pgbench_inserts(url: &str, duration: Duration) -> anyhow::Result<f64> {
    let scratch = Scratch::new(url, Durability::Full, 1).await?;
    let schema = scratch.nodes[0].schema().to_owned();
    {
        let client = scratch.nodes[0].pool().get().await?;
        client
            .batch_execute(&format!(
                "CREATE TABLE {schema}.baseline (
                     position bigserial PRIMARY KEY, event_id uuid NOT NULL UNIQUE, stream_id text NOT NULL,
                     stream_version bigint NOT NULL, event_type text NOT NULL, schema_version bigint NOT NULL,
                     source text NOT NULL, subject text NOT NULL, time timestamptz NOT NULL, data json NOT NULL);
                 CREATE INDEX ON {schema}.baseline (subject, position);
                 CREATE INDEX ON {schema}.baseline (event_type, position);"
            ))
            .await?;
    }
    let script = tempfile::NamedTempFile::new()?;
    std::fs::write(
        script.path(),
        format!(
            "\\set v random(1, 1000000000)\n\
             INSERT INTO {schema}.baseline (event_id, stream_id, stream_version, event_type, schema_version, source, \
             subject, time, data) VALUES (gen_random_uuid(), 'host-' || :client_id, :v, 'HostRegistered', 1, '/bench', \
             'host', now(), json_build_object('pad', repeat('x', 580)));\n"
        ),
    )?;
    let output = tokio::process::Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-c", "8", "-j", "2", "-T"])
        .arg(duration.as_secs().max(1).to_string())
        .arg("-f")
        .arg(script.path())
        .arg(url)
        .kill_on_drop(true)
        .output()
        .await
        .context("cannot run pgbench (Debian: apt-get install postgresql-client)")?;
    scratch.drop_schema().await?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(output.status.success(), "pgbench failed: {}{}", stdout, String::from_utf8_lossy(&output.stderr));
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("tps = ")?.split_whitespace().next()?.parse().ok())
        .with_context(|| format!("no tps in pgbench's output: {stdout}"))
}
