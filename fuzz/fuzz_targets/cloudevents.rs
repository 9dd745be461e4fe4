//! The CloudEvents parser as the HTTP endpoint calls it. The input is a request: header
//! lines (`name: value`), an empty line, then the body. Parsing must return events or a
//! refusal, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_reactions::cloudevents::from_http;

fuzz_target!(|data: &[u8]| {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let mut headers: Vec<(String, &[u8])> = Vec::new();
    for line in head.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else { continue };
        let Ok(name) = std::str::from_utf8(&line[..colon]) else { continue };
        let value = &line[colon + 1..];
        headers.push((name.trim().to_owned(), value.strip_prefix(b" ").unwrap_or(value)));
    }
    let _ = from_http(headers.iter().map(|(name, value)| (name.as_str(), *value)), body);
});
