//! sspr-msi: build, sign and verify the Windows Installer packages that turn on Microsoft
//! Entra self-service password reset at the Windows sign-in screen.
//!
//! A compiler: config (TOML) → model → tables (`bind`) → bytes (`package`).

pub(crate) mod bind;
pub mod build;
pub(crate) mod compile;
pub mod config;
pub mod doctor;
pub mod document;
pub mod error;
pub mod explain;
pub mod model;
pub mod package;
pub(crate) mod payload;
pub mod release;
pub mod review;
pub mod sign_command;
pub(crate) mod sign_warnings;
pub mod target;
pub mod textfile;
pub mod transform_command;
pub mod verify;
