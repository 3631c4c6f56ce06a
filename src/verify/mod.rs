//! Reading packages back and checking them: the condition language, machine profiles, and
//! the launch-condition simulation that predicts where a package installs.

pub mod condition;
pub mod profile;
pub mod simulate;
