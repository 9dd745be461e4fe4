//! The ScenarioDetector on any payload: the first byte picks the discovery type, the rest
//! is the payload. Detection must return commands or an `InvalidDiscovery`, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_landscape::discovery::{Discovery, DiscoveryType, ScenarioDetector};

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let Ok(payload) = std::str::from_utf8(rest) else { return };
    let discovery_type = DiscoveryType::ALL[first as usize % DiscoveryType::ALL.len()];
    let discovery = Discovery { agent_id: uuid::Uuid::from_u128(1), discovery_type, payload };
    let _ = ScenarioDetector::detect(&discovery, &Default::default());
});
