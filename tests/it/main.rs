//! Integration tests: one binary, one module per feature a user would name.

mod support;

mod cli;
mod determinism;
mod msitools;
mod wine_policy;
