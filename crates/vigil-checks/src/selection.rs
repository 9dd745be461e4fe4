//! Whether a selection may be recorded on a target: the business rule behind
//! `ChecksSelected`, kept beside the catalog it reads.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::catalog::Catalog;

impl Catalog {
    /// Checks a selection against the catalog: each id must be a check that applies to the
    /// target (`applicable`, from [`Catalog::applicable`]), and each customised value must be
    /// one the check declares, of a selected check. A selection narrows what runs; it never
    /// forces a check onto a target it was not written for. The error says what is wrong.
    pub fn check_selection(
        &self,
        applicable: &[String],
        checks: &[String],
        values: &BTreeMap<String, BTreeMap<String, Value>>,
    ) -> Result<(), String> {
        let declared = |id: &str| self.checks().find(|c| c.metadata().id == id).map(|c| c.metadata().values.clone());
        if let Some(id) = checks.iter().find(|id| !applicable.contains(id)) {
            return Err(match declared(id) {
                Some(_) => format!("check {id} does not apply to this target"),
                None => format!("there is no check {id}"),
            });
        }
        for (id, customised) in values {
            if !checks.contains(id) {
                return Err(format!("values are given for {id}, which is not selected"));
            }
            let values = declared(id).unwrap_or_default();
            if let Some(name) = customised.keys().find(|name| !values.contains_key(*name)) {
                return Err(format!("check {id} has no value {name}"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ids(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|id| (*id).to_owned()).collect()
    }

    #[test]
    fn a_selection_names_applicable_checks_and_their_declared_values_only() {
        let catalog = Catalog::shipped();
        let applicable = ids(&["stonith_enabled", "corosync_token"]);
        let none = BTreeMap::new();
        assert_eq!(catalog.check_selection(&applicable, &ids(&["stonith_enabled"]), &none), Ok(()));
        assert_eq!(
            catalog.check_selection(&applicable, &ids(&["nope"]), &none),
            Err("there is no check nope".to_owned())
        );
        assert_eq!(
            catalog.check_selection(&applicable, &ids(&["saptune_installed"]), &none),
            Err("check saptune_installed does not apply to this target".to_owned())
        );
        let values = |check: &str, name: &str| {
            BTreeMap::from([(check.to_owned(), BTreeMap::from([(name.to_owned(), json!(1))]))])
        };
        let token = ids(&["corosync_token"]);
        assert_eq!(catalog.check_selection(&applicable, &token, &values("corosync_token", "token")), Ok(()));
        assert!(
            catalog
                .check_selection(&applicable, &token, &values("corosync_token", "nope"))
                .unwrap_err()
                .contains("no value nope")
        );
        assert!(
            catalog
                .check_selection(&applicable, &[], &values("corosync_token", "token"))
                .unwrap_err()
                .contains("not selected")
        );
    }
}
