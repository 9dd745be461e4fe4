//! `vigil events list|tail`: read the store of a data directory directly, and print each
//! event as the API lists it (an outside one as it was sent, each with its topic).

use std::process::ExitCode;
use std::time::Duration;

use vigil_kernel::envelope::RecordedEvent;
use vigil_kernel::store::{EventQuery, EventStore};
use vigil_server::config::ServerConfig;
use vigil_store::SqliteEventStore;

use crate::args::EventsCommand;
use crate::settings::FileConfig;

pub async fn run(file: &FileConfig, command: EventsCommand) -> anyhow::Result<ExitCode> {
    let data = match &command {
        EventsCommand::List(a) => &a.data,
        EventsCommand::Tail(a) => &a.data,
    };
    let config = ServerConfig { data_dir: file.data_dir(data), ..file.server.clone() };
    anyhow::ensure!(config.database_path().exists(), "no database in {}", config.data_dir.display());
    let store = SqliteEventStore::open(vigil_server::app::open_db(&config)?).await?;
    match command {
        EventsCommand::List(a) => {
            let query =
                EventQuery { after_position: a.after, subject: a.subject, event_type: a.event_type, limit: a.limit };
            print(&store.query(query).await?)?;
        }
        EventsCommand::Tail(a) => {
            let head = *store.head().borrow();
            let mut after = head.saturating_sub(a.lines);
            // Another process writes the file, so there is no in-process notification to
            // wait on; a quarter-second poll of an indexed range is cheap.
            loop {
                let events = store.read_all(after, 1000).await?;
                match events.last() {
                    Some(last) => {
                        after = last.position;
                        print(&events)?;
                    }
                    None => tokio::time::sleep(Duration::from_millis(250)).await,
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print(events: &[RecordedEvent]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for e in events {
        serde_json::to_writer(&mut out, &vigil_reactions::cloudevents::listed(e))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
