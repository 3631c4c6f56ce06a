//! msikit: a Windows Installer (MSI) toolkit. It reads and writes packages of any origin
//! and knows nothing of the products built with it (the crate boundary enforces that).

pub mod compound;
pub mod read;
pub mod sign;
