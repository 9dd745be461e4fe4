//! The Vigil agent and the scenario replayer: both speak the Trento agent's wire format
//! (`POST /api/v1/collect` with `X-Trento-Apikey`, `POST /api/v1/hosts/{id}/heartbeat`), so
//! Vigil can be driven by its own agent, by a real Trento agent, or by recorded payloads.
//!
//! * [`machine`] reads what a host discovery reports from the local machine (Linux).
//! * [`client`] is the HTTP client with Trento's headers.
//! * [`agent`] runs the discovery and heartbeat loops, backing off while the server is down.
//! * [`replay`] posts a directory of recorded discoveries.
//! * [`facts`] gathers the facts checks ask for (corosync, SBD, packages, units, sysctl, …).
#![deny(missing_docs)]

pub mod agent;
pub mod client;
pub mod facts;
pub mod machine;
pub mod replay;
