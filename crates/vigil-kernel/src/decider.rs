//! Aggregates as deciders: pure functions from state and command to events.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::upcast::Upcaster;

/// An aggregate written as a decider.
///
/// `decide` holds the business rules and `evolve` folds events into state. Both are pure:
/// no I/O, no clock (time arrives on the command), so they test without setup and replay
/// identically forever.
pub trait Decider {
    /// What the aggregate remembers between commands; `Default` is the state of a stream
    /// that has no events yet.
    type State: Default + Clone + Send + Sync + 'static;
    /// What may be asked of the aggregate.
    type Command: Clone + Send + Sync + 'static;
    /// What happened, as stored.
    type Event: DomainEvent;
    /// Why a command was refused; reaches the caller typed.
    type Rejection: std::error::Error + Send + Sync + 'static;
    /// The stream category; an aggregate `id` lives in stream `"{CATEGORY}-{id}"`.
    const CATEGORY: &'static str;

    /// Applies the business rules: which events (possibly none) the command produces.
    fn decide(state: &Self::State, command: Self::Command) -> Result<Vec<Self::Event>, Self::Rejection>;

    /// Folds one event into the state.
    fn evolve(state: Self::State, event: &Self::Event) -> Self::State;

    /// The stream id of the aggregate `id`.
    fn stream_id(id: &str) -> String {
        format!("{}-{}", Self::CATEGORY, id)
    }

    /// Folds a history into a state, starting from the empty state.
    fn fold<'a>(events: impl IntoIterator<Item = &'a Self::Event>) -> Self::State
    where
        Self::Event: 'a,
    {
        events.into_iter().fold(Self::State::default(), Self::evolve)
    }
}

/// An event enum of one aggregate, serialised with `#[serde(tag = "type", content = "data")]`
/// so that the variant name is the stored event type and its fields are the stored data.
pub trait DomainEvent: Serialize + DeserializeOwned + Clone + Send + Sync + std::fmt::Debug + 'static {
    /// The stable stored name of this event's type, e.g. `HostRegistered`.
    fn event_type(&self) -> &'static str;

    /// The current schema version of a type this enum knows, `None` for a foreign type.
    fn schema_version_of(event_type: &str) -> Option<u32>;

    /// Upcasters that turn older stored versions into the current one.
    fn upcasters() -> &'static [Upcaster] {
        &[]
    }

    /// The current schema version of this event.
    fn schema_version(&self) -> u32 {
        Self::schema_version_of(self.event_type()).unwrap_or(1)
    }
}

/// The events of one decision so far, and the state they lead to: a `decide` that emits
/// several events checks each next rule against the state so far.
pub struct Emitter<D: Decider> {
    state: D::State,
    events: Vec<D::Event>,
}

impl<D: Decider> Emitter<D> {
    /// Starts from `state`.
    pub fn new(state: &D::State) -> Self {
        Emitter { state: state.clone(), events: Vec::new() }
    }

    /// The state after the events emitted so far.
    pub fn state(&self) -> &D::State {
        &self.state
    }

    /// Emits `event` and folds it into the state.
    pub fn emit(&mut self, event: D::Event) {
        self.state = D::evolve(std::mem::take(&mut self.state), &event);
        self.events.push(event);
    }

    /// The events emitted.
    pub fn into_events(self) -> Vec<D::Event> {
        self.events
    }
}

/// Replays `given` events, runs `when`, and returns what `decide` said: the one helper
/// behind every *given / when / then* test of a decider.
pub fn given_when<D: Decider>(given: &[D::Event], when: D::Command) -> Result<Vec<D::Event>, D::Rejection> {
    D::decide(&D::fold(given), when)
}
