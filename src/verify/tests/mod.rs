//! The toolkit's reader, rules and simulator exercised on the packages this project builds
//! (the toolkit's own tests use small databases of their own).

pub mod read;
mod gpo;
mod profile;
mod rules;
mod simulate;
