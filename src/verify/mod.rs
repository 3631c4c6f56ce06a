//! Reading packages back and checking them: the reader, the condition language, machine
//! profiles, static rules and the install simulation that predicts what a package does.

pub mod condition;
pub mod custom;
pub mod deformat;
pub mod gpo;
pub mod profile;
pub mod read;
pub mod report;
pub mod rules;
pub mod simulate;
