//! What a batch of appends does, decided in memory while the writer holds the head row.
//!
//! Under that lock no other writer can append, so the stream versions and event ids read
//! at the start of the batch stay true until its commit: every append of the batch is
//! checked against them (and against the appends before it in the same batch) without a
//! round trip, and only the accepted ones are inserted, in one statement.

use std::collections::HashMap;

use uuid::Uuid;
use vigil_kernel::envelope::NewEvent;
use vigil_kernel::store::{AppendError, Appended, ExpectedVersion};

/// Where a stored (or, in this batch, accepted) event is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Placed {
    pub stream_id: String,
    pub stream_version: u64,
    pub position: u64,
}

/// What one append comes to.
#[derive(Debug, PartialEq)]
pub(super) enum Outcome {
    /// New events, to insert from `first_position` and `first_version` on.
    New { appended: Appended, first_position: u64, first_version: u64 },
    /// A retry of events stored already: nothing to write, the first answer again.
    Retried(Appended),
}

/// The store as the batch sees it: the versions of its streams and the events its ids
/// name, stored or accepted earlier in the batch.
#[derive(Debug, Default)]
pub(super) struct BatchState {
    /// The position the next accepted event gets.
    pub next_position: u64,
    versions: HashMap<String, u64>,
    ids: HashMap<Uuid, Placed>,
}

impl BatchState {
    /// The state after `head`, with the versions of the batch's streams (a stream missing
    /// here has none) and the stored events among the batch's ids.
    pub fn new(head: u64, versions: HashMap<String, u64>, stored: impl IntoIterator<Item = (Uuid, Placed)>) -> Self {
        BatchState { next_position: head + 1, versions, ids: stored.into_iter().collect() }
    }

    /// The last position given out (the head once the batch commits).
    pub fn head(&self) -> u64 {
        self.next_position - 1
    }

    /// Decides one append, as the SQLite adapter does: a retry of stored ids returns the
    /// first answer; otherwise the expected version must hold and every id must be new.
    pub fn plan(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: &[NewEvent],
    ) -> Result<Outcome, AppendError> {
        if let Some(previous) = self.already_appended(stream_id, events)? {
            return Ok(Outcome::Retried(previous));
        }
        let actual = self.versions.get(stream_id).copied().unwrap_or(0);
        if let ExpectedVersion::Exactly(v) = expected
            && v != actual
        {
            return Err(AppendError::Conflict { stream_id: stream_id.to_owned(), expected, actual });
        }
        let mut seen = std::collections::HashSet::with_capacity(events.len());
        if let Some(e) = events.iter().find(|e| self.ids.contains_key(&e.id) || !seen.insert(e.id)) {
            return Err(AppendError::IdReused { event_id: e.id });
        }
        let n = events.len() as u64;
        let appended =
            Appended { stream_version: actual + n, last_position: (n > 0).then(|| self.next_position + n - 1) };
        Ok(Outcome::New { appended, first_position: self.next_position, first_version: actual + 1 })
    }

    /// Records an accepted append, so the appends after it in the batch see it.
    pub fn accept(&mut self, stream_id: &str, events: &[NewEvent], outcome: &Outcome) {
        let Outcome::New { appended, first_position, first_version } = outcome else { return };
        for (i, e) in events.iter().enumerate() {
            let placed = Placed {
                stream_id: stream_id.to_owned(),
                stream_version: first_version + i as u64,
                position: first_position + i as u64,
            };
            self.ids.insert(e.id, placed);
        }
        self.versions.insert(stream_id.to_owned(), appended.stream_version);
        self.next_position = first_position + events.len() as u64;
    }

    /// A retried append (same event ids) gets what the first one did. Ids that exist but
    /// belong to other events are refused rather than silently dropped.
    fn already_appended(&self, stream_id: &str, events: &[NewEvent]) -> Result<Option<Appended>, AppendError> {
        let mut found = None;
        for (i, e) in events.iter().enumerate() {
            match (self.ids.get(&e.id), i) {
                (None, 0) => return Ok(None),
                (Some(placed), _) if placed.stream_id == stream_id => {
                    found =
                        Some(Appended { stream_version: placed.stream_version, last_position: Some(placed.position) })
                }
                _ => return Err(AppendError::IdReused { event_id: e.id }),
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn event() -> NewEvent {
        NewEvent {
            id: Uuid::now_v7(),
            event_type: "Ticked".into(),
            schema_version: 1,
            source: "/test".into(),
            subject: "s".into(),
            time: Utc::now(),
            data: "{}".into(),
            correlation_id: None,
            causation_id: None,
        }
    }

    fn state(head: u64, versions: &[(&str, u64)]) -> BatchState {
        BatchState::new(head, versions.iter().map(|(s, v)| (s.to_string(), *v)).collect(), [])
    }

    #[test]
    fn appends_in_one_batch_see_each_other() {
        let mut s = state(10, &[("t-a", 2)]);
        let first = vec![event(), event()];
        let outcome = s.plan("t-a", ExpectedVersion::Exactly(2), &first).unwrap();
        assert_eq!(
            outcome,
            Outcome::New {
                appended: Appended { stream_version: 4, last_position: Some(12) },
                first_position: 11,
                first_version: 3
            }
        );
        s.accept("t-a", &first, &outcome);
        // The same expectation again is now stale; the retry of the first is recognised.
        let err = s.plan("t-a", ExpectedVersion::Exactly(2), &[event()]).unwrap_err();
        assert!(matches!(err, AppendError::Conflict { actual: 4, .. }), "{err}");
        let retried = s.plan("t-a", ExpectedVersion::Exactly(2), &first).unwrap();
        assert_eq!(retried, Outcome::Retried(Appended { stream_version: 4, last_position: Some(12) }));
        assert_eq!(s.head(), 12);
    }

    #[test]
    fn an_id_twice_in_one_append_or_in_another_stream_is_refused() {
        let mut s = state(0, &[]);
        let e = event();
        let err = s.plan("t-a", ExpectedVersion::Any, &[e.clone(), e.clone()]).unwrap_err();
        assert!(matches!(err, AppendError::IdReused { .. }));
        let outcome = s.plan("t-a", ExpectedVersion::Any, std::slice::from_ref(&e)).unwrap();
        s.accept("t-a", std::slice::from_ref(&e), &outcome);
        assert!(matches!(s.plan("t-b", ExpectedVersion::Any, &[e]).unwrap_err(), AppendError::IdReused { .. }));
        // A new first id with a stored one after it is a reuse, not a retry.
        let stored = s.ids.keys().next().copied().unwrap();
        let mixed = vec![event(), NewEvent { id: stored, ..event() }];
        assert!(matches!(s.plan("t-a", ExpectedVersion::Any, &mixed).unwrap_err(), AppendError::IdReused { .. }));
    }

    #[test]
    fn an_empty_append_checks_the_version_and_takes_no_position() {
        let s = state(5, &[("t-e", 1)]);
        assert_eq!(
            s.plan("t-e", ExpectedVersion::Exactly(1), &[]).unwrap(),
            Outcome::New {
                appended: Appended { stream_version: 1, last_position: None },
                first_position: 6,
                first_version: 2
            }
        );
        assert!(s.plan("t-e", ExpectedVersion::Exactly(0), &[]).is_err());
    }
}
