use super::*;
use crate::database::tests::sample;
use crate::read::{self, Database, Place, Value};

/// One root stream of a compound file, by its stored name.
fn stream(file: &[u8], name: &str) -> Vec<u8> {
    let file = read::compound::CompoundFile::parse(file).unwrap();
    let entry = file.find(&[name]).unwrap();
    file.read(entry).unwrap().into_owned()
}

fn sample_bytes() -> Vec<u8> {
    crate::database::to_bytes(&sample("x64")).unwrap()
}

fn sorted_tables(db: &Database<'_>) -> Vec<(String, Vec<String>, Vec<Vec<Value>>)> {
    let mut tables: Vec<_> = db
        .tables
        .iter()
        .map(|table| {
            let mut rows = table.rows.clone();
            rows.sort();
            let columns = table
                .columns
                .iter()
                .map(|c| format!("{}:{:#x}", c.name, c.type_bits))
                .collect();
            (table.name.clone(), columns, rows)
        })
        .collect();
    tables.sort();
    tables
}

/// The transform from `base` to `target` with no validation flags and no error conditions.
fn unvalidated(base: &Database<'_>, target: &Database<'_>) -> Result<Generated, GenerateError> {
    generate(base, target, Validation::empty(), ErrorConditions::empty())
}

fn settings(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

/// A target that inserts, updates and deletes rows, changes a stream cell's data and adds a
/// table the base lacks.
fn changed_pair(bytes: &[u8]) -> (Database<'_>, Database<'_>) {
    let mut base = read::read(bytes).unwrap();
    base.tables.retain(|table| table.name != "LaunchCondition");
    let mut target = set_properties(
        &read::read(bytes).unwrap(),
        &settings(&[
            ("PROXYSERVER", "proxy.contoso.com:8080"),
            ("ProductName", "Renamed"),
        ]),
    )
    .unwrap();
    let registry = target
        .tables
        .iter_mut()
        .find(|t| t.name == "Registry")
        .unwrap();
    registry
        .rows
        .retain(|row| row[0] != Value::Str("RegKey".into()));
    target.streams.insert(
        "Binary.Tool".into(),
        crate::read::StreamData::from(b"MZ new tool".to_vec()),
    );
    (base, target)
}

#[test]
fn applying_a_generated_transform_gives_the_target_tables_and_streams() {
    let bytes = sample_bytes();
    let (base, target) = changed_pair(&bytes);
    let generated = generate(
        &base,
        &target,
        // The sample has no ProductLanguage to validate against.
        Validation::PRODUCT | Validation::PLATFORM,
        ErrorConditions::empty(),
    )
    .unwrap();
    assert_eq!(
        generated.changed_tables,
        ["Binary", "LaunchCondition", "Property", "Registry"]
    );
    assert!(
        generated.not_carried.is_empty(),
        "{:?}",
        generated.not_carried
    );
    let mut applied = base.clone();
    apply(&mut applied, &generated.bytes).unwrap();
    assert_eq!(sorted_tables(&applied), sorted_tables(&target));
    assert_eq!(
        applied.streams["Binary.Tool"].load().unwrap().as_ref(),
        b"MZ new tool"
    );
    assert!(diff::diff(&applied, &target).is_empty());
}

#[test]
fn the_transform_has_its_clsid_summary_and_masked_records() {
    let bytes = sample_bytes();
    let base = read::read(&bytes).unwrap();
    let target = set_properties(
        &base,
        &settings(&[("ProductName", "Renamed"), ("PROXYSERVER", "p:1")]),
    )
    .unwrap();
    let generated = generate(
        &base,
        &target,
        Validation::CUSTOMIZATION,
        ErrorConditions::empty(),
    )
    .unwrap();
    let file = read::compound::CompoundFile::parse(&generated.bytes).unwrap();
    assert_eq!(file.root_clsid(), TRANSFORM_CLSID);
    let property = file
        .entries()
        .iter()
        .find(|e| read::decode_stream_name(&e.path[0]) == ("Property".to_string(), true))
        .unwrap();
    let data = file.read(property).unwrap();
    // Records in key order, strings pooled in order of use: an insert of two columns
    // (PROXYSERVER 1, p:1 2), then an update (mask bit 1: Value) of ProductName 3 to Renamed 4.
    assert_eq!(
        data.as_ref(),
        [0x01, 0x02, 1, 0, 2, 0, 0x02, 0x00, 3, 0, 4, 0]
    );
    let summary =
        read::summary::parse(&stream(&generated.bytes, read::SUMMARY_INFORMATION)).unwrap();
    assert_eq!(summary.title.as_deref(), Some("Transform"));
    assert_eq!(summary.template.as_deref(), Some("x64;1033"));
    assert_eq!(summary.last_author.as_deref(), Some("x64;1033"));
    assert_eq!(
        summary.char_count,
        Some((i32::from(Validation::CUSTOMIZATION.bits())) << 16)
    );
    let revision = Revision::parse(summary.revision.as_deref().unwrap()).unwrap();
    assert_eq!(
        revision.base_product_code,
        "{8E3C2A5B-0000-4000-8000-000000000001}"
    );
    assert_eq!(revision.new_product_code, revision.base_product_code);
}

#[test]
fn a_pool_of_65535_strings_or_more_uses_3_byte_references() {
    let bytes = sample_bytes();
    let base = read::read(&bytes).unwrap();
    let mut target = base.clone();
    let property = target
        .tables
        .iter_mut()
        .find(|t| t.name == "Property")
        .unwrap();
    for n in 0..33_000 {
        property.rows.push(vec![
            Value::Str(format!("P{n}")),
            Value::Str(format!("v{n}")),
        ]);
    }
    let generated = unvalidated(&base, &target).unwrap();
    let pool = stream(
        &generated.bytes,
        &crate::format::table_stream_name("_StringPool"),
    );
    assert_ne!(
        u32::from_le_bytes(pool[..4].try_into().unwrap()) & 0x8000_0000,
        0
    );
    let mut applied = base.clone();
    apply(&mut applied, &generated.bytes).unwrap();
    assert_eq!(sorted_tables(&applied), sorted_tables(&target));
}

#[test]
fn property_names_must_be_identifiers_and_values_non_empty() {
    let bytes = sample_bytes();
    let base = read::read(&bytes).unwrap();
    for bad in ["1ABC", "A B", "", "A-B"] {
        let error = set_properties(&base, &settings(&[(bad, "1")])).unwrap_err();
        assert!(error.to_string().contains("not a property name"), "{error}");
    }
    let error = set_properties(&base, &settings(&[("REBOOT", "")])).unwrap_err();
    assert!(error.to_string().contains("empty value"), "{error}");
    assert!(set_properties(&base, &settings(&[("_A.b9", "x")])).is_ok());
}

#[test]
fn dropped_tables_and_appended_columns_travel_and_are_applied() {
    let bytes = sample_bytes();
    let base = read::read(&bytes).unwrap();
    let mut target = base.clone();
    target.tables.retain(|t| t.name != "LaunchCondition");
    let property = (target.tables.iter_mut())
        .find(|t| t.name == "Property")
        .unwrap();
    let mut note = property.columns[1].clone();
    note.name = "Note".into();
    note.nullable = true;
    note.type_bits |= 0x1000;
    property.columns.push(note);
    for row in &mut property.rows {
        row.push(Value::Null);
    }
    property.rows[0][2] = Value::Str("kept for the site".into());
    let generated = unvalidated(&base, &target).unwrap();
    let tables = stream(
        &generated.bytes,
        &crate::format::table_stream_name("_Tables"),
    );
    // One delete: mask 0 and the name's 2-byte id.
    assert_eq!(tables.len(), 4, "{tables:02x?}");
    assert_eq!(tables[..2], [0, 0]);
    let mut applied = base.clone();
    apply(&mut applied, &generated.bytes).unwrap();
    assert_eq!(sorted_tables(&applied), sorted_tables(&target));
    assert!(diff::diff(&applied, &target).is_empty());
}

#[test]
fn columns_removed_reordered_retyped_or_keyed_are_refused() {
    let bytes = sample_bytes();
    let base = read::read(&bytes).unwrap();
    let changes: [fn(&mut read::Table); 3] = [
        |table| table.columns[1].type_bits ^= 0x1000,
        |table| table.columns.swap(0, 1),
        |table| {
            let mut key = table.columns[0].clone();
            key.name = "Scope".into();
            table.columns.push(key);
            table.rows.iter_mut().for_each(|row| row.push(Value::Null));
        },
    ];
    for change in changes {
        let mut target = base.clone();
        change(
            target
                .tables
                .iter_mut()
                .find(|t| t.name == "Property")
                .unwrap(),
        );
        let error = unvalidated(&base, &target).unwrap_err();
        assert!(
            error.to_string().contains("can only append columns"),
            "{error}"
        );
    }
    let mut target = base.clone();
    let property = (target.tables.iter_mut())
        .find(|t| t.name == "Property")
        .unwrap();
    property.columns.pop();
    property.rows.iter_mut().for_each(|row| {
        row.pop();
    });
    assert!(unvalidated(&base, &target).is_err());
}

/// A transform of `streams` (compound-file names) under `clsid`.
fn crafted(clsid: uuid::Uuid, streams: &[(String, Vec<u8>)]) -> Vec<u8> {
    let roots: Vec<crate::compound::RootStream> = streams
        .iter()
        .map(|(name, data)| (name.as_str(), data.as_slice()))
        .collect();
    let mut bytes = Vec::new();
    crate::compound::write_v3(clsid, &roots, &mut bytes).unwrap();
    bytes
}

/// A pool of "ProductName", "X" and a Property stream of `records`.
fn with_property_records(records: &[u8]) -> Vec<(String, Vec<u8>)> {
    use crate::format::table_stream_name;
    let mut pool = 1252u32.to_le_bytes().to_vec();
    pool.extend([11, 0, 1, 0, 1, 0, 1, 0]);
    vec![
        (table_stream_name("_StringPool"), pool),
        (table_stream_name("_StringData"), b"ProductNameX".to_vec()),
        (table_stream_name("Property"), records.to_vec()),
    ]
}

fn refusal(transform: &[u8]) -> read::ReadError {
    let bytes = sample_bytes();
    let mut db = read::read(&bytes).unwrap();
    apply(&mut db, transform).unwrap_err()
}

#[test]
fn invalid_transforms_are_refused_naming_the_stream_and_offset() {
    let good = with_property_records(&[0x02, 0, 1, 0, 2, 0]);
    let bytes = sample_bytes();
    let mut db = read::read(&bytes).unwrap();
    apply(&mut db, &crafted(TRANSFORM_CLSID, &good)).unwrap();
    assert_eq!(property(&db, "ProductName"), Some("X"));

    let database_clsid = uuid::Uuid::from_u128(0x000C_1084_0000_0000_C000_0000_0000_0046);
    let error = refusal(&crafted(database_clsid, &good));
    assert!(error.to_string().contains("not a transform's"), "{error}");

    let cases: [(&[u8], u64, &str); 5] = [
        // A record cut short: the mask asks for a Value cell the stream lacks.
        (
            &[0x02, 0, 1, 0, 2, 0, 0x02, 0, 1, 0],
            6,
            "needs 4 bytes after its mask; the stream has 2 left",
        ),
        // An odd byte after the last record.
        (
            &[0x02, 0, 1, 0, 2, 0, 0x02],
            6,
            "ends inside a record's mask",
        ),
        // Bit 2 names a third column; Property has two.
        (&[0x04, 0, 1, 0, 2, 0], 0, "names column 3; the table has 2"),
        // An insert of 3 columns.
        (
            &[0x01, 0x03, 1, 0, 2, 0, 2, 0],
            0,
            "an insert of 3 columns into a table of 2",
        ),
        // String id 9 in a pool of 2.
        (
            &[0x02, 0, 9, 0, 2, 0],
            2,
            "string id 9 is not in the transform's pool of 2 strings",
        ),
    ];
    for (records, offset, message) in cases {
        let error = refusal(&crafted(TRANSFORM_CLSID, &with_property_records(records)));
        assert_eq!(error.place, Place::Table("Property".into()), "{error}");
        assert_eq!(error.offset, offset, "{error}");
        assert!(error.to_string().contains(message), "{error}");
    }
    // Deleting or updating a row the database lacks.
    let mut missing = with_property_records(&[0x00, 0, 2, 0]);
    let error = refusal(&crafted(TRANSFORM_CLSID, &missing));
    assert!(
        error
            .to_string()
            .contains("deletes a row the table does not have"),
        "{error}"
    );
    missing[2].1 = vec![0x02, 0, 2, 0, 1, 0];
    let error = refusal(&crafted(TRANSFORM_CLSID, &missing));
    assert!(
        error
            .to_string()
            .contains("updates a row the table does not have"),
        "{error}"
    );
    // A table the database lacks.
    let mut unknown = good.clone();
    unknown[2].0 = crate::format::table_stream_name("NoSuchTable");
    let error = refusal(&crafted(TRANSFORM_CLSID, &unknown));
    assert!(
        error
            .to_string()
            .contains("which the database does not have"),
        "{error}"
    );
    // No string pool.
    let error = refusal(&crafted(TRANSFORM_CLSID, &good[2..]));
    assert!(error.to_string().contains("no string pool"), "{error}");
}

#[test]
fn validation_flags_refuse_another_product_language_platform_or_version() {
    let bytes = sample_bytes();
    let base = set_properties(
        &read::read(&bytes).unwrap(),
        &settings(&[
            ("ProductVersion", "1.2.3"),
            ("ProductLanguage", "1033"),
            ("UpgradeCode", "{8E3C2A5B-0000-4000-8000-0000000000FF}"),
        ]),
    )
    .unwrap();
    let target = set_properties(&base, &settings(&[("REBOOT", "ReallySuppress")])).unwrap();
    let flags = Validation::CUSTOMIZATION | Validation::MAJOR_VERSION;
    let generated = generate(&base, &target, flags, ErrorConditions::empty()).unwrap();
    let other =
        |name: &str, value: &str| set_properties(&base, &settings(&[(name, value)])).unwrap();
    let mut ok = base.clone();
    apply(&mut ok, &generated.bytes).unwrap();
    assert_eq!(property(&ok, "REBOOT"), Some("ReallySuppress"));
    for (mut db, message) in [
        (
            other("ProductCode", "{00000000-0000-0000-0000-000000000001}"),
            "ProductCode",
        ),
        (
            other("UpgradeCode", "{00000000-0000-0000-0000-000000000002}"),
            "UpgradeCode",
        ),
        (other("ProductLanguage", "1031"), "language 1033"),
        (other("ProductVersion", "9.0.0"), "ProductVersion \"9.0.0\""),
    ] {
        let error = apply(&mut db, &generated.bytes).unwrap_err();
        assert_eq!(error.place, Place::SummaryInformation, "{error}");
        assert!(error.to_string().contains(message), "{message}: {error}");
    }
    let mut arm = base.clone();
    arm.summary.as_mut().unwrap().template = Some("Arm64;1033".into());
    let error = apply(&mut arm, &generated.bytes).unwrap_err();
    assert!(error.to_string().contains("platform \"x64\""), "{error}");
    // Without the flags, the same databases take it.
    let lax = unvalidated(&base, &target).unwrap();
    apply(
        &mut other("ProductCode", "{00000000-0000-0000-0000-000000000001}"),
        &lax.bytes,
    )
    .unwrap();
}

#[test]
fn revision_triples_round_trip() {
    for text in ["{A}1.0.0;{B}1.0.1;{C}", "{A}1;{B}2;"] {
        assert_eq!(Revision::parse(text).unwrap().text(), text);
    }
    for bad in ["{A}1.0", "{A}1;{B}2;C", "{A}1;{B}2;{C}x", "A;B;C"] {
        assert_eq!(Revision::parse(bad), None, "{bad}");
    }
}

#[test]
fn a_change_no_mask_bit_can_name_is_a_whole_row_record() {
    use crate::format::schema::ColumnKind;
    use crate::read::{Column, Table};
    let bytes = sample_bytes();
    let mut base = read::read(&bytes).unwrap();
    let column = |index: usize| Column {
        name: format!("C{index}"),
        kind: ColumnKind::Int16,
        nullable: true,
        primary_key: index == 0,
        localizable: false,
        type_bits: 0x1502 | if index == 0 { 0x2000 } else { 0 },
    };
    let row = |key: i32, last: i32| {
        let mut row = vec![Value::Int(key)];
        row.extend((1..17).map(|_| Value::Null));
        row.push(Value::Int(last));
        row
    };
    base.tables.push(Table {
        name: "Wide".into(),
        columns: (0..18).map(column).collect(),
        rows: vec![row(1, 5), row(2, 6)],
    });
    let mut target = base.clone();
    let wide = target.tables.iter_mut().find(|t| t.name == "Wide").unwrap();
    wide.rows[0][17] = Value::Int(7);
    wide.rows[1][3] = Value::Int(8);
    let generated = unvalidated(&base, &target).unwrap();
    let name = crate::format::table_stream_name("Wide");
    let records = stream(&generated.bytes, &name);
    // Column 18 has no mask bit: row 1 is deleted and inserted whole (18 columns); column 4
    // has one: an update of key 2 and that cell.
    assert_eq!(&records[..6], &[0x00, 0x00, 0x01, 0x80, 0x01, 18]);
    assert_eq!(&records[6 + 36..], &[0x08, 0x00, 0x02, 0x80, 0x08, 0x80]);
    let mut applied = base.clone();
    apply(&mut applied, &generated.bytes).unwrap();
    assert_eq!(sorted_tables(&applied), sorted_tables(&target));
}

#[test]
fn streams_outside_tables_are_named_as_not_carried() {
    let bytes = sample_bytes();
    let base = read::read(&bytes).unwrap();
    let mut target = base.clone();
    target.streams.insert(
        "product.cab".into(),
        crate::read::StreamData::from(b"MSCF".to_vec()),
    );
    let generated = unvalidated(&base, &target).unwrap();
    assert_eq!(generated.not_carried, ["product.cab"]);
    assert!(generated.changed_tables.is_empty());
    let mut applied = base.clone();
    apply(&mut applied, &generated.bytes).unwrap();
    assert!(!applied.streams.contains_key("product.cab"));
}

#[test]
fn an_embedded_transform_is_read_from_its_sub_storage() {
    let bytes = sample_bytes();
    let (base, target) = changed_pair(&bytes);
    let generated = unvalidated(&base, &target).unwrap();
    let embedded = embed(&bytes, &generated.bytes, "site").unwrap();
    let mut applied = base.clone();
    apply_embedded(&mut applied, read::Input::Bytes(&embedded), "site").unwrap();
    assert_eq!(sorted_tables(&applied), sorted_tables(&target));
    let error =
        apply_embedded(&mut base.clone(), read::Input::Bytes(&embedded), "1031").unwrap_err();
    assert!(
        error.to_string().contains("embeds no transform \"1031\""),
        "{error}"
    );
    // A stream of that name is not a sub-storage.
    let error = apply_embedded(
        &mut base.clone(),
        read::Input::Bytes(&embedded),
        "Binary.Tool",
    )
    .unwrap_err();
    assert!(error.to_string().contains("no such sub-storage"), "{error}");
}

#[test]
fn embedding_refuses_bad_names_taken_names_signed_packages_and_non_transforms() {
    let bytes = sample_bytes();
    let (base, target) = changed_pair(&bytes);
    let mst = unvalidated(&base, &target).unwrap().bytes;
    for (name, message) in [
        ("", "1 to 31 characters"),
        ("a-name-of-thirty-two-characters!", "1 to 31 characters"),
        ("a;b", "one of"),
        ("..\\x", "one of"),
        ("tab\there", "control character"),
    ] {
        let error = embed(&bytes, &mst, name).unwrap_err().to_string();
        assert!(error.contains(message), "{name:?}: {error}");
    }
    let embedded = embed(&bytes, &mst, "site").unwrap();
    let error = embed(&embedded, &mst, "site").unwrap_err().to_string();
    assert!(error.contains("already has an entry named"), "{error}");
    let error = embed(&bytes, &bytes, "site").unwrap_err().to_string();
    assert!(error.contains("not a transform"), "{error}");
    let mut signed = crate::compound::Streams::read(&bytes).unwrap();
    signed.insert(crate::sign::msi::SIGNATURE_STREAM, vec![0x30, 0]);
    let signed = signed.write_v3().unwrap();
    let error = embed(&signed, &mst, "site").unwrap_err().to_string();
    assert!(error.contains("break its signature"), "{error}");
}
