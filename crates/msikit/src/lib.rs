//! msikit: a Windows Installer (MSI) toolkit. It reads and writes packages of any origin
//! and knows nothing of the products built with it (the crate boundary enforces that).

pub mod cab;
pub mod compare;
pub mod compound;
pub mod condition;
pub mod database;
pub mod diff;
pub mod excerpt;
pub mod format;
pub mod formatted;
pub mod hex;
pub mod inspect;
pub mod lcid;
pub mod package;
pub mod phase;
pub mod read;
pub mod rules;
pub mod sign;
pub mod simulate;
pub mod source;
pub mod transform;
pub mod windows;
pub mod windows_names;
