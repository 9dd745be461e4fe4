//! The newest committed events, kept in memory.
//!
//! Every subscriber that has caught up (each projection, the process manager, the audit
//! log) reads the store again after every commit, for the one or two events it brought. At
//! 10,000 agents that was a SQLite read on a blocking thread per subscriber and commit: an
//! eighth of the server's CPU. The writer hands each commit's events here before it moves
//! the head, so a subscriber that is at most a window behind reads them from memory; one
//! further behind (a rebuild, a start-up) reads SQLite as before.

use std::collections::VecDeque;
use std::sync::Mutex;

use vigil_kernel::envelope::RecordedEvent;

/// At most this many events are kept...
const MAX_EVENTS: usize = 4096;
/// ...and at most about this many bytes of them.
const MAX_BYTES: usize = 8 << 20;

/// A gap-free run of the newest committed events.
#[derive(Default)]
pub(super) struct RecentEvents {
    window: Mutex<Window>,
}

#[derive(Default)]
struct Window {
    events: VecDeque<RecordedEvent>,
    bytes: usize,
}

impl Window {
    fn first(&self) -> Option<u64> {
        self.events.front().map(|e| e.position)
    }

    fn last(&self) -> Option<u64> {
        self.events.back().map(|e| e.position)
    }
}

fn size(event: &RecordedEvent) -> usize {
    let e = &event.event;
    256 + event.stream_id.len() + e.event_type.len() + e.source.len() + e.subject.len() + e.data.len()
}

impl RecentEvents {
    /// Adds events just committed, in position order. A gap (positions this store did not
    /// see committed) starts the window again, so that it never claims to be complete
    /// where it is not.
    pub(super) fn push(&self, events: Vec<RecordedEvent>) {
        let mut window = self.window.lock().expect("recent events lock");
        for event in events {
            if window.last().is_some_and(|last| event.position != last + 1) {
                *window = Window::default();
            }
            window.bytes += size(&event);
            window.events.push_back(event);
        }
        while window.events.len() > MAX_EVENTS || (window.bytes > MAX_BYTES && window.events.len() > 1) {
            let dropped = window.events.pop_front().expect("the window is not empty");
            window.bytes -= size(&dropped);
        }
    }

    /// The events after `after`, through at most `after + limit`, that `keep` accepts, and
    /// the position read through; `None` when the window does not start at or before
    /// `after + 1` (the caller reads the database instead).
    pub(super) fn read(
        &self,
        after: u64,
        limit: usize,
        keep: impl Fn(&RecordedEvent) -> bool,
    ) -> Option<(Vec<RecordedEvent>, u64)> {
        let window = self.window.lock().expect("recent events lock");
        let (first, last) = (window.first()?, window.last()?);
        if after.checked_add(1)? < first || after > last {
            return None;
        }
        let through = after.saturating_add(limit as u64).min(last);
        let (start, end) = ((after + 1 - first) as usize, (through + 1 - first) as usize);
        Some((window.events.range(start..end).filter(|e| keep(e)).cloned().collect(), through))
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;
    use vigil_kernel::envelope::NewEvent;

    use super::*;

    fn event(position: u64, stream_id: &str) -> RecordedEvent {
        RecordedEvent {
            position,
            stream_id: stream_id.to_owned(),
            stream_version: 1,
            event: NewEvent {
                id: Uuid::now_v7(),
                event_type: "Happened".into(),
                schema_version: 1,
                source: "/test".into(),
                subject: "x".into(),
                time: Utc::now(),
                data: "{}".into(),
                correlation_id: None,
                causation_id: None,
            },
        }
    }

    fn positions(read: Option<(Vec<RecordedEvent>, u64)>) -> Option<(Vec<u64>, u64)> {
        read.map(|(events, through)| (events.iter().map(|e| e.position).collect(), through))
    }

    #[test]
    fn serves_what_it_holds_and_refuses_what_it_does_not() {
        let recent = RecentEvents::default();
        assert_eq!(positions(recent.read(0, 10, |_| true)), None, "empty: the database answers");
        recent.push((5..=9).map(|p| event(p, "host-a")).collect());
        assert_eq!(positions(recent.read(3, 10, |_| true)), None, "position 4 is not held");
        assert_eq!(positions(recent.read(4, 10, |_| true)), Some((vec![5, 6, 7, 8, 9], 9)));
        assert_eq!(positions(recent.read(6, 2, |_| true)), Some((vec![7, 8], 8)), "limit bounds the window");
        assert_eq!(positions(recent.read(9, 10, |_| true)), Some((vec![], 9)), "caught up");
        assert_eq!(positions(recent.read(10, 10, |_| true)), None, "ahead of what it saw");
    }

    #[test]
    fn filters_within_the_window_and_reports_the_window_read() {
        let recent = RecentEvents::default();
        recent.push(vec![event(1, "host-a"), event(2, "cluster-b"), event(3, "host-c"), event(4, "cluster-d")]);
        let read = recent.read(0, 3, |e| e.stream_id.starts_with("host-"));
        assert_eq!(positions(read), Some((vec![1, 3], 3)));
    }

    #[test]
    fn a_gap_starts_the_window_again() {
        let recent = RecentEvents::default();
        recent.push(vec![event(1, "host-a"), event(2, "host-a")]);
        recent.push(vec![event(5, "host-a")]);
        assert_eq!(positions(recent.read(1, 10, |_| true)), None, "3 and 4 were never seen");
        assert_eq!(positions(recent.read(4, 10, |_| true)), Some((vec![5], 5)));
    }

    #[test]
    fn keeps_only_the_newest() {
        let recent = RecentEvents::default();
        recent.push((1..=(MAX_EVENTS as u64 + 10)).map(|p| event(p, "host-a")).collect());
        assert_eq!(positions(recent.read(0, 10, |_| true)), None);
        let (events, through) = recent.read(10, MAX_EVENTS, |_| true).expect("the newest are held");
        assert_eq!((events.len(), through), (MAX_EVENTS, MAX_EVENTS as u64 + 10));
    }
}
