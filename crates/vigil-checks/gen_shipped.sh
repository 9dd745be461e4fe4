#!/bin/sh
# Writes src/shipped.rs, the embedded list of checks/ (run after adding or removing a file;
# `shipped::tests::the_list_matches_the_directory` fails until then).
cd "$(dirname "$0")" || exit 1
{
  echo "//! The shipped catalog, embedded: every file of \`checks/\`, tests included, so"
  echo "//! \`vigil policy test\` and \`cargo test\` can run them. Written by \`gen_shipped.sh\`."
  echo
  echo "const SOURCES: &[(&str, &str)] = &["
  find checks -name '*.rego' | LC_ALL=C sort | while read -r f; do
    rel=${f#checks/}
    echo "    (\"$rel\", include_str!(\"../$f\")),"
  done
  echo "];"
  cat <<'RS'

/// Every shipped module as `(path under checks/, source)`, sorted by path.
pub fn sources() -> impl Iterator<Item = (&'static str, &'static str)> {
    SOURCES.iter().copied()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn the_list_matches_the_directory() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("checks");
        let on_disk = vigil_policy::PolicySet::from_dir(&dir).expect("checks/ loads");
        let listed: Vec<&str> = super::sources().map(|(path, _)| path).collect();
        let found: Vec<&str> = on_disk.modules().map(|(path, _)| path).collect();
        assert_eq!(listed, found, "run crates/vigil-checks/gen_shipped.sh");
        for (path, source) in super::sources() {
            assert_eq!(on_disk.get(path), Some(source), "{path}");
        }
    }
}
RS
} > src/shipped.rs
