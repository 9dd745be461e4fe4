//! Real parts for the action kinds' tests: an SMTP server ([`smtp`]), an HTTP receiver
//! ([`receiver`]) and a Standard Webhooks verifier ([`standard_webhooks`]), the Python ones
//! installed from PyPI into a virtual environment by [`python`].
//!
//! Each test binary uses a part of them.
#![allow(dead_code)]

pub mod python;
pub mod receiver;
pub mod smtp;
pub mod standard_webhooks;
