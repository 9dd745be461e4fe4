//! `package_version`: the installed version of a package, from rpm (SLES) or, where rpm is not
//! installed, dpkg (a Debian or Ubuntu development machine).
//!
//! The argument is a package name (`pacemaker`). The value is an object:
//! `{"name", "epoch", "version", "release", "arch", "manager", "installed_versions"}`, with
//! `epoch` a number or null, `manager` `rpm` or `dpkg`, and `installed_versions` every
//! installed `version-release` (a kernel has several). dpkg's `[epoch:]upstream[-revision]`
//! is split the same way (`release` is the Debian revision). A package that is not installed
//! is the error `package_not_installed`. All packages of one execution are asked in one run.
//! rpm is asked first; dpkg only when rpm is not installed or knows none of the packages
//! (rpm installed on a Debian machine) and dpkg-query is there.

use std::collections::BTreeMap;

use serde_json::json;

use super::error::{FactError, FactErrorKind, ParseError};
use super::sources::Sources;
use super::value::FactValue;

/// The gatherer's name on the wire.
pub const NAME: &str = "package_version";

/// The `rpm -q --qf` format the parser reads: one tab-separated line per installed instance.
pub const RPM_FORMAT: &str = "%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\n";
/// The `dpkg-query -W -f` format the parser reads.
pub const DPKG_FORMAT: &str = "${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\n";

/// One installed instance of a package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Installed {
    /// Package name.
    pub name: String,
    /// Epoch, when the package has one.
    pub epoch: Option<u64>,
    /// Upstream version.
    pub version: String,
    /// Release (rpm) or Debian revision (dpkg); empty when there is none.
    pub release: String,
    /// Architecture.
    pub arch: String,
}

/// What one query said: the installed instances per name, and the names not installed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// Installed instances by package name, in the order printed.
    pub installed: BTreeMap<String, Vec<Installed>>,
    /// Names reported as not installed.
    pub missing: Vec<String>,
}

/// Parses `rpm -q --qf RPM_FORMAT names…` (standard output; rpm prints "package X is not
/// installed" there too).
pub fn parse_rpm(text: &str) -> Result<Query, ParseError> {
    let mut query = Query::default();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix("package ").and_then(|l| l.strip_suffix(" is not installed")) {
            query.missing.push(name.to_owned());
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, epoch, version, release, arch] = fields[..] else {
            return Err(ParseError::at(index + 1, format!("expected NAME EPOCH VERSION RELEASE ARCH, found `{line}`")));
        };
        let epoch = match epoch {
            "(none)" | "" => None,
            e => Some(e.parse().map_err(|_| ParseError::at(index + 1, format!("epoch `{e}` is not a number")))?),
        };
        let installed = Installed {
            name: name.to_owned(),
            epoch,
            version: version.to_owned(),
            release: release.to_owned(),
            arch: arch.to_owned(),
        };
        query.installed.entry(name.to_owned()).or_default().push(installed);
    }
    Ok(query)
}

/// Parses `dpkg-query -W -f DPKG_FORMAT names…`: standard output, and standard error for
/// the names dpkg does not know. A package removed but not purged (`rc`) is not installed.
pub fn parse_dpkg(stdout: &str, stderr: &str) -> Result<Query, ParseError> {
    let mut query = Query::default();
    for (index, line) in stdout.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, full_version, arch, status] = fields[..] else {
            return Err(ParseError::at(
                index + 1,
                format!("expected Package Version Architecture Status, found `{line}`"),
            ));
        };
        // `ii` installed, `hi` installed and held; anything else (rc, un, half-installed) is not.
        if !matches!(status.get(..2), Some("ii" | "hi")) || full_version.is_empty() {
            query.missing.push(name.to_owned());
            continue;
        }
        let (epoch, rest) = match full_version.split_once(':') {
            Some((e, rest)) => {
                (Some(e.parse().map_err(|_| ParseError::at(index + 1, format!("epoch `{e}` is not a number")))?), rest)
            }
            None => (None, full_version),
        };
        let (version, release) = rest.rsplit_once('-').unwrap_or((rest, ""));
        let installed = Installed {
            name: name.to_owned(),
            epoch,
            version: version.to_owned(),
            release: release.to_owned(),
            arch: arch.to_owned(),
        };
        query.installed.entry(name.to_owned()).or_default().push(installed);
    }
    for line in stderr.lines() {
        if let Some(name) = line.strip_prefix("dpkg-query: no packages found matching ") {
            query.missing.push(name.trim().to_owned());
        }
    }
    Ok(query)
}

/// The fact for `name` in a query's answer from `manager`.
pub fn value_of(query: &Query, name: &str, manager: &str) -> Result<FactValue, FactError> {
    let (bare, arch) = name.split_once(':').map_or((name, None), |(n, a)| (n, Some(a)));
    let instances: Vec<&Installed> =
        query.installed.get(bare).into_iter().flatten().filter(|i| arch.is_none_or(|a| i.arch == a)).collect();
    let Some(first) = instances.first() else {
        return Err(FactError::new(FactErrorKind::PackageNotInstalled, format!("package {name} is not installed")));
    };
    let installed_versions: Vec<String> = instances
        .iter()
        .map(|i| if i.release.is_empty() { i.version.clone() } else { format!("{}-{}", i.version, i.release) })
        .collect();
    Ok(json!({
        "name": first.name,
        "epoch": first.epoch,
        "version": first.version,
        "release": first.release,
        "arch": first.arch,
        "manager": manager,
        "installed_versions": installed_versions,
    }))
}

/// A package name as rpm and dpkg spell them (optionally `:arch`). Above all it may not start
/// with `-`, which either tool would take for an option.
fn is_package_name(name: &str) -> bool {
    name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-._:~".contains(&b))
}

/// Asks rpm (else dpkg) once for every valid name and answers each.
pub async fn gather(sources: &Sources, arguments: &[&str]) -> Vec<Result<FactValue, FactError>> {
    let names: Vec<&str> = arguments.iter().copied().filter(|a| is_package_name(a)).collect();
    let answer = if names.is_empty() { Ok((Query::default(), "rpm")) } else { query(sources, &names).await };
    arguments
        .iter()
        .map(|name| {
            if name.is_empty() {
                return Err(FactError::new(FactErrorKind::MissingArgument, "package_version needs a package name"));
            }
            if !is_package_name(name) {
                return Err(FactError::new(FactErrorKind::InvalidArgument, format!("`{name}` is not a package name")));
            }
            let (query, manager) = answer.as_ref().map_err(Clone::clone)?;
            value_of(query, name, manager)
        })
        .collect()
}

async fn query(sources: &Sources, names: &[&str]) -> Result<(Query, &'static str), FactError> {
    let mut rpm_args = vec!["-q", "--qf", RPM_FORMAT];
    rpm_args.extend(names);
    let from_rpm = match sources.run("rpm", &rpm_args).await {
        // rpm exits with the number of packages it did not find, and says so on stdout.
        Ok(out) if out.succeeded() || !out.stdout.trim().is_empty() => {
            let query = parse_rpm(&out.stdout).map_err(|e| e.in_source("rpm -q"))?;
            // rpm installed on a Debian machine knows no package; dpkg, if there, is asked.
            if !query.installed.is_empty() {
                return Ok((query, "rpm"));
            }
            Some(query)
        }
        Ok(out) => return Err(out.failure("rpm -q")),
        Err(e) if e.kind != FactErrorKind::ToolNotFound => return Err(e),
        Err(_) => None,
    };
    let mut dpkg_args = vec!["-W", "-f", DPKG_FORMAT];
    dpkg_args.extend(names);
    match sources.run("dpkg-query", &dpkg_args).await {
        // dpkg-query exits with 1 when one of the names is unknown, and says so on stderr.
        Ok(out) if out.succeeded() || out.code == Some(1) => {
            parse_dpkg(&out.stdout, &out.stderr).map(|q| (q, "dpkg")).map_err(|e| e.in_source("dpkg-query -W"))
        }
        Ok(out) => Err(out.failure("dpkg-query -W")),
        Err(e) if e.kind == FactErrorKind::ToolNotFound => match from_rpm {
            Some(query) => Ok((query, "rpm")),
            None => Err(FactError::new(FactErrorKind::ToolNotFound, "neither rpm nor dpkg-query is installed")),
        },
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpm_lines_and_refusals() {
        let q = parse_rpm(
            "pacemaker\t(none)\t2.1.6+20230712.4b7d9ef6f\t150500.6.8.1\tx86_64\npackage foo is not installed\n",
        )
        .unwrap();
        assert_eq!(q.missing, ["foo"]);
        let v = value_of(&q, "pacemaker", "rpm").unwrap();
        assert_eq!(v["version"], "2.1.6+20230712.4b7d9ef6f");
        assert_eq!(v["epoch"], FactValue::Null);
        assert_eq!(value_of(&q, "foo", "rpm").unwrap_err().kind, FactErrorKind::PackageNotInstalled);
        assert_eq!(parse_rpm("pacemaker 2.1\n").unwrap_err().line, 1);
    }

    #[test]
    fn dpkg_versions_are_split_into_epoch_version_and_revision() {
        let q = parse_dpkg(
            "libc6\t2.36-9+deb12u7\tamd64\tii \ntzdata\t1:2024a-0+deb12u1\tall\tii \nold\t\tamd64\trc \n",
            "dpkg-query: no packages found matching nope\n",
        )
        .unwrap();
        let libc = value_of(&q, "libc6", "dpkg").unwrap();
        assert_eq!((libc["version"].as_str(), libc["release"].as_str()), (Some("2.36"), Some("9+deb12u7")));
        assert_eq!(value_of(&q, "libc6:amd64", "dpkg").unwrap()["arch"], "amd64");
        assert_eq!(value_of(&q, "libc6:i386", "dpkg").unwrap_err().kind, FactErrorKind::PackageNotInstalled);
        assert_eq!(value_of(&q, "tzdata", "dpkg").unwrap()["epoch"], 1);
        for missing in ["old", "nope"] {
            assert_eq!(value_of(&q, missing, "dpkg").unwrap_err().kind, FactErrorKind::PackageNotInstalled);
        }
    }

    #[test]
    fn names_that_a_tool_would_take_for_options_are_refused() {
        assert!(is_package_name("libstdc++6"));
        assert!(is_package_name("python3.11:amd64"));
        for bad in ["", "-qa", "--eval=%(echo)", "a b", "a/b", "$(x)"] {
            assert!(!is_package_name(bad), "{bad:?}");
        }
    }
}
