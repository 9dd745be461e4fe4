//! Masking secrets out of input documents before they are recorded.

use serde_json::Value;

/// What a masked value is replaced with. A fixed string, not a hash, so that records
/// cannot be used to confirm a guessed secret.
pub const MASKED: &str = "***";

/// A copy of `input` with the value at every path in `paths` replaced by `"***"`.
///
/// Two path forms are accepted, as produced by the `data.vigil.audit.mask` rule:
///
/// * dot-separated: `command.body.password`. `*` matches any one object key or array
///   index, `**` any number of them (zero included), so `**.api_key` masks every `api_key`
///   field at any depth. A numeric segment also selects an array element.
/// * a JSON Pointer (RFC 6901) when the path starts with `/`: `/command/body/a.b` for keys
///   that contain dots. Segments are literal; `~1` and `~0` stand for `/` and `~`.
///
/// Paths that match nothing are ignored: the mask lists what to hide if present. An
/// empty path is ignored too, rather than read as "the whole document", since it is far
/// more likely a policy bug than an intent.
pub fn mask<S: AsRef<str>>(input: &Value, paths: &[S]) -> Value {
    let mut masked = input.clone();
    mask_in_place(&mut masked, paths);
    masked
}

/// [`mask`] without the copy.
pub fn mask_in_place<S: AsRef<str>>(input: &mut Value, paths: &[S]) {
    for path in paths {
        let segments = parse(path.as_ref());
        if !segments.is_empty() {
            apply(input, &segments);
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Key(String),
    AnyOne,
    AnyDepth,
}

fn parse(path: &str) -> Vec<Segment> {
    if path.is_empty() {
        return Vec::new();
    }
    if let Some(pointer) = path.strip_prefix('/') {
        return pointer.split('/').map(|segment| Segment::Key(segment.replace("~1", "/").replace("~0", "~"))).collect();
    }
    path.split('.')
        .map(|segment| match segment {
            "*" => Segment::AnyOne,
            "**" => Segment::AnyDepth,
            key => Segment::Key(key.to_owned()),
        })
        .collect()
}

fn apply(value: &mut Value, segments: &[Segment]) {
    let Some((first, rest)) = segments.split_first() else {
        *value = Value::String(MASKED.to_owned());
        return;
    };
    match first {
        Segment::Key(key) => {
            if let Some(child) = child_mut(value, key) {
                apply(child, rest);
            }
        }
        Segment::AnyOne => {
            for child in children_mut(value) {
                apply(child, rest);
            }
        }
        Segment::AnyDepth => {
            // One or more levels down first (keeping `**`), then zero levels: if the rest
            // matches this value itself it is masked whole and its children no longer matter.
            for child in children_mut(value) {
                apply(child, segments);
            }
            apply(value, rest);
        }
    }
}

fn child_mut<'a>(value: &'a mut Value, key: &str) -> Option<&'a mut Value> {
    match value {
        Value::Object(map) => map.get_mut(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
        _ => None,
    }
}

fn children_mut(value: &mut Value) -> Box<dyn Iterator<Item = &mut Value> + '_> {
    match value {
        Value::Object(map) => Box::new(map.values_mut()),
        Value::Array(items) => Box::new(items.iter_mut()),
        _ => Box::new(std::iter::empty()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(input: Value, paths: &[&str], expected: Value) {
        assert_eq!(mask(&input, paths), expected, "paths {paths:?}");
    }

    #[test]
    fn masks_a_dotted_path() {
        check(
            json!({"command": {"body": {"password": "hunter2", "user": "bob"}}}),
            &["command.body.password"],
            json!({"command": {"body": {"password": "***", "user": "bob"}}}),
        );
    }

    #[test]
    fn masks_whole_subtrees_and_non_strings() {
        check(
            json!({"a": {"secret": {"x": 1}, "n": 5}}),
            &["a.secret", "a.n"],
            json!({"a": {"secret": "***", "n": "***"}}),
        );
    }

    #[test]
    fn missing_paths_are_ignored() {
        let input = json!({"command": {"body": {}}});
        check(input.clone(), &["command.body.password", "x.y.z", ""], input);
    }

    #[test]
    fn double_star_matches_at_any_depth_including_arrays() {
        check(
            json!({"api_key": "k0", "a": {"api_key": "k1", "list": [{"api_key": "k2"}, 3]}}),
            &["**.api_key"],
            json!({"api_key": "***", "a": {"api_key": "***", "list": [{"api_key": "***"}, 3]}}),
        );
    }

    #[test]
    fn single_star_matches_one_level() {
        check(
            json!({"hosts": [{"token": "a"}, {"token": "b"}], "token": "top"}),
            &["hosts.*.token"],
            json!({"hosts": [{"token": "***"}, {"token": "***"}], "token": "top"}),
        );
    }

    #[test]
    fn numeric_segments_index_arrays() {
        check(json!({"a": [1, 2, 3]}), &["a.1"], json!({"a": [1, "***", 3]}));
    }

    #[test]
    fn json_pointers_reach_keys_with_dots_and_slashes() {
        check(
            json!({"a.b": {"c/d": "s", "e~f": "t"}}),
            &["/a.b/c~1d", "/a.b/e~0f"],
            json!({"a.b": {"c/d": "***", "e~f": "***"}}),
        );
    }
}
