//! `reg export` files (`Windows Registry Editor Version 5.00` or `REGEDIT4`) read into the
//! same [`MachineReport`] the PowerShell script writes.

use super::report::{Collector, MachineReport, RegistryData, RegistryValue, Subkey, SCHEMA};
use super::settings::listed_keys;

const HEADERS: &[&str] = &["Windows Registry Editor Version 5.00", "REGEDIT4"];

/// Why a text is not a readable `reg export` file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegFileError {
    #[error("not a registry export: the first line must be `{}` or `{}`", HEADERS[0], HEADERS[1])]
    NotAnExport,
    /// The message quotes the line: a 100 MB line is cut (issue 20 item 11).
    #[error("line {line}: {}", msikit::excerpt::excerpt(&.problem.to_string(), 300))]
    Line { line: usize, problem: LineProblem },
}

/// What is wrong with one line (or the lines a hex value continues on).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineProblem {
    #[error("a key line must be `[HIVE\\path]`, found `{0}`")]
    NotAKeyLine(String),
    #[error("`{0}` deletes a key: that is an import script, not an export")]
    DeletesKey(String),
    #[error("unknown registry hive `{hive}` in `{line}`")]
    UnknownHive { hive: String, line: String },
    #[error("a value before the first [key] line")]
    ValueBeforeKey,
    #[error("hex data continues past the end of the file")]
    HexPastEnd,
    #[error("expected `\"name\"=value` or `@=value`, found `{0}`")]
    NotAValueLine(String),
    #[error("no `=` after the value name in `{0}`")]
    NoEquals(String),
    #[error("unterminated string in `{0}`")]
    UnterminatedString(String),
    #[error("unexpected `{0}` after a string value")]
    AfterString(String),
    #[error("`{0}` is not a DWORD (eight hex digits)")]
    NotADword(String),
    #[error("`=-` deletes a value: that is an import script, not an export")]
    DeletesValue,
    #[error("unknown value data `{0}`")]
    UnknownData(String),
    #[error("`{0}` is not a hex byte")]
    NotAHexByte(String),
    #[error("{0}")]
    Text(#[from] crate::textfile::DecodeError),
}

/// Parses the text of a `.reg` file; errors name the 1-based line.
pub fn parse(text: &str) -> Result<MachineReport, RegFileError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line));
    let header = lines
        .by_ref()
        .find(|(_, line)| !line.trim().is_empty())
        .map(|(_, line)| line.trim());
    if !header.is_some_and(|header| HEADERS.contains(&header)) {
        return Err(RegFileError::NotAnExport);
    }
    let mut report = MachineReport {
        schema: SCHEMA.to_string(),
        collected_by: Collector::RegExport,
        os: Default::default(),
        join: Default::default(),
        keys: Vec::new(),
        values: Vec::new(),
        subkeys: Vec::new(),
        default_profile_readable: None,
    };
    let mut current_key: Option<String> = None;
    while let Some((number, line)) = lines.next() {
        // `copy /b a.reg+b.reg all.reg` joins exports with their byte-order marks and headers.
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with(';') || HEADERS.contains(&line) {
            continue;
        }
        let located = |problem: LineProblem| RegFileError::Line {
            line: number,
            problem,
        };
        if line.starts_with('[') {
            let key = section(line).map_err(located)?;
            report.keys.push(key.clone());
            current_key = Some(key);
            continue;
        }
        let Some(key) = &current_key else {
            return Err(located(LineProblem::ValueBeforeKey));
        };
        let mut entry = line.to_string();
        while entry.ends_with('\\') && is_hex_entry(&entry) {
            entry.pop();
            match lines.next() {
                Some((_, next)) => entry.push_str(next.trim()),
                None => return Err(located(LineProblem::HexPastEnd)),
            }
        }
        let (name, data) = value_line(&entry).map_err(located)?;
        report.values.push(RegistryValue {
            key: key.clone(),
            name,
            data,
        });
    }
    report.subkeys = listed_subkeys(&report);
    Ok(report)
}

/// `[HKEY_…\path]`, with the short hive names `reg` also accepts spelled out.
fn section(line: &str) -> Result<String, LineProblem> {
    let inner = line
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .ok_or_else(|| LineProblem::NotAKeyLine(line.to_string()))?;
    if inner.starts_with('-') {
        return Err(LineProblem::DeletesKey(line.to_string()));
    }
    let (hive, path) = inner.split_once('\\').unwrap_or((inner, ""));
    let hive = match hive.to_ascii_uppercase().as_str() {
        "HKLM" | "HKEY_LOCAL_MACHINE" => "HKEY_LOCAL_MACHINE",
        "HKU" | "HKEY_USERS" => "HKEY_USERS",
        "HKCU" | "HKEY_CURRENT_USER" => "HKEY_CURRENT_USER",
        "HKCR" | "HKEY_CLASSES_ROOT" => "HKEY_CLASSES_ROOT",
        "HKCC" | "HKEY_CURRENT_CONFIG" => "HKEY_CURRENT_CONFIG",
        _ => {
            return Err(LineProblem::UnknownHive {
                hive: hive.to_string(),
                line: line.to_string(),
            })
        }
    };
    Ok(if path.is_empty() {
        hive.to_string()
    } else {
        format!("{hive}\\{path}")
    })
}

fn is_hex_entry(entry: &str) -> bool {
    entry
        .split_once('=')
        .is_some_and(|(_, data)| data.trim_start().starts_with("hex"))
}

/// `"name"=data` or `@=data`.
fn value_line(entry: &str) -> Result<(String, RegistryData), LineProblem> {
    let (name, rest) = if let Some(rest) = entry.strip_prefix('@') {
        (String::new(), rest)
    } else if entry.starts_with('"') {
        quoted(entry)?
    } else {
        return Err(LineProblem::NotAValueLine(entry.to_string()));
    };
    let data = rest
        .trim_start()
        .strip_prefix('=')
        .ok_or_else(|| LineProblem::NoEquals(entry.to_string()))?
        .trim();
    Ok((name, value_data(data)?))
}

/// A `"…"` string with `\\` and `\"` escapes, and the text after it.
fn quoted(text: &str) -> Result<(String, &str), LineProblem> {
    let mut value = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => return Ok((value, &text[index + 1..])),
            '\\' => match chars.next() {
                Some((_, escaped)) => value.push(escaped),
                None => break,
            },
            _ => value.push(c),
        }
    }
    Err(LineProblem::UnterminatedString(text.to_string()))
}

fn value_data(data: &str) -> Result<RegistryData, LineProblem> {
    if data.starts_with('"') {
        let (text, rest) = quoted(data)?;
        if !rest.trim().is_empty() {
            return Err(LineProblem::AfterString(rest.trim().to_string()));
        }
        return Ok(RegistryData::Text(text));
    }
    if let Some(hex) = data.strip_prefix("dword:") {
        return u32::from_str_radix(hex.trim(), 16)
            .map(|dword| RegistryData::Number(dword.into()))
            .map_err(|_| LineProblem::NotADword(data.to_string()));
    }
    if data == "-" {
        return Err(LineProblem::DeletesValue);
    }
    let (kind, bytes) = data
        .split_once(':')
        .filter(|(kind, _)| kind.starts_with("hex"))
        .ok_or_else(|| LineProblem::UnknownData(data.to_string()))?;
    let bytes = hex_bytes(bytes)?;
    Ok(match kind {
        "hex(2)" | "hex(7)" | "hex(1)" => RegistryData::Text(utf16_strings(&bytes)?),
        "hex(b)" if bytes.len() == 8 => {
            RegistryData::Number(i64::from_le_bytes(bytes.try_into().expect("eight bytes")))
        }
        "hex(4)" if bytes.len() == 4 => {
            RegistryData::Number(u32::from_le_bytes(bytes.try_into().expect("four bytes")).into())
        }
        _ => RegistryData::Text(data.to_string()),
    })
}

fn hex_bytes(list: &str) -> Result<Vec<u8>, LineProblem> {
    list.split(',')
        .map(str::trim)
        .filter(|byte| !byte.is_empty())
        .map(|byte| {
            u8::from_str_radix(byte, 16).map_err(|_| LineProblem::NotAHexByte(byte.to_string()))
        })
        .collect()
}

/// REG_EXPAND_SZ / REG_MULTI_SZ bytes: UTF-16LE strings, NUL-separated, joined by newlines.
fn utf16_strings(bytes: &[u8]) -> Result<String, LineProblem> {
    let text = crate::textfile::decode_utf16le(bytes)?;
    Ok(text
        .split('\0')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("\n"))
}

/// The direct subkeys of [`listed_keys`] that appear as sections, with their default value.
fn listed_subkeys(report: &MachineReport) -> Vec<Subkey> {
    // Looked up once per subkey: a map, so 40,000 subkeys stay linear (issue 20 item 10).
    let defaults: std::collections::BTreeMap<String, String> = report
        .values
        .iter()
        .filter(|value| value.name.is_empty())
        .map(|value| (value.key.to_ascii_lowercase(), value.data.as_text()))
        .rev() // the first value of a key wins, as `find` had it
        .collect();
    let mut subkeys = Vec::new();
    for parent in listed_keys() {
        let prefix = format!("{}\\", parent.to_ascii_lowercase());
        for key in &report.keys {
            let Some(name) = key
                .to_ascii_lowercase()
                .strip_prefix(&prefix)
                .map(str::to_string)
            else {
                continue;
            };
            if name.contains('\\') {
                continue;
            }
            let default = defaults.get(&key.to_ascii_lowercase()).cloned();
            subkeys.push(Subkey {
                parent: parent.to_string(),
                name: key[prefix.len()..].to_string(),
                default,
            });
        }
    }
    subkeys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::report::Observed;
    use crate::doctor::settings::{by_id, credential_providers_key};

    const EXPORT: &str = "Windows Registry Editor Version 5.00\r\n\r\n\
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System]\r\n\
\"EnableLUA\"=dword:00000000\r\n\
\"legalnoticetext\"=\"say \\\"hi\\\" C:\\\\\"\r\n\
\"Multi\"=hex(7):61,00,00,00,62,00,00,00,\\\r\n  00,00\r\n\r\n\
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Authentication\\Credential Providers\\{60b78e88-ead8-445c-9cfd-0b87f74ea6cd}]\r\n\
@=\"PasswordProvider\"\r\n";

    /// Issue 20 item 11: an error quoted its whole line, so a 100 MB line made a 100 MB
    /// message. The quote is cut.
    #[test]
    fn an_error_on_a_huge_line_quotes_only_its_start() {
        let export = format!(
            "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE]\r\n\"A\"={}\r\n",
            "z".repeat(1 << 20)
        );
        let error = parse(&export).unwrap_err();
        assert!(
            matches!(error, RegFileError::Line { line: 4, .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.starts_with("line 4: "), "{message}");
        assert!(message.len() < 1_000, "{} bytes", message.len());
    }

    /// Issue 20 item 10: 40,000 credential-provider subkeys took 12 s (each subkey's default
    /// value was searched among all values). Each is read, with its own default name.
    #[test]
    fn forty_thousand_credential_providers_are_each_read_with_their_name() {
        let mut export = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
        for index in 0..40_000 {
            export.push_str(&format!(
                "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Authentication\\Credential Providers\\{{{index:08X}-0000-0000-0000-000000000000}}]\r\n@=\"Provider {index}\"\r\n\r\n"
            ));
        }
        let report = parse(&export).unwrap();
        let providers: Vec<_> = report.subkeys_of(credential_providers_key()).collect();
        assert_eq!(providers.len(), 40_000);
        assert_eq!(providers[39_999].default.as_deref(), Some("Provider 39999"));
    }

    #[test]
    fn values_strings_and_continued_hex_are_read() {
        let report = parse(EXPORT).unwrap();
        assert_eq!(
            report.observe(by_id("enable_lua")),
            Observed::Value(&RegistryData::Number(0))
        );
        assert_eq!(
            report.values[1].data,
            RegistryData::Text("say \"hi\" C:\\".into())
        );
        assert_eq!(report.values[2].data, RegistryData::Text("a\nb".into()));
        assert_eq!(
            report.observe(by_id("hide_fast_user_switching")),
            Observed::Absent
        );
        assert_eq!(
            report.observe(by_id("no_lock_screen")),
            Observed::NotCollected
        );
        let providers: Vec<_> = report.subkeys_of(credential_providers_key()).collect();
        assert_eq!(providers.len(), 1);
        assert_eq!(providers[0].name, "{60b78e88-ead8-445c-9cfd-0b87f74ea6cd}");
        assert_eq!(providers[0].default.as_deref(), Some("PasswordProvider"));
    }

    #[test]
    fn concatenated_exports_read_as_one() {
        let second = "\u{feff}Windows Registry Editor Version 5.00\r\n\r\n\
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\Personalization]\r\n\
\"NoLockScreen\"=dword:00000001\r\n";
        let report = parse(&format!("{EXPORT}{second}")).unwrap();
        assert_eq!(
            report.observe(by_id("no_lock_screen")),
            Observed::Value(&RegistryData::Number(1))
        );
        assert_eq!(
            report.observe(by_id("enable_lua")),
            Observed::Value(&RegistryData::Number(0))
        );
    }

    #[test]
    fn malformed_files_name_the_line() {
        let cases = [
            ("", None, "not a registry export"),
            ("hello", None, "not a registry export"),
            (
                "REGEDIT4\n\"a\"=dword:1\n",
                Some(2),
                "line 2: a value before the first [key]",
            ),
            ("REGEDIT4\n[HKLM\\X\n", Some(2), "line 2: a key line"),
            ("REGEDIT4\n[HKXX\\X]\n", Some(2), "unknown registry hive"),
            (
                "REGEDIT4\n[HKLM\\X]\n\"a\"=dword:zz\n",
                Some(3),
                "line 3: `dword:zz` is not a DWORD",
            ),
            (
                "REGEDIT4\n[HKLM\\X]\n\"a=dword:1\n",
                Some(3),
                "line 3: unterminated string",
            ),
            (
                "REGEDIT4\n[HKLM\\X]\n\"a\"=hex:01,\\\n",
                Some(3),
                "past the end of the file",
            ),
            (
                "REGEDIT4\n[HKLM\\X]\n\"a\"=hex:0g\n",
                Some(3),
                "not a hex byte",
            ),
            ("REGEDIT4\n[-HKLM\\X]\n", Some(2), "deletes a key"),
            (
                "REGEDIT4\n[HKLM\\X]\nfoo\n",
                Some(3),
                "expected `\"name\"=value`",
            ),
        ];
        for (text, line, expected) in cases {
            let error = parse(text).unwrap_err();
            let found_line = match &error {
                RegFileError::Line { line, .. } => Some(*line),
                RegFileError::NotAnExport => None,
            };
            assert_eq!(found_line, line, "{text:?}: {error}");
            assert!(error.to_string().contains(expected), "{text:?}: {error}");
        }
    }

    #[test]
    fn every_truncation_of_an_export_parses_or_fails_cleanly() {
        for end in 0..EXPORT.len() {
            if EXPORT.is_char_boundary(end) {
                let _ = parse(&EXPORT[..end]);
            }
        }
    }
}
