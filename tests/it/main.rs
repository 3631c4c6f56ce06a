//! Integration tests: one binary, one module per feature a user would name.

mod support;

mod catalogues;
mod channels;
mod cli;
mod cli_conventions;
mod compound_writer;
mod credprov;
mod custom_actions;
mod determinism;
mod doctor;
mod doctor_script;
mod explain;
mod layering;
mod module_circles;
mod msitools;
mod outputs;
mod payload_trust;
mod pinned_digests;
mod reader;
mod release;
mod reports;
mod review;
mod signing;
mod signing_chain_dse;
mod signing_detached;
mod signing_digests;
mod signing_keys;
mod signing_pkcs11;
mod target_names;
mod transform;
mod verify;
mod verify_wine;
mod wine_credprov;
mod wine_policy;
mod wine_proxy;
