//! The CloudEvents 1.0 spec, its JSON format and its HTTP binding, one case a line. The
//! valid and invalid cases follow the JSON-format cases of the CloudEvents conformance suite
//! (missing and empty required attributes, times, extension names and values, `data` with
//! `data_base64`, batches), written anew with the refusal each must get, plus what the suite
//! leaves to the binding (binary mode, the choice of mode).

use super::*;

const MINIMAL: &str =
    r#""specversion": "1.0", "id": "e-1", "source": "https://ci.example.com", "type": "build.failed""#;

/// The minimal event with `extra` members after it.
fn with(extra: &str) -> String {
    if extra.is_empty() { format!("{{{MINIMAL}}}") } else { format!("{{{MINIMAL}, {extra}}}") }
}

/// Compares each case's outcome with what it expects (`""`: accepted; else the refusal's
/// text), and reports every case that differs at once.
fn check(cases: &[(&str, String, &str)], parse: impl Fn(&str) -> Result<(), String>) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, input, expected)| {
            let outcome = parse(input);
            let as_expected = match (&outcome, *expected) {
                (Ok(()), "") => true,
                (Err(message), expected) => message == expected,
                _ => false,
            };
            (!as_expected).then(|| format!("{name}: expected {expected:?}, got {outcome:?}\n  input: {input}"))
        })
        .collect();
    assert!(failures.is_empty(), "{} case(s) differ:\n{}", failures.len(), failures.join("\n"));
}

fn structured(text: &str) -> Result<(), String> {
    parse_structured(text).map(|_| ()).map_err(|v| v.to_string())
}

#[test]
fn structured_events_are_accepted_or_refused_as_the_spec_says() {
    let src = r#""source": "https://ci.example.com""#;
    let cases: Vec<(&str, String, &str)> = vec![
        // Valid.
        ("minimal", with(""), ""),
        ("optional attributes null", with(r#""datacontenttype": null, "dataschema": null, "subject": null, "time": null"#), ""),
        (
            "every core attribute",
            with(r#""datacontenttype": "text/plain", "dataschema": "https://ci.example.com/schema", "subject": "job-7", "time": "2018-04-05T17:31:00Z""#),
            "",
        ),
        ("time in nanoseconds", with(r#""time": "2018-04-05T17:31:00.000000000Z""#), ""),
        ("time with a positive offset", with(r#""time": "2018-04-05T18:31:00+01:00""#), ""),
        ("time with a negative offset", with(r#""time": "2018-04-05T16:31:00-01:00""#), ""),
        ("time in lowercase t and z", with(r#""time": "2018-04-05t17:31:00z""#), ""),
        ("time on a leap second", with(r#""time": "2016-12-31T23:59:60Z""#), ""),
        ("source a fragment", r##"{"specversion": "1.0", "id": "e", "type": "t", "source": "#fragment"}"##.into(), ""),
        ("source a network path", r#"{"specversion": "1.0", "id": "e", "type": "t", "source": "//authority/path"}"#.into(), ""),
        ("source a path", r#"{"specversion": "1.0", "id": "e", "type": "t", "source": "/mycontext"}"#.into(), ""),
        ("source a URN", r#"{"specversion": "1.0", "id": "e", "type": "t", "source": "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"}"#.into(), ""),
        ("source percent-encoded", r#"{"specversion": "1.0", "id": "e", "type": "t", "source": "/my%20context"}"#.into(), ""),
        ("text data", with(r#""datacontenttype": "text/plain", "data": "Simple text""#), ""),
        ("JSON data without a content type", with(r#""data": [1, {"a": null}]"#), ""),
        ("a JSON string as JSON data", with(r#""datacontenttype": "application/json", "data": "I'm just a string""#), ""),
        ("data of a +json type", with(r#""datacontenttype": "application/vnd.example+json; charset=utf-8", "data": {"a": 1}"#), ""),
        ("an explicit null payload", with(r#""data": null"#), ""),
        ("binary data", with(r#""datacontenttype": "application/vnd.apache.thrift.binary", "data_base64": "eyAieHl6IjogMTIzIH0=""#), ""),
        ("data_base64 null beside data", with(r#""data": {"a": 1}, "data_base64": null"#), ""),
        (
            "every extension type",
            with(r#""extinteger": 10, "extboolean": true, "extstring": "text", "exturi": "https://cloudevents.io", "exturiref": "//authority/path", "exttimestamp": "2023-03-31T15:12:00Z", "extbinary": "TWE=""#),
            "",
        ),
        ("the integer bounds", with(r#""extmin": -2147483648, "extmax": 2147483647, "extzero": -0"#), ""),
        ("an extension name over 20 characters (a SHOULD)", with(r#""abcdefghijklmnopqrstuvwxyz": 1"#), ""),
        ("an empty extension string", with(r#""extempty": """#), ""),
        ("a null extension", with(r#""extnull": null"#), ""),
        ("one of Vigil's names, null: absent", with(r#""topic": null"#), ""),
        ("a quoted media type parameter", with(r#""datacontenttype": "multipart/mixed; boundary=\"a;b\"""#), ""),
        // Required attributes missing or empty.
        ("no specversion", format!(r#"{{"id": "e", "type": "t", {src}}}"#), "specversion: missing: a CloudEvent has specversion, id, source and type"),
        ("no id", format!(r#"{{"specversion": "1.0", "type": "t", {src}}}"#), "id: missing: a CloudEvent has specversion, id, source and type"),
        ("no type", format!(r#"{{"specversion": "1.0", "id": "e", {src}}}"#), "type: missing: a CloudEvent has specversion, id, source and type"),
        ("no source", r#"{"specversion": "1.0", "id": "e", "type": "t"}"#.into(), "source: missing: a CloudEvent has specversion, id, source and type"),
        ("null id", format!(r#"{{"specversion": "1.0", "id": null, "type": "t", {src}}}"#), "id: missing: a CloudEvent has specversion, id, source and type"),
        ("empty id", format!(r#"{{"specversion": "1.0", "id": "", "type": "t", {src}}}"#), "id: must not be empty"),
        ("empty type", format!(r#"{{"specversion": "1.0", "id": "e", "type": "", {src}}}"#), "type: must not be empty"),
        ("empty source", r#"{"specversion": "1.0", "id": "e", "type": "t", "source": ""}"#.into(), "source: must not be empty"),
        ("empty specversion", format!(r#"{{"specversion": "", "id": "e", "type": "t", {src}}}"#), "specversion: must not be empty"),
        (
            "unknown specversion",
            format!(r#"{{"specversion": "0.9", "id": "e", "type": "t", {src}}}"#),
            r#"specversion: "0.9" is not a version Vigil reads: only CloudEvents 1.0 ("1.0")"#,
        ),
        ("specversion a number", format!(r#"{{"specversion": 1.0, "id": "e", "type": "t", {src}}}"#), "specversion: must be a string, not the number 1.0"),
        ("numeric id", format!(r#"{{"specversion": "1.0", "id": 25, "type": "t", {src}}}"#), "id: must be a string, not the number 25"),
        ("object id", format!(r#"{{"specversion": "1.0", "id": {{"xyz": "abc"}}, "type": "t", {src}}}"#), "id: must be a string, not an object"),
        ("boolean type", format!(r#"{{"specversion": "1.0", "id": "e", "type": true, {src}}}"#), "type: must be a string, not the boolean true"),
        (
            "a control character in the id",
            format!(r#"{{"specversion": "1.0", "id": "a\u0007b", "type": "t", {src}}}"#),
            "id: contains U+0007, and CloudEvents strings contain no control characters or noncharacters",
        ),
        (
            "a noncharacter in the type",
            format!(r#"{{"specversion": "1.0", "id": "e", "type": "t\uFFFF", {src}}}"#),
            "type: contains U+FFFF, and CloudEvents strings contain no control characters or noncharacters",
        ),
        ("a lone surrogate", format!(r#"{{"specversion": "1.0", "id": "\ud800", "type": "t", {src}}}"#), r"id: not a valid string: it has an escaped UTF-16 surrogate (\uD800 to \uDFFF) without its pair"),
        // Optional attributes present but empty or malformed.
        ("empty subject", with(r#""subject": """#), "subject: must not be empty"),
        ("empty datacontenttype", with(r#""datacontenttype": """#), "datacontenttype: must not be empty"),
        ("empty dataschema", with(r#""dataschema": """#), "dataschema: must not be empty"),
        (
            "datacontenttype not RFC 2046",
            with(r#""datacontenttype": "xyz""#),
            r#"datacontenttype: "xyz" is not a media type (RFC 2046: type/subtype and ;name=value parameters): no type/ at its start"#,
        ),
        (
            "datacontenttype without a subtype",
            with(r#""datacontenttype": "text/""#),
            r#"datacontenttype: "text/" is not a media type (RFC 2046: type/subtype and ;name=value parameters): no subtype after the /"#,
        ),
        (
            "datacontenttype with a parameter without a value",
            with(r#""datacontenttype": "text/plain; charset""#),
            r#"datacontenttype: "text/plain; charset" is not a media type (RFC 2046: type/subtype and ;name=value parameters): the parameter charset has no =value"#,
        ),
        (
            "datacontenttype with a space inside",
            with(r#""datacontenttype": "text /plain""#),
            r#"datacontenttype: "text /plain" is not a media type (RFC 2046: type/subtype and ;name=value parameters): no type/ at its start"#,
        ),
        (
            "relative dataschema",
            with(r#""dataschema": "/schemas/build.json""#),
            r#"dataschema: "/schemas/build.json" is not an absolute URI (RFC 3986): it has no scheme (such as https:)"#,
        ),
        (
            "dataschema with a bad scheme",
            with(r#""dataschema": "1http://example.com""#),
            r#"dataschema: "1http://example.com" is not an absolute URI (RFC 3986): "1http" before the first : is not a scheme"#,
        ),
        (
            "source with a space",
            r#"{"specversion": "1.0", "id": "e", "type": "t", "source": "ci example"}"#.into(),
            r#"source: "ci example" is not a URI-reference (RFC 3986): a space at 2 must be percent-encoded"#,
        ),
        (
            "source with a broken percent-encoding",
            r#"{"specversion": "1.0", "id": "e", "type": "t", "source": "/a%zz"}"#.into(),
            r#"source: "/a%zz" is not a URI-reference (RFC 3986): the % at 2 does not start a percent-encoding (%XX)"#,
        ),
        (
            "source with two fragments",
            r##"{"specversion": "1.0", "id": "e", "type": "t", "source": "/a#b#c"}"##.into(),
            r##"source: "/a#b#c" is not a URI-reference (RFC 3986): a second # at 4"##,
        ),
        // Times.
        ("time garbage", with(r#""time": "lunchtime""#), r#"time: "lunchtime" is not an RFC 3339 timestamp"#),
        ("time to the minute", with(r#""time": "2018-04-05T18:31Z""#), r#"time: "2018-04-05T18:31Z" is not an RFC 3339 timestamp"#),
        ("time with offset X", with(r#""time": "2018-04-05T18:31:00X""#), r#"time: "2018-04-05T18:31:00X" is not an RFC 3339 timestamp"#),
        ("time offset out of range", with(r#""time": "2018-04-05T18:31:00+25:00""#), r#"time: "2018-04-05T18:31:00+25:00" is not an RFC 3339 timestamp"#),
        ("time offset not a number", with(r#""time": "2018-04-05T18:31:00+xx:00""#), r#"time: "2018-04-05T18:31:00+xx:00" is not an RFC 3339 timestamp"#),
        ("time offset in hours only", with(r#""time": "2018-04-05T18:31:00+05""#), r#"time: "2018-04-05T18:31:00+05" is not an RFC 3339 timestamp"#),
        ("time without an offset", with(r#""time": "2018-04-05T18:31:00""#), r#"time: "2018-04-05T18:31:00" is not an RFC 3339 timestamp"#),
        ("time with a space for the T", with(r#""time": "2018-04-05 18:31:00Z""#), r#"time: "2018-04-05 18:31:00Z" is not an RFC 3339 timestamp"#),
        ("time on a day that does not exist", with(r#""time": "2018-02-30T18:31:00Z""#), r#"time: "2018-02-30T18:31:00Z" is not an RFC 3339 timestamp"#),
        ("time with an empty fraction", with(r#""time": "2018-04-05T18:31:00.Z""#), r#"time: "2018-04-05T18:31:00.Z" is not an RFC 3339 timestamp"#),
        ("time a number", with(r#""time": 1522949460"#), "time: must be a string, not the number 1522949460"),
        // Extension names and values.
        ("capitalized extension", with(r#""MyExtension": "bad""#), r#""MyExtension": "MyExtension" is not an attribute name: CloudEvents attribute names are lowercase letters a-z and digits 0-9"#),
        ("punctuated extension", with(r#""my.extension": "bad""#), r#""my.extension": "my.extension" is not an attribute name: CloudEvents attribute names are lowercase letters a-z and digits 0-9"#),
        ("extension with an underscore", with(r#""my_extension": 1"#), r#""my_extension": "my_extension" is not an attribute name: CloudEvents attribute names are lowercase letters a-z and digits 0-9"#),
        ("extension with an empty name", with(r#""": 1"#), r#""": "" is not an attribute name: CloudEvents attribute names are lowercase letters a-z and digits 0-9"#),
        ("non-integer extension value", with(r#""myextension": 1.5"#), "myextension: 1.5 is not an integer: CloudEvents integers have no fraction and no exponent"),
        ("extension value with an exponent", with(r#""myextension": 1e3"#), "myextension: 1e3 is not an integer: CloudEvents integers have no fraction and no exponent"),
        (
            "extension integer past 32 bits",
            with(r#""myextension": 2147483648"#),
            "myextension: 2147483648 is outside the range of CloudEvents integers (32-bit: -2147483648 to 2147483647)",
        ),
        (
            "extension integer below 32 bits",
            with(r#""myextension": -2147483649"#),
            "myextension: -2147483649 is outside the range of CloudEvents integers (32-bit: -2147483648 to 2147483647)",
        ),
        ("object extension value", with(r#""myextension": {"a": 1}"#), "myextension: must be a string, an integer or a boolean, not an object"),
        ("array extension value", with(r#""myextension": [1]"#), "myextension: must be a string, an integer or a boolean, not an array"),
        (
            "an extension of Vigil's own",
            with(r#""topic": "builds""#),
            r#"topic: "topic" is reserved: Vigil lists every event with its own position, streamid, streamversion, topic"#,
        ),
        // Data.
        ("both data and data_base64", with(r#""data": "text", "data_base64": "eyAieHl6IjogMTIzIH0=""#), "data_base64: given together with data: an event carries one or the other"),
        ("invalid base64", with(r#""data_base64": "not base64!""#), "data_base64: not valid base64: Invalid symbol 32, offset 3."),
        ("base64 without its padding", with(r#""data_base64": "TWE""#), "data_base64: not valid base64: Invalid padding"),
        ("data_base64 a number", with(r#""data_base64": 12"#), "data_base64: must be a base64 string, not the number 12"),
        (
            "an object as text data",
            with(r#""datacontenttype": "text/plain", "data": {"a": 1}"#),
            r#"data: must be a string, not an object: datacontenttype "text/plain" is not JSON"#,
        ),
        // The object itself.
        ("an attribute given twice", with(r#""id": "e-2""#), "id: given more than once"),
        ("not JSON", "{\"specversion\": \"1.0\",".into(), "body: not valid JSON: EOF while parsing an object at line 1 column 22"),
        ("empty body", "".into(), "body: not valid JSON: EOF while parsing a value at line 1 column 0"),
        ("trailing characters", format!("{} x", with("")), "body: not valid JSON: trailing characters at line 1 column 97"),
        ("a string", r#""an event""#.into(), "body: a CloudEvent is a JSON object, not a string"),
        ("an array", format!("[{}]", with("")), "body: a CloudEvent is a JSON object, not an array"),
    ];
    check(&cases, structured);
}

#[test]
fn batches_are_accepted_or_refused_whole() {
    let minimal = with("");
    let cases: Vec<(&str, String, &str)> = vec![
        ("empty", "[]".into(), ""),
        ("one event", format!("[{minimal}]"), ""),
        ("two copies of one event", format!("[{minimal}, {minimal}]"), ""),
        (
            "mixed specversions",
            format!(r#"[{minimal}, {{"specversion": "0.9", "id": "e", "type": "t", "source": "/s"}}]"#),
            r#"[1].specversion: "0.9" is not a version Vigil reads: only CloudEvents 1.0 ("1.0")"#,
        ),
        (
            "an event without an id",
            r#"[{"specversion": "1.0", "type": "t", "source": "/s"}]"#.into(),
            "[0].id: missing: a CloudEvent has specversion, id, source and type",
        ),
        (
            "a string among the events",
            format!(r#"["not an object", {minimal}]"#),
            "[0]: a CloudEvent is a JSON object, not a string",
        ),
        (
            "a bad time in the fourth event",
            format!(r#"[{minimal}, {minimal}, {minimal}, {}]"#, with(r#""time": "yesterday""#)),
            r#"[3].time: "yesterday" is not an RFC 3339 timestamp"#,
        ),
        (
            "a bad extension name",
            format!("[{}]", with(r#""Bad": 1"#)),
            r#"[0]."Bad": "Bad" is not an attribute name: CloudEvents attribute names are lowercase letters a-z and digits 0-9"#,
        ),
        ("an object, not a batch", minimal.clone(), "body: a batch is a JSON array of CloudEvents, not an object"),
        ("not JSON", "[".into(), "body: not valid JSON: EOF while parsing a list at line 1 column 1"),
    ];
    check(&cases, |text| parse_batch(text).map(|_| ()).map_err(|v| v.to_string()));
}

/// A request's headers, one `name: value` a line, then its body after an empty line.
fn request(text: &str) -> (Vec<(String, Vec<u8>)>, Vec<u8>) {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let headers = head
        .lines()
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.to_owned(), value.trim().as_bytes().to_vec())
        })
        .collect();
    (headers, body.as_bytes().to_vec())
}

fn http(text: &str) -> Result<Vec<IncomingEvent>, Refusal> {
    let (headers, body) = request(text);
    from_http(headers.iter().map(|(name, value)| (name.as_str(), value.as_slice())), &body)
}

const BINARY: &str = "ce-specversion: 1.0\nce-id: e-1\nce-source: https://ci.example.com\nce-type: build.failed";

#[test]
fn binary_mode_reads_the_attributes_from_ce_headers() {
    let cases: Vec<(&str, String, &str)> = vec![
        ("minimal without data", BINARY.into(), ""),
        ("JSON data", format!("{BINARY}\ncontent-type: application/json\n\n{{\"a\": 1}}"), ""),
        ("text data", format!("{BINARY}\ncontent-type: text/plain\n\nhello"), ""),
        ("header names in any case", "CE-SpecVersion: 1.0\nCe-Id: e\nce-SOURCE: /s\nce-type: t".into(), ""),
        ("an extension", format!("{BINARY}\nce-comexampleothervalue: 5"), ""),
        (
            "no specversion",
            "ce-id: e\nce-source: /s\nce-type: t".into(),
            "ce-specversion: missing: a CloudEvent has specversion, id, source and type",
        ),
        (
            "no id",
            "ce-specversion: 1.0\nce-source: /s\nce-type: t".into(),
            "ce-id: missing: a CloudEvent has specversion, id, source and type",
        ),
        ("an empty subject", format!("{BINARY}\nce-subject:"), "ce-subject: must not be empty"),
        ("a bad time", format!("{BINARY}\nce-time: yesterday"), r#"ce-time: "yesterday" is not an RFC 3339 timestamp"#),
        ("a second id", format!("{BINARY}\nce-id: e-2"), "ce-id: given more than once"),
        (
            "ce-datacontenttype",
            format!("{BINARY}\nce-datacontenttype: text/plain"),
            "ce-datacontenttype: not allowed in binary mode, where the Content-Type header is the datacontenttype",
        ),
        ("ce-data", format!("{BINARY}\nce-data: x"), "ce-data: the data is the body in binary mode, not a header"),
        (
            "ce-data_base64",
            format!("{BINARY}\nce-data_base64: eA=="),
            "ce-data_base64: the data is the body in binary mode, not a header",
        ),
        (
            "an extension name with a dash",
            format!("{BINARY}\nce-my-ext: 1"),
            r#"ce-my-ext: "my-ext" is not an attribute name: CloudEvents attribute names are lowercase letters a-z and digits 0-9"#,
        ),
        (
            "Vigil's own extension",
            format!("{BINARY}\nce-position: 1"),
            r#"ce-position: "position" is reserved: Vigil lists every event with its own position, streamid, streamversion, topic"#,
        ),
        (
            "a broken percent-encoding",
            format!("{BINARY}\nce-subject: 100%"),
            "ce-subject: the % at 3 does not start a percent-encoding (%XX)",
        ),
        (
            "an overlong UTF-8 encoding",
            format!("{BINARY}\nce-subject: a%C0%A0b"),
            "ce-subject: its percent-encoded bytes are not UTF-8",
        ),
        (
            "an unterminated quote",
            format!("{BINARY}\nce-subject: \"abc"),
            "ce-subject: a quoted value without its closing quote",
        ),
        (
            "text after the quote",
            format!("{BINARY}\nce-subject: \"abc\"d"),
            "ce-subject: characters after the closing quote",
        ),
        (
            "invalid JSON data",
            format!("{BINARY}\ncontent-type: application/json\n\n{{\"a\":"),
            r#"body: not valid JSON, as Content-Type "application/json" says it is: EOF while parsing a value at line 1 column 5"#,
        ),
        (
            "a content type that is not a media type",
            format!("{BINARY}\ncontent-type: garbage\n\nbytes"),
            r#"content-type: "garbage" is not a media type (RFC 2046: type/subtype and ;name=value parameters): no type/ at its start"#,
        ),
        (
            "a content type twice",
            format!("{BINARY}\ncontent-type: text/plain\ncontent-type: text/html"),
            "content-type: given more than once",
        ),
    ];
    check(&cases, |text| http(text).map(|_| ()).map_err(|refusal| refusal.to_string()));
}

#[test]
fn binary_mode_decodes_values_and_keeps_the_body_as_data() {
    let envelope = |text: &str| http(text).unwrap().remove(0).envelope().to_owned();
    // The binding's own example: a space, the euro sign and an emoji, percent-encoded.
    let decoded = envelope(&format!("{BINARY}\nce-subject: Euro%20%E2%82%ac%20%F0%9F%98%80"));
    assert!(decoded.contains(r#""subject":"Euro € 😀""#), "{decoded}");
    let quoted = envelope(&format!("{BINARY}\nce-subject: \"a \\\"quoted\\\" value\""));
    assert!(quoted.contains(r#""subject":"a \"quoted\" value""#), "{quoted}");
    // An extension's value in a header is its string form.
    let extension = envelope(&format!("{BINARY}\nce-comexampleothervalue: 5"));
    assert!(extension.contains(r#""comexampleothervalue":"5""#), "{extension}");

    let json =
        envelope(&format!("{BINARY}\ncontent-type: application/json; charset=utf-8\n\n{{\"appinfoA\" : \"abc\"}}"));
    assert!(
        json.ends_with(r#""datacontenttype":"application/json; charset=utf-8","data":{"appinfoA" : "abc"}}"#),
        "{json}"
    );
    let text = envelope(&format!("{BINARY}\ncontent-type: application/xml\n\n<much wow=\"xml\"/>"));
    assert!(text.ends_with(r#""datacontenttype":"application/xml","data":"<much wow=\"xml\"/>"}"#), "{text}");
    let binary = envelope(&format!("{BINARY}\ncontent-type: application/octet-stream\n\nMa"));
    assert!(binary.ends_with(r#""datacontenttype":"application/octet-stream","data_base64":"TWE="}"#), "{binary}");
    let untyped = envelope(&format!("{BINARY}\n\nMa"));
    assert!(untyped.ends_with(r#""type":"build.failed","data_base64":"TWE="}"#), "{untyped}");
    let empty = envelope(&format!("{BINARY}\ncontent-type: application/json"));
    assert!(empty.ends_with(r#""datacontenttype":"application/json"}"#), "{empty}");
}

#[test]
fn the_content_type_chooses_the_mode() {
    let event = with("");
    let batch = format!("[{event}, {event}]");
    let n_events = |text: &str| http(text).map(|events| events.len());
    assert_eq!(n_events(&format!("content-type: application/cloudevents+json\n\n{event}")), Ok(1));
    assert_eq!(n_events(&format!("Content-Type: Application/CloudEvents+JSON; charset=UTF-8\n\n{event}")), Ok(1));
    assert_eq!(n_events(&format!("content-type: application/cloudevents-batch+json\n\n{batch}")), Ok(2));
    assert_eq!(n_events("content-type: application/cloudevents-batch+json\n\n[]"), Ok(0));
    // A plain JSON body without ce- headers is a structured event; with them, the data.
    assert_eq!(n_events(&format!("content-type: application/json\n\n{event}")), Ok(1));
    assert_eq!(n_events(&format!("{BINARY}\ncontent-type: application/json\n\n[1, 2]")), Ok(1));
    // Structured mode ignores ce- headers.
    assert_eq!(n_events(&format!("content-type: application/cloudevents+json\nce-id: other\n\n{event}")), Ok(1));

    let refusal = |text: &str| http(text).unwrap_err();
    let unsupported = |text: &str| match refusal(text) {
        Refusal::UnsupportedMediaType(message) => message,
        invalid => panic!("{text}: expected a 415, got {invalid}"),
    };
    let neither = "and no ce- headers: send application/cloudevents+json, application/cloudevents-batch+json, \
                   or binary mode (the attributes as ce- headers: ce-specversion, ce-id, ce-source, ce-type)";
    assert_eq!(
        unsupported(&format!("content-type: text/plain\n\n{event}")),
        format!("Content-Type \"text/plain\" {neither}")
    );
    assert_eq!(unsupported(&format!("\n\n{event}")), format!("no Content-Type {neither}"));
    assert_eq!(
        unsupported("content-type: application/cloudevents+xml\n\n<event/>"),
        "Content-Type \"application/cloudevents+xml\": Vigil reads CloudEvents in the JSON format only \
         (application/cloudevents+json, application/cloudevents-batch+json)"
    );
    assert_eq!(
        unsupported(&format!("content-type: application/cloudevents+json; charset=latin1\n\n{event}")),
        "charset latin1: CloudEvents JSON is UTF-8"
    );
    assert!(unsupported("content-type: application/cloudevents-batch+avro\n\n").contains("JSON format only"));

    assert_eq!(
        refusal("content-type: application/cloudevents+json\n\n\u{ff}").to_string(),
        "body: not valid JSON: expected value at line 1 column 1"
    );
    let (headers, _) = request("content-type: application/cloudevents+json");
    let invalid_utf8 = from_http(headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())), b"{\"id\": \"\xff\"}");
    assert_eq!(
        invalid_utf8.unwrap_err().to_string(),
        "body: not valid UTF-8: invalid utf-8 sequence of 1 bytes from index 8"
    );
}

#[test]
fn the_stored_envelope_is_the_event_as_sent_without_its_nulls() {
    let sent = r#"{"specversion": "1.0", "id": "e-1", "subject": null, "source": "/ci", "type": "build.failed",
        "comexampleothervalue": 5, "unset": null, "data": {"b": 1.50, "a": [true, null]}}"#;
    let event = parse_structured(sent).unwrap();
    assert_eq!(
        event.envelope(),
        r#"{"specversion":"1.0","id":"e-1","source":"/ci","type":"build.failed","comexampleothervalue":5,"data":{"b": 1.50, "a": [true, null]}}"#
    );
    assert_eq!(
        (event.id(), event.source(), event.event_type(), event.subject(), event.time()),
        ("e-1", "/ci", "build.failed", None, None)
    );
}

#[test]
fn an_event_is_stored_under_ids_that_follow_from_its_source_and_id() {
    let event = |source: &str, id: &str| {
        parse_structured(&format!(r#"{{"specversion": "1.0", "id": "{id}", "source": "{source}", "type": "t"}}"#))
            .unwrap()
    };
    let first = event("/ci", "42");
    assert_eq!(first.event_id(), event("/ci", "42").event_id());
    assert_eq!(first.event_id(), event_id_of("/ci", "42"));
    assert_ne!(first.event_id(), event("/cd", "42").event_id());
    // The pair is not a concatenation: ("/a", "bc") and ("/ab", "c") stay apart.
    assert_ne!(event("/a", "bc").event_id(), event("/ab", "c").event_id());
    assert_eq!(first.stream_id(), event("/ci", "43").stream_id());
    assert_ne!(first.stream_id(), event("/cd", "42").stream_id());
    // Pinned: these are stored; a change would make every re-sent event a new one.
    assert_eq!(
        stream_of("https://ci.example.com"),
        format!("external-{}", Uuid::new_v5(&NAMESPACE, b"https://ci.example.com"))
    );
    assert_eq!(NAMESPACE.to_string(), "5f045dff-312e-4ac3-9de4-0a97a0ca3e67");
    assert!(is_external(&first.stream_id()));
    assert!(!is_external("externalx-1") && !is_external("host-1"));
}

fn recorded(event: NewEvent, stream_id: &str) -> RecordedEvent {
    RecordedEvent { position: 17, stream_id: stream_id.to_owned(), stream_version: 3, event }
}

#[test]
fn the_new_event_copies_what_the_store_indexes_and_keeps_the_rest_in_its_data() {
    let received = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z").unwrap().with_timezone(&Utc);
    let correlation = Uuid::from_u128(7);
    let timed =
        parse_structured(&with(r#""subject": "job-7", "time": "2018-04-05T18:31:00.123456789+01:00""#)).unwrap();
    let (event_id, stream_id, envelope) = (timed.event_id(), timed.stream_id(), timed.envelope().to_owned());
    let new = timed.into_new_event(received, correlation);
    assert_eq!(new.id, event_id);
    assert_eq!(new.event_type, "build.failed");
    assert_eq!(new.schema_version, SCHEMA_VERSION);
    assert_eq!(new.source, "https://ci.example.com");
    assert_eq!(new.subject, "job-7");
    assert_eq!(new.time.to_rfc3339(), "2018-04-05T17:31:00.123456789+00:00");
    assert_eq!(new.data, envelope);
    assert_eq!((new.correlation_id, new.causation_id), (Some(correlation), None));
    assert!(stream_id.starts_with("external-"));

    let untimed = parse_structured(&with("")).unwrap().into_new_event(received, correlation);
    assert_eq!((untimed.time, untimed.subject.as_str()), (received, ""));
}

#[test]
fn the_original_event_comes_back_with_vigils_coordinates() {
    let sent = with(r#""comexampleothervalue": 5, "data": {"x": 1.50}"#);
    let incoming = parse_structured(&sent).unwrap();
    let stream_id = incoming.stream_id();
    let stored = recorded(incoming.into_new_event(DateTime::UNIX_EPOCH, Uuid::nil()), &stream_id);
    let listed = serde_json::to_string(&original(&stored).unwrap()).unwrap();
    assert_eq!(
        listed,
        format!(
            r#"{{"specversion":"1.0","id":"e-1","source":"https://ci.example.com","type":"build.failed","comexampleothervalue":5,"data":{{"x": 1.50}},"position":17,"streamid":"{stream_id}","streamversion":3,"topic":"external.https://ci.example.com"}}"#
        )
    );
}

#[test]
fn a_vigil_event_or_a_broken_row_has_no_original() {
    let mut event = parse_structured(&with("")).unwrap().into_new_event(DateTime::UNIX_EPOCH, Uuid::nil());
    assert!(original(&recorded(event.clone(), "host-1")).is_none());
    event.data = "not json".to_owned();
    assert!(original(&recorded(event.clone(), "external-1")).is_none());
    event.data = "[1]".to_owned();
    assert!(original(&recorded(event.clone(), "external-1")).is_none());
    // Vigil's names in a stored row are not repeated.
    event.data = r#"{"id":"x","position":99}"#.to_owned();
    let listed = serde_json::to_string(&original(&recorded(event, "external-1")).unwrap()).unwrap();
    assert_eq!(
        listed,
        r#"{"id":"x","position":17,"streamid":"external-1","streamversion":3,"topic":"external.https://ci.example.com"}"#
    );
}

#[test]
fn every_event_is_listed_with_its_topic_and_an_outside_one_as_it_was_sent() {
    let mut event = parse_structured(&with("")).unwrap().into_new_event(DateTime::UNIX_EPOCH, Uuid::nil());
    let stream_id = stream_of("https://ci.example.com");
    let outside = serde_json::to_value(listed(&recorded(event.clone(), &stream_id))).unwrap();
    assert_eq!(outside["type"], "build.failed");
    assert_eq!(outside["topic"], "external.https://ci.example.com");
    assert!(outside.get("data").is_none() && outside.get("schemaversion").is_none(), "{outside}");

    event.event_type = "HeartbeatFailed".to_owned();
    event.data = r#"{"host_id": "h-1"}"#.to_owned();
    let own = serde_json::to_value(listed(&recorded(event.clone(), "host-1"))).unwrap();
    assert_eq!(own["topic"], "heartbeats");
    assert_eq!(own["data"], serde_json::json!({"host_id": "h-1"}));
    assert_eq!((own["streamid"].as_str(), own["position"].as_u64()), (Some("host-1"), Some(17)));

    // An outside row that does not read back is still listed, in the envelope.
    event.data = "not json".to_owned();
    let broken = serde_json::to_value(listed(&recorded(event, &stream_id))).unwrap();
    assert_eq!((broken["data"].is_null(), broken["topic"].as_str()), (true, Some("external.https://ci.example.com")));
}
