//! Placeholder: the Cluster aggregate is being written.

/// Commands of the Cluster aggregate.
#[derive(Clone, Debug, PartialEq)]
pub enum ClusterCommand {}

impl ClusterCommand {
    /// The command's type name.
    pub fn name(&self) -> &'static str {
        match *self {}
    }
}
