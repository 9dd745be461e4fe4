//! Placeholder: the Database aggregate is being written.

/// Commands of the Database aggregate.
#[derive(Clone, Debug, PartialEq)]
pub enum DatabaseCommand {}

impl DatabaseCommand {
    /// The command's type name.
    pub fn name(&self) -> &'static str {
        match *self {}
    }
}
