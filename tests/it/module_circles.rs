//! No module circles inside the toolkit: reading the `use` lines and the `crate::`/`super::`
//! paths of every file of `crates/msikit/src`, no module may reach itself again through the
//! modules it uses (README, "How it is built"). Test modules are left out (tests may reach
//! anywhere).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every non-test source file of msikit by module path (`sign::msi`, `compound::directory`;
/// `lib.rs` is the empty path), its test modules cut off.
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut modules = BTreeMap::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let Some(stem) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
                continue;
            };
            let is_test = stem == "tests" || stem == "testing" || stem.ends_with("_tests");
            if path.extension().is_none_or(|e| e != "rs") || is_test {
                continue;
            }
            let relative = path.parent().unwrap().strip_prefix(src).unwrap();
            let mut parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if stem != "mod" && stem != "lib" {
                parts.push(stem);
            }
            let text = std::fs::read_to_string(&path).unwrap();
            modules.insert(parts.join("::"), without_test_module(&text));
        }
    }
    modules
}

/// The text before an inline `#[cfg(test)] mod … {` or `#[cfg(test)] pub(crate) mod … {`
/// (a `mod tests;` line is only a declaration, and a test-only item elsewhere is harmless).
fn without_test_module(text: &str) -> String {
    let inline = text.match_indices("#[cfg(test)]\n").find(|(at, _)| {
        let line = text[*at + 13..].lines().next().unwrap_or("");
        let declares = line.strip_prefix("pub(crate) ").unwrap_or(line);
        declares.starts_with("mod ") && line.trim_end().ends_with('{')
    });
    text[..inline.map_or(text.len(), |(at, _)| at)].to_string()
}

fn parent(module: &str) -> String {
    module.rsplit_once("::").map_or("", |(p, _)| p).to_string()
}

fn join(base: &str, rest: &str) -> String {
    match (base.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_string(),
        (_, true) => base.to_string(),
        _ => format!("{base}::{rest}"),
    }
}

/// `use` trees expanded into paths: `a::{b, c::{d, self}}` gives `a::b`, `a::c::d`, `a::c`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree
        .replace(" as ", "@")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let Some(open) = tree.find('{') else {
        let path = tree.split('@').next().unwrap_or(&tree);
        return vec![path.trim_end_matches("::self").to_string()];
    };
    let prefix = tree[..open].trim_end_matches("::");
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .filter(|item| !item.is_empty())
        .flat_map(|item| {
            expand(item)
                .into_iter()
                .map(|path| match path.as_str() {
                    "self" => prefix.to_string(),
                    _ => format!("{prefix}::{path}"),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The code without `//` comments (doc comments included).
fn without_comments(code: &str) -> String {
    code.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A path a file names, and whether a `pub use` re-exports it.
struct Named {
    path: String,
    re_exported: bool,
}

/// The paths a file names: its `use` trees, and every `crate::…`/`super::…` path in its code.
fn named_paths(code: &str) -> Vec<Named> {
    let code = without_comments(code);
    let mut paths = Vec::new();
    let mut statement: Option<(String, bool)> = None;
    for line in code.lines() {
        let line = line.trim();
        if statement.is_none() {
            let starts = [
                ("use ", false),
                ("pub use ", true),
                ("pub(crate) use ", true),
                ("pub(super) use ", true),
            ];
            statement = starts.iter().find_map(|(start, re_exported)| {
                line.strip_prefix(start)
                    .map(|rest| (rest.to_string(), *re_exported))
            });
        } else if let Some((text, _)) = statement.as_mut() {
            text.push_str(line);
        }
        if let Some((text, re_exported)) = statement.take_if(|(text, _)| text.contains(';')) {
            let tree = text.split(';').next().unwrap_or("");
            paths.extend(
                expand(tree)
                    .into_iter()
                    .map(|path| Named { path, re_exported }),
            );
        }
    }
    for start in ["crate::", "super::"] {
        for (at, _) in code.match_indices(start) {
            let preceded_by_ident = code[..at]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            if preceded_by_ident {
                continue;
            }
            let path: String = code[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let path = path.trim_end_matches(':').to_string();
            paths.push(Named {
                path,
                re_exported: false,
            });
        }
    }
    paths
}

/// The module of `modules` a path named in `module` lands in, if it is one of msikit's.
fn resolve(module: &str, path: &str, modules: &BTreeMap<String, String>) -> Option<String> {
    let mut base = module.to_string();
    let mut rest = path;
    if let Some(after) = rest.strip_prefix("crate::") {
        base.clear();
        rest = after;
    } else if rest.starts_with("super::") || rest.starts_with("self::") {
        while let Some(after) = rest.strip_prefix("super::") {
            base = parent(&base);
            rest = after;
        }
        if let Some(after) = rest.strip_prefix("self::") {
            rest = after;
        }
    } else {
        // A path relative to the module: only a child module counts (else a crate or item).
        let first = rest.split("::").next()?;
        if !modules.contains_key(&join(&base, first)) {
            return None;
        }
    }
    let mut found = base.clone();
    let mut candidate = base;
    for segment in rest.split("::") {
        candidate = join(&candidate, segment);
        if modules.contains_key(&candidate) {
            found = candidate.clone();
        } else {
            break;
        }
    }
    Some(found)
}

/// The modules each module uses (itself left out). A parent's `pub use` of what a child
/// module defines is a facade, not a use: the parent's own code does not depend on it.
fn uses(modules: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    modules
        .iter()
        .map(|(module, code)| {
            let below = |used: &str| module.is_empty() || used.starts_with(&format!("{module}::"));
            let used = named_paths(code)
                .iter()
                .filter_map(|named| {
                    let used = resolve(module, &named.path, modules)?;
                    (!(named.re_exported && below(&used))).then_some(used)
                })
                .filter(|used| used != module)
                .collect();
            (module.clone(), used)
        })
        .collect()
}

/// Each circle as the modules on it, found by walking from every module (the graph is small).
fn circles(uses: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<Vec<String>> {
    let reaches = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut pending: Vec<&str> = vec![from];
        while let Some(module) = pending.pop() {
            for next in uses.get(module).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    pending.push(next);
                }
            }
        }
        seen
    };
    let reach: BTreeMap<&String, BTreeSet<String>> = uses
        .keys()
        .map(|module| (module, reaches(module)))
        .collect();
    reach
        .iter()
        .filter(|(module, reached)| reached.contains(module.as_str()))
        .map(|(module, reached)| {
            reached
                .iter()
                .filter(|other| reach[other].contains(module.as_str()))
                .cloned()
                .collect()
        })
        .collect()
}

#[test]
fn the_toolkit_has_no_module_circles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/msikit/src");
    let modules = modules(&src);
    assert!(modules.contains_key("sign::msi") && modules.contains_key("compound::directory"));
    let uses = uses(&modules);
    let circles = circles(&uses);
    let described: Vec<String> = circles
        .iter()
        .map(|circle| {
            let edges: Vec<String> = circle
                .iter()
                .flat_map(|from| {
                    uses[from]
                        .iter()
                        .filter(|to| circle.contains(to))
                        .map(move |to| format!("{from} -> {to}"))
                })
                .collect();
            format!("{{{}}}: {}", circle.join(", "), edges.join(", "))
        })
        .collect();
    assert!(
        described.is_empty(),
        "module circles in msikit:\n{}",
        described.join("\n")
    );
}

#[test]
fn the_circle_finder_finds_circles_and_reads_use_trees() {
    assert_eq!(
        expand("super::{a::B, c::{self, D}, e as f}"),
        ["super::a::B", "super::c", "super::c::D", "super::e"]
    );
    let modules: BTreeMap<String, String> = [
        ("a", "use crate::b::Thing;"),
        ("b", "fn f() { super::c::g() }"),
        ("c", "use super::a;"),
        ("d", "use crate::a::{self};\npub use e::Facade;"),
        ("d::e", "use super::*;"),
    ]
    .into_iter()
    .map(|(m, code)| (m.to_string(), code.to_string()))
    .collect();
    let uses = uses(&modules);
    assert_eq!(uses["b"], BTreeSet::from(["c".to_string()]));
    // A facade's re-export of its child is no use of it; the child's glob use of it is.
    assert_eq!(uses["d"], BTreeSet::from(["a".to_string()]));
    assert_eq!(uses["d::e"], BTreeSet::from(["d".to_string()]));
    let found = circles(&uses);
    assert_eq!(
        found,
        BTreeSet::from([vec!["a".to_string(), "b".into(), "c".into()]])
    );
}
