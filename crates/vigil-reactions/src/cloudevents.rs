//! CloudEvents 1.0 from outside providers: parsing and validation of the HTTP structured,
//! binary and batch modes.
