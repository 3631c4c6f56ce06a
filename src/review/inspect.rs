//! `sspr-msi inspect PKG`: the toolkit's [`msikit::inspect`] of one file, as text or JSON,
//! and `--table NAME` as an `.idt` archive file.

use super::{read_file, unreadable};
use crate::error::{Error, Result};
use msikit::inspect::{Inspection, SignatureCheck, SignatureStatus};
use msikit::read::Input;
use msikit::sign::trust::TrustPolicy;
use std::fmt::Write;
use std::path::Path;

/// Inspects the package at `path`; signatures must chain to `policy`'s anchors.
///
/// # Errors
/// [`Error::Input`] when the file cannot be read or is not an installer database.
pub fn inspect_file(path: &Path, policy: &TrustPolicy) -> Result<Inspection> {
    let input = Input::open(path).map_err(|error| Error::input(path, error.to_string()))?;
    msikit::inspect::inspect(input, policy).map_err(|error| unreadable(path, error))
}

/// The table `name` of the package at `path` as an `.idt` archive file.
///
/// # Errors
/// [`Error::Input`] when the file is unreadable or has no such table (the message lists the
/// tables it has).
pub fn table_file(path: &Path, name: &str) -> Result<String> {
    let bytes = read_file(path)?;
    let database = msikit::read::read(&bytes).map_err(|error| unreadable(path, error))?;
    let table = database.table(name).ok_or_else(|| {
        let known: Vec<&str> = database.tables.iter().map(|t| t.name.as_str()).collect();
        Error::input(
            path,
            format!("no table `{name}`; the package has {}", known.join(", ")),
        )
    })?;
    Ok(msikit::read::idt::idt(table, database.codepage))
}

/// The inspection as text for a terminal.
pub fn render_text(inspection: &Inspection) -> String {
    let mut text = String::from("summary information:\n");
    for field in &inspection.summary {
        let _ = writeln!(text, "  {:<15} {}", field.name, field.value);
    }
    let _ = writeln!(
        text,
        "database codepage: {}\ntables ({}):",
        inspection.codepage,
        inspection.tables.len()
    );
    for table in &inspection.tables {
        let _ = writeln!(text, "  {:<28} {:>6} rows", table.name, table.rows);
    }
    let _ = writeln!(text, "streams ({}):", inspection.streams.len());
    for stream in &inspection.streams {
        let _ = writeln!(
            text,
            "  {:<28} {:>10}  {}",
            shown_name(&stream.name),
            stream.size,
            stream.sha256
        );
    }
    for storage in &inspection.storages {
        let _ = writeln!(text, "storage: {}", shown_name(storage));
    }
    for cabinet in &inspection.cabinets {
        render_cabinet(cabinet, &mut text);
    }
    match &inspection.signature {
        None => text.push_str("package signature: none\n"),
        Some(signature) => {
            text.push_str("package signature: ");
            render_signature(signature, "  ", &mut text);
        }
    }
    text
}

fn render_cabinet(cabinet: &msikit::inspect::Cabinet, text: &mut String) {
    let _ = writeln!(
        text,
        "cabinet {} ({} files):",
        cabinet.stream,
        cabinet.files.len()
    );
    if let Some(error) = &cabinet.error {
        let _ = writeln!(text, "  unreadable: {error}");
    }
    for file in &cabinet.files {
        let version = file.file_version.as_deref().unwrap_or("-");
        let _ = writeln!(
            text,
            "  {:<28} {:<24} {:>10}  version {version}  {}",
            file.key,
            file.file_name.as_deref().unwrap_or("(not in File)"),
            file.size,
            file.sha256
        );
        if let Some(pe_version) = &file.pe_version {
            let _ = writeln!(text, "      PE file version {pe_version}");
        }
        match &file.signature {
            Some(signature) => {
                text.push_str("      signature: ");
                render_signature(signature, "        ", text);
            }
            None if file.is_pe => text.push_str("      signature: none (unsigned PE)\n"),
            None => {}
        }
    }
}

fn render_signature(signature: &SignatureCheck, indent: &str, text: &mut String) {
    let status = match signature.status {
        SignatureStatus::Verified => "verified",
        SignatureStatus::Intact => "intact",
        SignatureStatus::Invalid => "INVALID",
    };
    let _ = writeln!(text, "{status}");
    if let Some(problem) = &signature.problem {
        let _ = writeln!(text, "{indent}{problem}");
    }
    let Some(details) = &signature.details else {
        return;
    };
    let _ = writeln!(
        text,
        "{indent}signer {} (thumbprint {})",
        details.signer.subject, details.signer.thumbprint
    );
    for certificate in &details.certificates {
        let _ = writeln!(
            text,
            "{indent}chain: {} issued by {}",
            certificate.subject, certificate.issuer
        );
    }
    let _ = writeln!(
        text,
        "{indent}timestamp: {}",
        details.timestamp.as_deref().unwrap_or("none")
    );
}

/// A stream name with its leading `\005` (property sets, signatures) shown as msidb does.
fn shown_name(name: &str) -> String {
    name.replace('\u{5}', "\\005")
}
