//! Health, as Trento grades it.

use serde::{Deserialize, Serialize};

/// A health grade. Ordered by Trento's weights, so the worst of several is their `max`:
/// unknown > critical > warning > passing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// All good.
    Passing,
    /// Needs attention.
    Warning,
    /// Broken.
    Critical,
    /// Not known (yet).
    #[default]
    Unknown,
}

impl Health {
    /// The worst of `healths`; `Passing` when there are none.
    pub fn worst(healths: impl IntoIterator<Item = Health>) -> Health {
        healths.into_iter().max().unwrap_or(Health::Passing)
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Passing => "passing",
            Health::Warning => "warning",
            Health::Critical => "critical",
            Health::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Health::*;
    use super::*;

    #[test]
    fn the_worst_health_follows_trentos_weights() {
        assert_eq!(Health::worst([Passing, Warning]), Warning);
        assert_eq!(Health::worst([Critical, Warning, Passing]), Critical);
        assert_eq!(Health::worst([Critical, Unknown]), Unknown);
        assert_eq!(Health::worst([]), Passing);
    }
}
