//! The JSON documents the commands print (`build`, `verify`, `doctor`, `explain` with
//! `--json`): each is one object that starts with a `schema_version`, and its shape is the
//! JSON Schema of the same name under `docs/schema/` (README "Reports"). A change that a
//! script reading the old shape would misread raises the version.

use serde::Serialize;

/// The version every document states; raised when a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Versioned<'a, T: Serialize> {
    schema_version: u32,
    #[serde(flatten)]
    document: &'a T,
}

/// `document` (a struct: its fields follow `schema_version`) as pretty-printed JSON.
pub fn to_json<T: Serialize>(document: &T) -> String {
    let versioned = Versioned {
        schema_version: SCHEMA_VERSION,
        document,
    };
    serde_json::to_string_pretty(&versioned).expect("reports serialise")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Example {
        result: &'static str,
    }

    #[test]
    fn the_version_comes_first_then_the_fields() {
        let json = to_json(&Example { result: "installs" });
        assert_eq!(
            json,
            "{\n  \"schema_version\": 1,\n  \"result\": \"installs\"\n}"
        );
    }
}
