//! The layering rule, read from the `use` lines: the toolkit (`crates/msikit`) never names
//! the product, and each product module names only modules of lower layers (README, "How it
//! is built"). A wrong-way import fails here before it can grow into a circle.

use std::collections::BTreeMap;
use std::path::Path;

/// The product's top-level modules, lowest layer first; a module may use those of any lower
/// layer, never its own layer's nor a higher one's.
const LAYERS: &[&[&str]] = &[
    &["error"],
    &["textfile", "package", "document"],
    &["target"],
    &["payload", "sign_warnings"],
    &["config"],
    &["model"],
    &["bind"],
    &["compile"],
    &[
        "verify",
        "build",
        "explain",
        "sign_command",
        "transform_command",
    ],
    &["doctor", "release", "review"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Every `.rs` file below `dir` with its text, test modules cut off (tests may reach up).
fn sources(dir: &Path, into: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name != "tests") {
                sources(&path, into);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("").to_string();
            into.insert(path.display().to_string(), code);
        }
    }
}

/// The product module a file of `src/` belongs to (`src/verify/custom.rs` → `verify`).
fn module_of(root: &Path, file: &str) -> Option<String> {
    let relative = Path::new(file).strip_prefix(root.join("src")).ok()?;
    let first = relative.components().next()?.as_os_str().to_string_lossy();
    let name = first.trim_end_matches(".rs").to_string();
    (!matches!(name.as_str(), "lib" | "main" | "cli")).then_some(name)
}

fn crate_paths(code: &str) -> Vec<String> {
    code.split("crate::")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn product_modules_use_only_lower_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = BTreeMap::new();
    sources(&root.join("src"), &mut files);
    let mut wrong = Vec::new();
    for (file, code) in &files {
        let Some(module) = module_of(root, file) else {
            continue;
        };
        let own = layer_of(&module).unwrap_or_else(|| panic!("{module} has no layer in LAYERS"));
        for used in crate_paths(code) {
            if used == module {
                continue;
            }
            match layer_of(&used) {
                Some(layer) if layer < own => {}
                _ => wrong.push(format!("{file}: `{module}` uses `crate::{used}`")),
            }
        }
    }
    assert!(wrong.is_empty(), "wrong-way imports:\n{}", wrong.join("\n"));
}

#[test]
fn the_toolkit_never_names_the_product() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/msikit");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(
        !manifest.contains("sspr"),
        "msikit's Cargo.toml names the product"
    );
    let mut files = BTreeMap::new();
    sources(&root.join("src"), &mut files);
    for (file, code) in files {
        assert!(!code.contains("sspr_msi"), "{file} names the product");
    }
}
