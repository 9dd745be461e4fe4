//! Guards around the engine: what a module must look like before regorus sees it, and the
//! bounded worker thread every compilation and test run happens on.
//!
//! regorus' parser backtracks on nested brackets: compiling `x := [[...[1]...]]` takes
//! about twice as long for every level (16 levels ≈ 1.4 s, 20 levels ≈ 27 s in a debug
//! build), and deep enough recursion overflows the stack, which aborts the process. So
//! the raw text is checked first ([`check_source`]: size and bracket nesting), and the
//! engine then runs on a dedicated thread with its own stack and a deadline
//! ([`run_bounded`]). A thread past its deadline is abandoned (it cannot be cancelled);
//! at most [`MAX_ENGINE_THREADS`] such threads exist at once, so abandoned ones cannot
//! pile up.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use crate::{PolicyError, PolicySet};

/// How many engine threads (running or abandoned past their deadline) may exist at once.
/// Beyond that a compilation is refused with [`PolicyError::Busy`] until one finishes.
pub const MAX_ENGINE_THREADS: usize = 8;

/// The stack of an engine thread. The nesting limit keeps recursion shallow; this is the
/// margin, reserved lazily by the OS.
const ENGINE_STACK_BYTES: usize = 32 * 1024 * 1024;

/// The longest accepted policy path, in bytes.
pub const MAX_PATH_BYTES: usize = 255;

static ENGINE_THREADS: AtomicUsize = AtomicUsize::new(0);

/// Limits on what is handed to the engine and how long it may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyLimits {
    /// The largest module source, in bytes. Default 256 KiB.
    pub max_source_bytes: usize,
    /// The deepest nesting of `[`, `{` and `(` (outside strings and comments). Default 16:
    /// the engine's time doubles with every level of brackets, and real policies rarely
    /// nest deeper than 6.
    pub max_nesting: usize,
    /// How long compiling a set (or running its tests, or one `eval`) may take. Default 2 s.
    pub timeout: Duration,
}

impl Default for PolicyLimits {
    fn default() -> Self {
        Self { max_source_bytes: 256 * 1024, max_nesting: 16, timeout: Duration::from_secs(2) }
    }
}

/// Whether `path` is an acceptable module path:
///
/// - relative: one or more `/`-separated segments, none empty (no leading, trailing or
///   doubled `/`);
/// - each segment made of `A-Z a-z 0-9 _ . -` and not starting with `.` (so no `.`, `..`
///   or hidden files);
/// - ending in `.rego`, with a name before it;
/// - at most [`MAX_PATH_BYTES`] bytes.
///
/// `default/authz.rego`, `extra.rego` and `team-a/v1.2/x_test.rego` are valid.
pub fn validate_policy_path(path: &str) -> Result<(), PolicyError> {
    let invalid = |reason: &str| PolicyError::InvalidPath { path: shorten(path), reason: reason.to_owned() };
    if path.is_empty() {
        return Err(invalid("it is empty"));
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(invalid(&format!("it is longer than {MAX_PATH_BYTES} bytes")));
    }
    for segment in path.split('/') {
        if segment.is_empty() {
            return Err(invalid("it must be relative, with no empty segment (`/x.rego`, `a//b.rego`, `a/`)"));
        }
        if segment.starts_with('.') {
            return Err(invalid("a segment may not start with `.` (no `.`, `..` or hidden names)"));
        }
        if !segment.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')) {
            return Err(invalid("segments may only contain A-Z, a-z, 0-9, `_`, `.` and `-`"));
        }
    }
    if !path.ends_with(".rego") {
        return Err(invalid("it must end in .rego"));
    }
    Ok(())
}

/// A path as quoted in an error: escaped, and cut after 80 characters.
fn shorten(path: &str) -> String {
    let mut short: String = path.chars().take(80).collect();
    if short.len() < path.len() {
        short.push('…');
    }
    format!("{short:?}")
}

/// Size and nesting of one module's raw text, before the engine sees it.
pub fn check_source(path: &str, source: &str, limits: &PolicyLimits) -> Result<(), PolicyError> {
    let too_complex = |message: String| PolicyError::TooComplex { path: shorten(path), message };
    if source.len() > limits.max_source_bytes {
        return Err(too_complex(format!(
            "its source is {} bytes, more than the limit of {}",
            source.len(),
            limits.max_source_bytes
        )));
    }
    let depth = nesting_depth(source);
    if depth > limits.max_nesting {
        return Err(too_complex(format!("brackets nest {depth} deep, more than the limit of {}", limits.max_nesting)));
    }
    Ok(())
}

/// [`check_source`] for every module of `set`.
pub(crate) fn check_set(set: &PolicySet, limits: &PolicyLimits) -> Result<(), PolicyError> {
    set.modules().try_for_each(|(path, source)| check_source(path, source, limits))
}

/// The deepest nesting of `[`, `{` and `(` in Rego text, not counting those inside string
/// literals (`"..."` with `\` escapes, `` `...` `` raw strings) or `#` comments. Unbalanced
/// closers are ignored (the engine reports them).
pub fn nesting_depth(source: &str) -> usize {
    #[derive(PartialEq)]
    enum State {
        Code,
        Str,
        StrEscape,
        Raw,
        Comment,
    }
    let mut state = State::Code;
    let (mut depth, mut max) = (0usize, 0usize);
    for c in source.chars() {
        state = match state {
            State::Code => match c {
                '"' => State::Str,
                '`' => State::Raw,
                '#' => State::Comment,
                '[' | '{' | '(' => {
                    depth += 1;
                    max = max.max(depth);
                    State::Code
                }
                ']' | '}' | ')' => {
                    depth = depth.saturating_sub(1);
                    State::Code
                }
                _ => State::Code,
            },
            State::Str => match c {
                '\\' => State::StrEscape,
                '"' | '\n' => State::Code,
                _ => State::Str,
            },
            State::StrEscape => State::Str,
            State::Raw => {
                if c == '`' {
                    State::Code
                } else {
                    State::Raw
                }
            }
            State::Comment => {
                if c == '\n' {
                    State::Code
                } else {
                    State::Comment
                }
            }
        };
    }
    max
}

/// Run `job` on a dedicated engine thread with its own stack, and wait at most
/// `timeout` for it. Past the deadline the thread is abandoned (it finishes, or not, on its
/// own) and the caller gets [`PolicyError::Timeout`]; with [`MAX_ENGINE_THREADS`] engine
/// threads alive, [`PolicyError::Busy`] without starting one.
pub(crate) fn run_bounded<T, F>(timeout: Duration, job: F) -> Result<T, PolicyError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    ENGINE_THREADS
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < MAX_ENGINE_THREADS).then_some(n + 1))
        .map_err(|_| PolicyError::Busy { max: MAX_ENGINE_THREADS })?;
    // Released when the thread ends, however it ends.
    struct Slot;
    impl Drop for Slot {
        fn drop(&mut self) {
            ENGINE_THREADS.fetch_sub(1, Ordering::AcqRel);
        }
    }
    let (sender, receiver) = mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new().name("vigil-policy-engine".into()).stack_size(ENGINE_STACK_BYTES).spawn(
        move || {
            let _slot = Slot;
            // The caller may have given up; nobody to tell then.
            let _ = sender.send(job());
        },
    );
    if let Err(error) = spawned {
        ENGINE_THREADS.fetch_sub(1, Ordering::AcqRel);
        return Err(PolicyError::Compile { message: format!("cannot start a policy engine thread: {error}") });
    }
    match receiver.recv_timeout(timeout) {
        Ok(value) => Ok(value),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(PolicyError::Timeout { timeout }),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err(PolicyError::Compile { message: "the policy engine panicked".to_owned() })
        }
    }
}

/// How many engine threads exist now (for tests).
#[cfg(test)]
pub(crate) fn engine_threads() -> usize {
    ENGINE_THREADS.load(Ordering::Acquire)
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[test]
    fn nesting_counts_brackets_braces_and_parens() {
        assert_eq!(nesting_depth("package p\nx := 1\n"), 0);
        assert_eq!(nesting_depth("x := [1, {\"a\": (2)}]"), 3);
        assert_eq!(nesting_depth("a := [[1]]\nb := [2]\n"), 2);
        let deep = format!("package fuzz.deep\nx := {}1{}", "[".repeat(22), "]".repeat(22));
        assert_eq!(nesting_depth(&deep), 22);
    }

    #[test]
    fn nesting_ignores_strings_and_comments() {
        assert_eq!(nesting_depth(r#"x := "[[[[{{{{((((""#), 0);
        assert_eq!(nesting_depth(r#"x := "a \" [[[[ \\" "#), 0, "escaped quote stays in the string");
        assert_eq!(nesting_depth(r#"x := "\\" y := [1]"#), 1, "an escaped backslash ends the escape");
        assert_eq!(nesting_depth("x := `[[[[ \" {{{{`\ny := [1]"), 1);
        assert_eq!(nesting_depth("# [[[[[[[[[[\nx := [1] # {{{{{{\n"), 1);
        assert_eq!(nesting_depth("x := \"#\"\ny := [[1]]"), 2, "a # in a string is no comment");
        assert_eq!(nesting_depth("]]]] x := [1]"), 1, "stray closers do not go negative");
    }

    #[test]
    fn the_default_bundle_is_well_within_the_limits() {
        let limits = PolicyLimits::default();
        for (path, source) in PolicySet::default_bundle().modules() {
            validate_policy_path(path).expect("valid path");
            check_source(path, source, &limits).expect("within limits");
            assert!(nesting_depth(source) <= 8, "{path} nests {}", nesting_depth(source));
        }
    }

    #[test]
    fn sources_too_deep_or_too_large_are_refused() {
        let limits = PolicyLimits::default();
        let deep = format!("package fuzz.deep\nx := {}1{}", "[".repeat(22), "]".repeat(22));
        let error = check_source("deep.rego", &deep, &limits).unwrap_err();
        assert!(matches!(&error, PolicyError::TooComplex { message, .. } if message.contains("22 deep")), "{error}");
        let large = format!("package big\n# {}\n", "x".repeat(limits.max_source_bytes));
        assert!(matches!(check_source("big.rego", &large, &limits), Err(PolicyError::TooComplex { .. })));
    }

    #[test]
    fn paths_follow_the_grammar() {
        for ok in ["extra.rego", "default/authz.rego", "team-a/v1.2/x_test.rego", "A9.rego"] {
            validate_policy_path(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        let long = format!("{}.rego", "a".repeat(5000));
        for bad in [
            "",
            "../../etc/passwd",
            "../x.rego",
            "a/../x.rego",
            "./x.rego",
            "/abs.rego",
            "a//b.rego",
            "a/",
            ".rego",
            ".hidden.rego",
            "x.rego\0",
            "nul\0.rego",
            "sp ace.rego",
            "back\\slash.rego",
            "x.txt",
            "x.rego/",
            "ünï.rego",
            &long,
        ] {
            let error = validate_policy_path(bad).expect_err(bad);
            assert!(matches!(error, PolicyError::InvalidPath { .. }));
            assert!(error.to_string().len() < 300, "the message quotes a shortened path: {error}");
        }
    }

    #[test]
    fn a_slow_job_is_cut_by_the_deadline_and_its_thread_released_later() {
        let started = Instant::now();
        let outcome = run_bounded(Duration::from_millis(50), || std::thread::sleep(Duration::from_millis(400)));
        assert!(matches!(outcome, Err(PolicyError::Timeout { .. })), "{outcome:?}");
        assert!(started.elapsed() < Duration::from_millis(350), "waited {:?}", started.elapsed());
        // Other tests may run engine threads too; ours ends within 400 ms and frees its slot.
        let deadline = Instant::now() + Duration::from_secs(10);
        while engine_threads() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(engine_threads() < MAX_ENGINE_THREADS);
    }

    #[test]
    fn a_fast_job_returns_its_value_and_a_panic_is_an_error() {
        assert_eq!(run_bounded(Duration::from_secs(5), || 41 + 1).unwrap(), 42);
        let panicked = run_bounded(Duration::from_secs(5), || -> u8 { panic!("boom") });
        assert!(matches!(panicked, Err(PolicyError::Compile { .. })));
    }

    #[test]
    fn the_engine_runs_on_a_deep_enough_stack() {
        fn recurse(n: u64) -> u64 {
            let pad = [n; 64];
            if n == 0 { 0 } else { std::hint::black_box(pad)[0] + recurse(n - 1) - n + 1 }
        }
        // 20k frames of > 512 bytes: past a default 2 MiB thread stack.
        let depth = run_bounded(Duration::from_secs(30), || recurse(20_000)).unwrap();
        assert_eq!(depth, 20_000);
    }
}
