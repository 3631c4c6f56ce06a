//! Integration tests: one binary, one module per feature a user would name.

mod support;

mod catalogues;
mod channels;
mod cli;
mod credprov;
mod custom_actions;
mod determinism;
mod doctor;
mod explain;
mod layering;
mod msitools;
mod pinned_digests;
mod reader;
mod payload_trust;
mod release;
mod signing;
mod verify;
mod verify_wine;
mod wine_credprov;
mod wine_policy;
mod wine_proxy;
