//! The lake sink and the analytics, started beside the other subscriptions when
//! `[server.lake]` / `[server.analytics]` say so.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use vigil_kernel::projection::{Projection, ProjectionRunner};
use vigil_kernel::store::EventStore;
use vigil_store::sqlite::Db;

use crate::app::StartError;
use crate::config::ServerConfig;

/// Subscriptions started: their names with their progress, and their tasks.
pub(crate) type Started = (Vec<(&'static str, watch::Receiver<u64>)>, Vec<(&'static str, JoinHandle<()>)>);

/// How often the analytics read the actions' new attempts.
const ATTEMPTS_INTERVAL: Duration = Duration::from_secs(1);

/// Starts the lake sink (with its roller) and the analytics (with their attempts cursor),
/// each if enabled.
pub(crate) async fn spawn(
    config: &ServerConfig,
    db: &Db,
    store: &Arc<dyn EventStore>,
    shutdown: &watch::Receiver<bool>,
) -> Result<Started, StartError> {
    let (mut progress, mut tasks) = (Vec::new(), Vec::new());
    if config.lake.enabled {
        let lake = config.lake.config(&config.data_dir);
        let sink =
            Arc::new(vigil_lake::LakeSink::open(lake, store.head()).map_err(|e| StartError(format!("lake: {e}")))?);
        let projection: Arc<dyn Projection> = sink.clone();
        let runner = ProjectionRunner::new(store.clone(), projection, 5000);
        progress.push((vigil_lake::sink::NAME, runner.progress()));
        tasks.push(("lake sink", tokio::spawn(runner.run(shutdown.clone()))));
        tasks.push(("lake roller", tokio::spawn(sink.run_roller(shutdown.clone()))));
    }
    if config.analytics.enabled {
        let detectors = vigil_analytics::Detectors::new(&config.analytics).map_err(StartError)?;
        let analytics = Arc::new(
            vigil_analytics::Analytics::open(db.clone(), store.clone(), detectors)
                .await
                .map_err(|e| StartError(format!("analytics: {e}")))?,
        );
        let projection: Arc<dyn Projection> = analytics.clone();
        let runner = ProjectionRunner::new(store.clone(), projection, 1000);
        progress.push((vigil_analytics::subscriber::NAME, runner.progress()));
        tasks.push(("analytics", tokio::spawn(runner.run(shutdown.clone()))));
        tasks.push((
            "analytics of action attempts",
            tokio::spawn(analytics.run_attempts(ATTEMPTS_INTERVAL, shutdown.clone())),
        ));
    }
    Ok((progress, tasks))
}
