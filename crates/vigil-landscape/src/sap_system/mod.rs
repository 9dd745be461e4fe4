//! Placeholder: the SapSystem aggregate is being written.

/// Commands of the SapSystem aggregate.
#[derive(Clone, Debug, PartialEq)]
pub enum SapSystemCommand {}

impl SapSystemCommand {
    /// The command's type name.
    pub fn name(&self) -> &'static str {
        match *self {}
    }
}

/// An application instance as discovered, before the server has looked up its database.
#[derive(Clone, Debug, PartialEq)]
pub struct ApplicationInstanceRegistration {
    _placeholder: (),
}
