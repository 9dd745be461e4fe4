//! Arbitrary input never makes a parser panic: each either parses or refuses with a line.
//! Inputs are drawn both from any text and from lines made of the characters each format
//! cares about (braces, colons, quotes, tabs, `=`), which reach deeper into the parsers.

use proptest::prelude::*;
use vigil_agent::facts::{
    cibadmin, corosync_cmapctl, corosync_conf, fstab, hosts, lookup, package_version, saptune, sbd_config, scalar,
    sysctl, systemd,
};

/// XML-ish text: CIB elements and attributes, quotes, entities and stray brackets.
fn xml_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<cib>".to_owned()),
        Just("</cib>".to_owned()),
        Just("<configuration>".to_owned()),
        Just("</configuration>".to_owned()),
        Just("<rsc_defaults>".to_owned()),
        Just("</rsc_defaults>".to_owned()),
        Just("<meta_attributes id=\"a\" score=\"-INFINITY\">".to_owned()),
        Just("<meta_attributes id-ref=\"a\"/>".to_owned()),
        Just("</meta_attributes>".to_owned()),
        Just("<nvpair name=\"resource-stickiness\" value=\"1000\"/>".to_owned()),
        Just("<nvpair id-ref=\"a\"/>".to_owned()),
        Just("<rule/>".to_owned()),
        "[<>/=\"'&;!?a-z_ -]{0,12}",
    ];
    let inner = proptest::collection::vec(piece, 0..40).prop_map(|pieces| pieces.join(""));
    // Half inside a CIB's frame, so that some parse and their sets are read.
    (inner, any::<bool>()).prop_map(|(inner, framed)| {
        if framed {
            format!("<cib><configuration><rsc_defaults>{inner}</rsc_defaults></configuration></cib>")
        } else {
            inner
        }
    })
}

/// Text of lines built from the punctuation the parsers split on.
fn structured() -> impl Strategy<Value = String> {
    proptest::collection::vec("[ \t{}:=#\"'\\\\()a-zA-Z0-9._/;,-]{0,40}", 0..30).prop_map(|lines| lines.join("\n"))
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), structured()]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn corosync_conf_never_panics(text in any_text(), path in "[a-z0-9._]{0,20}") {
        if let Ok(document) = corosync_conf::parse(&text) {
            prop_assert!(document.is_object());
            let _ = lookup(&document, &path);
        }
    }

    #[test]
    fn corosync_cmapctl_never_panics(text in any_text(), key in "[a-z0-9._]{0,20}") {
        if let Ok(values) = corosync_cmapctl::parse(&text) {
            let _ = corosync_cmapctl::value_of(&values, &key);
        }
    }

    #[test]
    fn sbd_config_never_panics(text in any_text()) {
        let _ = sbd_config::parse(&text);
    }

    #[test]
    fn package_outputs_never_panic(stdout in any_text(), stderr in any_text(), name in "[a-z0-9:+.-]{0,12}") {
        if let Ok(query) = package_version::parse_rpm(&stdout) {
            let _ = package_version::value_of(&query, &name, "rpm");
        }
        if let Ok(query) = package_version::parse_dpkg(&stdout, &stderr) {
            let _ = package_version::value_of(&query, &name, "dpkg");
        }
    }

    #[test]
    fn systemd_never_panics(text in any_text()) {
        let _ = systemd::parse(&text);
    }

    #[test]
    fn sysctl_never_panics(text in any_text(), key in any::<String>()) {
        let _ = sysctl::parse_listing(&text);
        let _ = sysctl::parse_value(&text);
        if let Ok(path) = sysctl::proc_path(&key) {
            // Whatever the key, its file stays below /proc/sys.
            prop_assert!(path.starts_with("/proc/sys/"));
            prop_assert!(!path.split('/').any(|part| part == ".." || part == "."), "{path}");
        }
    }

    #[test]
    fn hosts_and_fstab_never_panic(text in any_text()) {
        let _ = hosts::by_name(&hosts::parse(&text));
        let _ = fstab::parse(&text);
    }

    #[test]
    fn cibadmin_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512), xml in xml_like(), section in "[a-z_]{0,14}") {
        for text in [String::from_utf8_lossy(&bytes).into_owned(), xml] {
            if let Ok(sections) = cibadmin::parse(&text) {
                prop_assert_eq!(sections.len(), cibadmin::SECTIONS.len());
                prop_assert!(sections.values().all(|s| s.is_object()));
                let _ = cibadmin::value_of(&sections, &section);
            }
        }
    }

    #[test]
    fn saptune_never_panics(text in any_text()) {
        let _ = saptune::parse(&text);
    }

    #[test]
    fn scalars_are_numbers_only_for_integers_that_read_back_the_same(text in "-?[0-9]{0,25}|[a-z0-9.]{0,8}") {
        let value = scalar(&text);
        if value.is_number() {
            prop_assert_eq!(value.to_string(), text);
        } else {
            prop_assert_eq!(value.as_str(), Some(text.as_str()));
        }
    }
}
