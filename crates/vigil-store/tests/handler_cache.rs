//! The command handler's cache of states never makes a rejection out of a stale state.
//!
//! Regression: the store announces an appended event (its head moves, subscribers react)
//! before the appending task has put the new state in the handler's cache. A reaction that
//! loaded the aggregate in between decided on the state before the append and, when that
//! state said no (a host "not registered" a moment after its registration), the rejection
//! stood: a rejection appends nothing, so no expected-version conflict caught it, and a
//! parked discovery went back to the parking for good.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use vigil_kernel::command::{CommandError, CommandHandler, CommandHandlerConfig};
use vigil_kernel::decider::{Decider, DomainEvent};
use vigil_kernel::envelope::EventMetadata;
use vigil_store::sqlite::{Db, DbOptions, Durability, SqliteEventStore};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
enum DoorEvent {
    Opened {},
    Passed {},
}

impl DomainEvent for DoorEvent {
    fn event_type(&self) -> &'static str {
        match self {
            DoorEvent::Opened {} => "Opened",
            DoorEvent::Passed {} => "Passed",
        }
    }
    fn schema_version_of(event_type: &str) -> Option<u32> {
        ["Opened", "Passed"].contains(&event_type).then_some(1)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct DoorState {
    open: bool,
    passed: u32,
}

#[derive(Clone, Debug)]
enum DoorCommand {
    Open,
    Pass,
}

#[derive(Debug, PartialEq, thiserror::Error)]
#[error("the door is closed")]
struct Closed;

struct Door;

impl Decider for Door {
    type State = DoorState;
    type Command = DoorCommand;
    type Event = DoorEvent;
    type Rejection = Closed;
    const CATEGORY: &'static str = "door";

    fn decide(state: &DoorState, command: DoorCommand) -> Result<Vec<DoorEvent>, Closed> {
        match command {
            DoorCommand::Open if state.open => Ok(vec![]),
            DoorCommand::Open => Ok(vec![DoorEvent::Opened {}]),
            DoorCommand::Pass if state.open => Ok(vec![DoorEvent::Passed {}]),
            DoorCommand::Pass => Err(Closed),
        }
    }

    fn evolve(state: DoorState, event: &DoorEvent) -> DoorState {
        match event {
            DoorEvent::Opened {} => DoorState { open: true, ..state },
            DoorEvent::Passed {} => DoorState { passed: state.passed + 1, ..state },
        }
    }
}

fn meta() -> EventMetadata {
    EventMetadata { time: chrono::Utc::now(), source: "/test".into(), correlation_id: None, causation_id: None }
}

#[tokio::test]
async fn a_rejection_is_checked_against_the_stream_as_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("vigil.db"), DbOptions { durability: Durability::Normal, ..Default::default() })
        .unwrap();
    let store = Arc::new(SqliteEventStore::open(db).await.unwrap());
    let handler = CommandHandler::<Door>::new(store.clone(), CommandHandlerConfig::default());
    // The handler has the closed door cached...
    assert_eq!(handler.state("d1").await.unwrap().1, 0);
    assert!(matches!(handler.handle("d1", DoorCommand::Pass, &meta()).await, Err(CommandError::Rejected(Closed))));
    // ...when the door is opened by a writer whose new state the cache has not seen (another
    // handler stands for the task that has appended and not yet remembered).
    let other = CommandHandler::<Door>::new(store.clone(), CommandHandlerConfig::default());
    other.handle("d1", DoorCommand::Open, &meta()).await.unwrap();

    let passed = handler.handle("d1", DoorCommand::Pass, &meta()).await.expect("the stored door is open");
    assert_eq!(passed.events, vec![DoorEvent::Passed {}]);
    assert_eq!(passed.stream_version, 2);
    assert_eq!(handler.state("d1").await.unwrap(), (Arc::new(DoorState { open: true, passed: 1 }), 2));

    // A rejection that holds against the stored stream still stands, and costs no append.
    let closed = CommandHandler::<Door>::new(store.clone(), CommandHandlerConfig::default());
    assert!(matches!(closed.handle("d2", DoorCommand::Pass, &meta()).await, Err(CommandError::Rejected(Closed))));
    assert!(vigil_kernel::store::EventStore::read_stream(store.as_ref(), "door-d2", 0).await.unwrap().is_empty());
}

/// How often a [`Tally`]'s state was copied.
static COPIES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct TallyState(u32);

impl Clone for TallyState {
    fn clone(&self) -> Self {
        COPIES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        TallyState(self.0)
    }
}

struct Tally;

impl Decider for Tally {
    type State = TallyState;
    type Command = ();
    type Event = DoorEvent;
    type Rejection = Closed;
    const CATEGORY: &'static str = "tally";

    fn decide(_: &TallyState, (): ()) -> Result<Vec<DoorEvent>, Closed> {
        Ok(vec![DoorEvent::Passed {}])
    }

    fn evolve(state: TallyState, _: &DoorEvent) -> TallyState {
        TallyState(state.0 + 1)
    }
}

/// A command on a cached aggregate evolves the cached state itself rather than a copy of it
/// (a host's state carries its whole discovery); a state a caller still holds is copied, and
/// what the caller holds does not change under it.
#[tokio::test]
async fn a_warm_command_moves_the_cached_state_instead_of_copying_it() {
    use std::sync::atomic::Ordering::SeqCst;
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("vigil.db"), DbOptions { durability: Durability::Normal, ..Default::default() })
        .unwrap();
    let store = Arc::new(SqliteEventStore::open(db).await.unwrap());
    let handler = CommandHandler::<Tally>::new(store, CommandHandlerConfig::default());
    handler.handle("t", (), &meta()).await.unwrap();
    let copies = COPIES.load(SeqCst);
    for _ in 0..10 {
        handler.handle("t", (), &meta()).await.unwrap();
    }
    assert_eq!(COPIES.load(SeqCst), copies, "no copy while nobody else holds the state");
    assert_eq!(handler.state("t").await.unwrap(), (Arc::new(TallyState(11)), 11));

    let held = handler.state("t").await.unwrap().0;
    handler.handle("t", (), &meta()).await.unwrap();
    assert_eq!(COPIES.load(SeqCst), copies + 1, "a held state is copied");
    assert_eq!(*held, TallyState(11), "and stays as it was for its holder");
    assert_eq!(handler.state("t").await.unwrap().1, 12);
}
