//! The toolkit's reader, rules and simulator exercised on the packages this project builds
//! (the toolkit's own tests use small databases of their own).

mod gpo;
mod profile;
pub mod read;
mod rules;
mod simulate;
mod upgrade;
