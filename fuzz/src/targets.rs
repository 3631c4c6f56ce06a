//! One fuzz target per input kind: what it calls, its mutation dictionary, and the crafted
//! seeds of issue 20's items 1–16 (the bounded reconstructions the regression tests use).

use msikit::condition::{self, InstallState, MapEnvironment};
use msikit::formatted::deformat::{deformat, References};

pub struct Target {
    pub name: &'static str,
    /// Runs the code under test on one input; its result is dropped (errors are fine).
    pub run: fn(&[u8]),
    /// Tokens the mutator inserts: the syntax of the input kind.
    pub dictionary: &'static [&'static [u8]],
    /// Seeds built in memory; the script adds files (a built package, fixtures).
    pub crafted: fn() -> Vec<Vec<u8>>,
}

/// A cap for what a cabinet may inflate to: `verify`'s own is of this order.
const CABINET_LIMIT: u64 = 64 << 20;

pub const TARGETS: &[Target] = &[
    Target {
        name: "package",
        run: |bytes| drop(msikit::package::read(bytes)),
        dictionary: &[
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            b"\xFF\xFF\xFF\xFF",
            b"\xFE\xFF\xFF\xFF",
        ],
        crafted: || vec![Vec::new(), b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec()],
    },
    Target {
        name: "verify",
        run: run_verify,
        dictionary: &[
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            b"\xFF\xFF\xFF\xFF",
            b"MSCF",
            b"MZ",
            b"PE\x00\x00",
            b"[",
            b"]",
        ],
        crafted: || vec![Vec::new()],
    },
    Target {
        name: "pe",
        run: |bytes| {
            if msikit::sign::pe::is_pe(bytes) {
                drop(msikit::sign::pe::verify(bytes, &Default::default()));
            }
        },
        dictionary: &[
            b"MZ",
            b"PE\x00\x00",
            b"\x30\x82",
            b"\x06\x09\x2A\x86\x48\x86\xF7\x0D\x01\x07\x02",
            b"\xFF\xFF\xFF\x7F",
        ],
        crafted: || vec![b"MZ".to_vec()],
    },
    Target {
        name: "cabinet",
        run: |bytes| {
            drop(msikit::read::cabinet::extract(
                bytes,
                CABINET_LIMIT,
                |_, _, _| {},
            ))
        },
        dictionary: &[b"MSCF", b"CK", b"\x00\x00\x00\x00"],
        crafted: || vec![Vec::new(), b"MSCF".to_vec()],
    },
    Target {
        name: "condition",
        run: run_condition,
        dictionary: &[
            b"(",
            b")",
            b"AND",
            b"OR",
            b"NOT",
            b"XOR",
            b"EQV",
            b"IMP",
            b"~=",
            b"<>",
            b">=",
            b"<<",
            b"><",
            b"\"",
            b"%",
            b"$",
            b"?",
            b"!",
            b"&",
            b" ",
            b"VersionNT",
            b"1",
        ],
        crafted: crafted_conditions,
    },
    Target {
        name: "deformat",
        run: run_deformat,
        dictionary: &[
            b"[", b"]", b"{", b"}", b"[~]", b"[\\", b"[#", b"[!", b"[$", b"[%", b"#x", b"P",
        ],
        crafted: crafted_formatted,
    },
    Target {
        name: "doctor",
        run: |bytes| {
            drop(sspr_msi::doctor::read_report(&String::from_utf8_lossy(
                bytes,
            )))
        },
        dictionary: &[
            b"\r\n",
            b"[HKEY_LOCAL_MACHINE\\",
            b"]",
            b"\"=",
            b"dword:",
            b"hex:",
            b"hex(7):",
            b"\\\r\n",
            b"{",
            b"}",
            b"\"",
            b":",
            b",",
            b"\x1b[2J",
            b"\x07",
        ],
        crafted: crafted_reg,
    },
    Target {
        name: "explain",
        run: |bytes| drop(sspr_msi::explain::explain(&String::from_utf8_lossy(bytes))),
        dictionary: &[
            b"\r\n",
            b"MSI (s) ",
            b"Property(S): ",
            b"Return value 3.",
            b"Action start ",
            b"Error 1603.",
            b"Note: 1: ",
            b"\x1b]0;",
            b"\x07",
        ],
        crafted: crafted_log,
    },
    Target {
        name: "transform",
        run: crate::transform_target::run,
        dictionary: &[
            b"\x01\x02",
            b"\x02\x00",
            b"\x00\x00",
            b"\xFF\xFF",
            b"\x40\x48",
        ],
        crafted: crate::transform_target::crafted,
    },
    Target {
        name: "config",
        run: |bytes| {
            drop(sspr_msi::config::parse(
                &String::from_utf8_lossy(bytes),
                "fuzz.toml",
            ))
        },
        dictionary: &[
            b"\n",
            b"[",
            b"]",
            b"[[",
            b"]]",
            b"=",
            b"\"",
            b"'''",
            b"\"..\"",
            b"\\u0000",
            b"{",
            b"}",
            b",",
            b"true",
            b"-1",
            b"99999999999999999999",
        ],
        crafted: || {
            let default = sspr_msi::config::DEFAULT_CONFIG;
            vec![
                default.as_bytes().to_vec(),
                default
                    .replacen("version = ", "product_name = \"..\"\nversion = ", 1)
                    .into_bytes(),
                format!("{default}\n[x]\nkey = \"{}\"\n", "K".repeat(300_000)).into_bytes(),
            ]
        },
    },
];

/// What `verify --simulate` does with a stranger's package: every rule, the signatures of the
/// package and of the PEs its cabinets hold, and one simulated install and uninstall.
fn run_verify(bytes: &[u8]) {
    let Ok(package) = msikit::package::read(bytes) else {
        return;
    };
    drop(msikit::rules::check(&package));
    drop(msikit::rules::check_signatures(
        &package,
        bytes,
        &Default::default(),
    ));
    if let Some(profile) = msikit::simulate::profile::by_name("wine-win10") {
        drop(sspr_msi::verify::custom::simulator().simulate(
            &package,
            &profile,
            &Default::default(),
        ));
    }
}

fn run_condition(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    if let Ok(expression) = condition::parse(&text) {
        let _ = expression.evaluate(&environment());
    }
    drop(condition::evaluate(&text, &environment()));
}

fn environment() -> MapEnvironment {
    let mut environment = MapEnvironment::default();
    for (name, value) in [("VersionNT", "603"), ("A", "1"), ("B", "text"), ("C", "")] {
        environment.properties.insert(name.into(), value.into());
    }
    environment.env.insert("PATH".into(), "C:\\Windows".into());
    let states = (InstallState::Absent, InstallState::Local);
    environment.components.insert("C1".into(), states);
    environment.features.insert("F1".into(), states);
    environment
}

fn crafted_conditions() -> Vec<Vec<u8>> {
    vec![
        b"VersionNT >= 603 AND NOT (A = \"1\" OR B ~<> \"TEXT\")".to_vec(),
        b"?C1 = 2 AND &F1 = 3 AND %PATH".to_vec(),
        format!("{}A{}", "(".repeat(50_000), ")".repeat(50_000)).into_bytes(),
        "NOT ".repeat(50_000).into_bytes(),
    ]
}

/// Knows a property `P` and files, components and variables of any name.
struct Anything;

impl References for Anything {
    fn property(&self, name: &str) -> Option<String> {
        (name == "P" || name.len() < 3).then(|| format!("<{name}>"))
    }
    fn file_path(&self, file: &str) -> Option<String> {
        Some(format!("C:\\F\\{file}"))
    }
    fn component_folder(&self, component: &str) -> Option<String> {
        Some(format!("C:\\{component}\\"))
    }
    fn environment(&self, name: &str) -> Option<String> {
        Some(format!("%{name}%"))
    }
}

fn run_deformat(bytes: &[u8]) {
    drop(deformat(&String::from_utf8_lossy(bytes), &Anything));
}

/// Items 1, 2 and 7: deep `[`, `{[` and many `[]`.
fn crafted_formatted() -> Vec<Vec<u8>> {
    vec![
        b"#x[P]{[Q]}[~][\\[][#F][$C][%V]".to_vec(),
        format!("{}X", "[".repeat(32_000)).into_bytes(),
        "{[".repeat(100_000).into_bytes(),
        "[]".repeat(25_000).into_bytes(),
    ]
}

/// Items 10, 11 and 16: many credential-provider subkeys, a huge line, terminal escapes.
fn crafted_reg() -> Vec<Vec<u8>> {
    let header = "Windows Registry Editor Version 5.00\r\n\r\n";
    let providers = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Authentication\\Credential Providers";
    let mut many = String::from(header);
    for index in 0..10_000 {
        many.push_str(&format!(
            "[{providers}\\{{{index:08X}-0000-0000-0000-000000000000}}]\r\n@=\"p\"\r\n"
        ));
    }
    vec![
        many.into_bytes(),
        format!(
            "{header}[HKEY_LOCAL_MACHINE\\S]\r\n\"V\"=\"{}\"\r\n",
            "A".repeat(900_000)
        )
        .into_bytes(),
        format!("{header}[HKEY_LOCAL_MACHINE\\S\x1b[2J]\r\n\"V\x07\"=dword:00000001\r\n")
            .into_bytes(),
    ]
}

/// Items 9 and 16: many distinct messages, terminal escapes.
fn crafted_log() -> Vec<Vec<u8>> {
    let mut many = String::from("=== Verbose logging started: 1/1/2026  0:00:00 ===\r\n");
    for index in 0..20_000 {
        many.push_str(&format!(
            "MSI (s) (00:00) [00:00:00:000]: Note: 1: {index} 2: x\r\n"
        ));
    }
    many.push_str("MSI (s) (00:00) [00:00:00:000]: Product: X -- Installation failed.\r\n");
    vec![
        many.into_bytes(),
        b"MSI (s) (00:00) [00:00:00:000]: Product: \x1b]0;owned\x07 -- Error 1603.\r\n".to_vec(),
    ]
}
