//! The `transform` target: a fuzzed `.mst` applied to a small database that has every cell
//! kind (strings, 2- and 4-byte integers, nulls, a stream cell). Seeds are transforms our
//! writer makes from it: properties set, a row deleted, a table added, a stream changed.

use msikit::database::{Database, Summary};
use msikit::format::schema;
use msikit::format::schema::ColumnKind;
use msikit::read::{Column, Table, Value};
use msikit::transform::{self, ErrorConditions, Validation};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

fn base() -> &'static [u8] {
    static BASE: OnceLock<Vec<u8>> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut db = Database {
            tables: BTreeMap::new(),
            streams: BTreeMap::new(),
            summary: Summary {
                platform: "x64".into(),
                language: 1033,
                ..Summary::default()
            },
        };
        for (property, value) in [
            ("ProductCode", "{8E3C2A5B-0000-4000-8000-000000000001}"),
            ("ProductVersion", "1.0.0"),
            ("ALLUSERS", "1"),
        ] {
            db.insert(
                &schema::PROPERTY,
                schema::Property {
                    property: property.into(),
                    value: value.into(),
                },
            );
        }
        for (registry, root, name) in [("A", 2, Some("Enabled".to_string())), ("B", -1, None)] {
            db.insert(
                &schema::REGISTRY,
                schema::Registry {
                    registry: registry.into(),
                    root,
                    key: "SOFTWARE\\Fuzz".into(),
                    name,
                    value: None,
                    component: "C".into(),
                },
            );
        }
        db.insert(
            &schema::BINARY,
            schema::Binary {
                name: "Tool".into(),
                data: "Tool".into(),
            },
        );
        db.streams
            .insert("Binary.Tool".into(), Arc::new(b"MZ".to_vec()));
        msikit::database::to_bytes(&db).expect("the fuzz base encodes")
    })
}

pub fn run(bytes: &[u8]) {
    if let Ok(mut db) = msikit::read::read(base()) {
        drop(transform::apply(&mut db, bytes));
    }
}

pub fn crafted() -> Vec<Vec<u8>> {
    let base = msikit::read::read(crate::transform_target::base()).expect("the fuzz base reads");
    let settings = [
        ("ProductVersion".to_string(), "2.0.0".to_string()),
        ("NEW".to_string(), "x".to_string()),
    ];
    let mut target = transform::set_properties(&base, &settings).expect("valid settings");
    if let Some(registry) = target.tables.iter_mut().find(|t| t.name == "Registry") {
        registry.rows.retain(|row| row[0] != Value::Str("B".into()));
    }
    target.streams.insert(
        "Binary.Tool".into(),
        msikit::read::StreamData::from(b"MZ2".to_vec()),
    );
    let mut with_table = base.clone();
    let column = |name: &str, primary_key: bool, type_bits: u16| Column {
        name: name.into(),
        kind: ColumnKind::Str(255),
        nullable: false,
        primary_key,
        localizable: !primary_key,
        type_bits,
    };
    with_table.tables.push(Table {
        name: "LaunchCondition".into(),
        columns: vec![
            column("Condition", true, 0x2DFF),
            column("Description", false, 0x0FFF),
        ],
        rows: vec![vec![
            Value::Str("VersionNT".into()),
            Value::Str("Needs NT".into()),
        ]],
    });
    [(&base, &target), (&base, &with_table)]
        .into_iter()
        .filter_map(|(from, to)| {
            transform::generate(from, to, Validation::empty(), ErrorConditions::empty()).ok()
        })
        .map(|generated| generated.bytes)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_seeds_apply_to_the_base_so_mutations_reach_the_records() {
        let seeds = super::crafted();
        assert_eq!(seeds.len(), 2);
        for seed in seeds {
            let mut db = msikit::read::read(super::base()).unwrap();
            msikit::transform::apply(&mut db, &seed).unwrap();
        }
    }
}
