//! The host address index: which hosts answer at an address. An application instance names
//! its database by address (`DBAddress`), so finding its database must not read every
//! database and host; with this index it reads the few that run on that address.

use rusqlite::{Connection, params};
use vigil_kernel::envelope::RecordedEvent;
use vigil_landscape::host::{HostDetails, HostEvent};

use super::{TableProjection, decode};

/// Keeps `host_addresses`: one row per host and address, the prefix length left out.
pub struct HostAddressesProjection;

impl TableProjection for HostAddressesProjection {
    const NAME: &'static str = "host_addresses";
    const SCHEMA: &'static str = "
        CREATE TABLE IF NOT EXISTS host_addresses (
            address TEXT NOT NULL,
            host_id TEXT NOT NULL,
            PRIMARY KEY (address, host_id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS host_addresses_by_host ON host_addresses (host_id);";
    const RESET: &'static str = "DELETE FROM host_addresses;";
    const DROP: &'static str = "DROP TABLE IF EXISTS host_addresses;";
    const CATEGORIES: Option<&'static [&'static str]> = Some(&["host"]);

    fn apply(conn: &Connection, recorded: &RecordedEvent) -> rusqlite::Result<()> {
        // Only these two carry addresses; the others are not even decoded.
        if !matches!(recorded.event.event_type.as_str(), "HostRegistered" | "HostDetailsUpdated") {
            return Ok(());
        }
        let (host_id, details) = match decode::<HostEvent>(recorded)? {
            HostEvent::HostRegistered(e) => (e.host_id, e.details),
            HostEvent::HostDetailsUpdated(e) => (e.host_id, e.details),
            _ => return Ok(()),
        };
        let host_id = host_id.to_string();
        conn.prepare_cached("DELETE FROM host_addresses WHERE host_id = ?1")?.execute([&host_id])?;
        let mut insert =
            conn.prepare_cached("INSERT OR IGNORE INTO host_addresses (address, host_id) VALUES (?1, ?2)")?;
        for address in addresses(&details) {
            insert.execute(params![address, host_id])?;
        }
        Ok(())
    }
}

/// The host's addresses as a database directory compares them: trimmed, without `/prefix`.
fn addresses(details: &HostDetails) -> impl Iterator<Item = &str> {
    details.ip_addresses.iter().map(|a| {
        let a = a.trim();
        a.split_once('/').map_or(a, |(ip, _)| ip)
    })
}
