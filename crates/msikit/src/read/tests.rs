//! The reader against the `msi` and `cfb` crates (what they read, ours reads identically),
//! on packages the msi crate writes (version 4), their version-3 copies and databases with long
//! string references; then hostile input: truncations, byte flips and crafted structures, each
//! an error or a database, never a panic or a hang.

use super::testing::{self, TableSpec};
use super::*;
use std::io::{Cursor, Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Every table, column, row, stream and summary property of `bytes` equals what the msi crate
/// reads, and every compound-file entry equals what the cfb crate reads.
pub(crate) fn assert_reads_as_the_oracles_read(bytes: &[u8]) {
    let ours = read(bytes).unwrap_or_else(|error| panic!("our reader: {error}"));
    let mut theirs = msi::Package::open(Cursor::new(bytes)).expect("the msi crate reads it");
    assert_same_tables(&ours, &mut theirs);
    assert_same_streams(&ours, &mut theirs);
    assert_same_summary(
        ours.summary.as_ref().expect("a summary"),
        theirs.summary_info(),
    );
    let codepage = if ours.codepage == 0 {
        65001
    } else {
        ours.codepage as i32
    };
    assert_eq!(codepage, theirs.database_codepage().id());
    assert_same_compound_file(bytes);
}

fn assert_same_tables<F: Read + std::io::Seek>(ours: &Database, theirs: &mut msi::Package<F>) {
    let their_names: Vec<String> = theirs
        .tables()
        .map(|table| table.name().to_string())
        .filter(|name| name != "_Tables" && name != "_Columns")
        .collect();
    let mut our_names: Vec<String> = ours.tables.iter().map(|table| table.name.clone()).collect();
    our_names.sort();
    assert_eq!(our_names, their_names);
    for table in &ours.tables {
        let their_table = theirs.get_table(&table.name).unwrap();
        let their_columns: Vec<String> = their_table
            .columns()
            .iter()
            .map(describe_their_column)
            .collect();
        let our_columns: Vec<String> = table.columns.iter().map(describe_our_column).collect();
        assert_eq!(our_columns, their_columns, "columns of {}", table.name);
        let their_rows: Vec<Vec<String>> = theirs
            .select_rows(msi::Select::table(&table.name))
            .unwrap()
            .map(|row| {
                (0..row.len())
                    .map(|index| describe_their_value(&row[index]))
                    .collect()
            })
            .collect();
        // The msi crate reads every cell of a stream column as "binary", null or not.
        let our_rows: Vec<Vec<String>> = table
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&table.columns)
                    .map(|(value, column)| match column.kind {
                        ColumnKind::Binary => "stream".into(),
                        _ => describe_our_value(value),
                    })
                    .collect()
            })
            .collect();
        assert_eq!(our_rows.len(), their_rows.len(), "rows of {}", table.name);
        for (index, (our_row, their_row)) in our_rows.iter().zip(&their_rows).enumerate() {
            assert_eq!(our_row, their_row, "row {index} of {}", table.name);
        }
        for value in table.rows.iter().flatten() {
            if let Value::Stream(name) = value {
                assert!(
                    ours.streams.contains_key(name),
                    "{name} is a stream cell without a stream"
                );
            }
        }
    }
}

fn describe_their_column(column: &msi::Column) -> String {
    let kind = match column.coltype() {
        msi::ColumnType::Int16 => "i2".to_string(),
        msi::ColumnType::Int32 => "i4".to_string(),
        msi::ColumnType::Str(length) => format!("s{length}"),
        msi::ColumnType::Binary => "v0".to_string(),
    };
    let flags = (
        column.is_nullable(),
        column.is_primary_key(),
        column.is_localizable(),
    );
    format!("{} {kind} {flags:?}", column.name())
}

fn describe_our_column(column: &Column) -> String {
    let kind = match column.kind {
        ColumnKind::Int16 => "i2".to_string(),
        ColumnKind::Int32 => "i4".to_string(),
        ColumnKind::Str(length) => format!("s{length}"),
        ColumnKind::Binary => "v0".to_string(),
    };
    let flags = (column.nullable, column.primary_key, column.localizable);
    format!("{} {kind} {flags:?}", column.name)
}

fn describe_their_value(value: &msi::Value) -> String {
    match value {
        msi::Value::Null => "null".into(),
        msi::Value::Int(number) => format!("int {number}"),
        msi::Value::Str(text) => format!("str {text:?}"),
        // The msi crate says only that the column is binary.
        msi::Value::Binary => "stream".into(),
    }
}

fn describe_our_value(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Int(number) => format!("int {number}"),
        Value::Str(text) => format!("str {text:?}"),
        Value::Stream(name) => format!("stream {name}"),
    }
}

/// Property-set and signature streams the msi crate keeps out of its stream list.
const NOT_LISTED_BY_THE_MSI_CRATE: [&str; 4] = [
    "\u{5}SummaryInformation",
    "\u{5}DocumentSummaryInformation",
    "\u{5}DigitalSignature",
    "\u{5}MsiDigitalSignatureEx",
];

fn assert_same_streams<F: Read + std::io::Seek>(ours: &Database, theirs: &mut msi::Package<F>) {
    let mut their_names: Vec<String> = theirs.streams().collect();
    their_names.sort();
    let our_names: Vec<String> = ours
        .streams
        .keys()
        .filter(|name| !NOT_LISTED_BY_THE_MSI_CRATE.contains(&name.as_str()))
        .cloned()
        .collect();
    assert_eq!(our_names, their_names);
    for name in their_names {
        let mut data = Vec::new();
        theirs
            .read_stream(&name)
            .unwrap()
            .read_to_end(&mut data)
            .unwrap();
        assert!(
            ours.streams[&name].load().unwrap().as_ref() == data.as_slice(),
            "stream {name} differs"
        );
    }
}

fn assert_same_summary(ours: &Summary, theirs: &msi::SummaryInfo) {
    let filetime = |time: Option<SystemTime>| {
        time.map(|time| {
            let since_unix = time.duration_since(UNIX_EPOCH).unwrap();
            116_444_736_000_000_000 + since_unix.as_nanos() as u64 / 100
        })
    };
    // The msi crate reads a missing codepage as UTF-8.
    assert_eq!(
        ours.codepage.map_or(65001, i32::from),
        theirs.codepage().id()
    );
    assert_eq!(ours.title.as_deref(), theirs.title());
    assert_eq!(ours.subject.as_deref(), theirs.subject());
    assert_eq!(ours.author.as_deref(), theirs.author());
    assert_eq!(ours.comments.as_deref(), theirs.comments());
    assert_eq!(ours.last_author.as_deref(), theirs.last_saved_by());
    assert_eq!(
        ours.creating_application.as_deref(),
        theirs.creating_application()
    );
    let template = ours.template.clone().unwrap_or_default();
    let (platform, languages) = template.split_once(';').unwrap_or((&template, ""));
    assert_eq!(Some(platform).filter(|p| !p.is_empty()), theirs.arch());
    let their_languages: Vec<String> = theirs
        .languages()
        .iter()
        .map(|language| u16::from(*language).to_string())
        .collect();
    let our_languages: Vec<&str> = languages
        .split(',')
        .filter(|code| !code.is_empty())
        .collect();
    assert_eq!(our_languages, their_languages);
    let our_keywords: Vec<&str> = ours
        .keywords
        .as_deref()
        .unwrap_or("")
        .split([';', ','])
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .collect();
    assert_eq!(our_keywords, theirs.keywords());
    let revision = ours
        .revision
        .as_deref()
        .and_then(|text| uuid::Uuid::parse_str(text.trim_matches(['{', '}'])).ok());
    assert_eq!(revision, theirs.uuid());
    assert_eq!(ours.created, filetime(theirs.creation_time()));
    assert_eq!(ours.last_saved, filetime(theirs.last_saved_time()));
    assert_eq!(ours.page_count, theirs.page_count());
    assert_eq!(ours.word_count, theirs.word_count());
    assert_eq!(ours.char_count, theirs.character_count());
    assert_eq!(ours.security, theirs.doc_security());
}

/// A time the cfb crate gives back as the FILETIME the directory holds.
fn cfb_filetime(time: SystemTime) -> u64 {
    const UNIX_EPOCH_FILETIME: u64 = 116_444_736_000_000_000;
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => UNIX_EPOCH_FILETIME + (after.as_nanos() / 100) as u64,
        Err(before) => UNIX_EPOCH_FILETIME - (before.duration().as_nanos() / 100) as u64,
    }
}

fn assert_same_compound_file(bytes: &[u8]) {
    let ours = compound::CompoundFile::parse(bytes).unwrap();
    let mut theirs = cfb::CompoundFile::open(Cursor::new(bytes)).unwrap();
    assert_eq!(ours.root_clsid(), *theirs.root_entry().clsid());
    assert_eq!(ours.root().clsid, *theirs.root_entry().clsid());
    assert_eq!(ours.root().state_bits, theirs.root_entry().state_bits());
    type Described = (String, bool, uuid::Uuid, u64, u32, u64, u64);
    let mut their_entries: Vec<Described> = theirs
        .walk()
        .filter(|entry| !entry.is_root())
        .map(|entry| {
            let path = entry
                .path()
                .to_string_lossy()
                .trim_start_matches('/')
                .to_string();
            (
                path,
                entry.is_stream(),
                *entry.clsid(),
                if entry.is_stream() { entry.len() } else { 0 },
                entry.state_bits(),
                cfb_filetime(entry.created()),
                cfb_filetime(entry.modified()),
            )
        })
        .collect();
    their_entries.sort_by(|a, b| a.0.split('/').cmp(b.0.split('/')));
    let our_entries: Vec<Described> = ours
        .entries()
        .iter()
        .map(|entry| {
            (
                entry.path.join("/"),
                entry.kind == compound::EntryKind::Stream,
                entry.clsid,
                entry.size,
                entry.state_bits,
                entry.created,
                entry.modified,
            )
        })
        .collect();
    assert_eq!(our_entries, their_entries);
    // Each storage's children are the entries cfb lists in it.
    for storage in std::iter::once(ours.root()).chain(
        ours.entries()
            .iter()
            .filter(|entry| entry.kind == compound::EntryKind::Storage),
    ) {
        let ours_in_it: Vec<String> = ours
            .children(storage)
            .map(|entry| entry.path.join("/"))
            .collect();
        let mut theirs_in_it: Vec<String> = theirs
            .read_storage(format!("/{}", storage.path.join("/")))
            .unwrap()
            .map(|entry| {
                entry
                    .path()
                    .to_string_lossy()
                    .trim_start_matches('/')
                    .to_string()
            })
            .collect();
        theirs_in_it.sort_by(|a, b| a.split('/').cmp(b.split('/')));
        assert_eq!(ours_in_it, theirs_in_it, "in {:?}", storage.path);
    }
    for entry in ours
        .entries()
        .iter()
        .filter(|entry| entry.kind == compound::EntryKind::Stream)
    {
        let mut data = Vec::new();
        theirs
            .open_stream(format!("/{}", entry.path.join("/")))
            .unwrap()
            .read_to_end(&mut data)
            .unwrap();
        assert!(
            ours.read(entry).unwrap().as_ref() == data.as_slice(),
            "{:?} differs",
            entry.path
        );
    }
}

/// A package written by the msi crate (compound file version 4): every column kind, nulls,
/// extreme integers, text in codepage 1252, a stream column, a large and a small stream and
/// every summary property it writes.
fn msi_crate_package() -> Vec<u8> {
    use msi::{Column as C, Insert, Value as V};
    let mut package =
        msi::Package::create(msi::PackageType::Installer, Cursor::new(Vec::new())).unwrap();
    package.set_database_codepage(msi::CodePage::Windows1252);
    let info = package.summary_info_mut();
    info.set_codepage(msi::CodePage::Windows1252);
    info.set_title("Installation Database");
    info.set_subject("Café Subject");
    info.set_author("Contoso");
    info.set_comments("Comments");
    info.set_arch("x64");
    info.set_languages(&[msi::LanguageId::from(1033u16)]);
    info.set_keywords(&["Installer".to_string(), "SSPR".to_string()]);
    info.set_uuid(uuid::Uuid::from_u128(
        0x1234_5678_9ABC_DEF0_1234_5678_9ABC_DEF0,
    ));
    info.set_creation_time(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    info.set_last_save_time(UNIX_EPOCH + Duration::from_secs(1_700_000_100));
    info.set_page_count(200);
    info.set_word_count(2);
    info.set_character_count(7);
    info.set_doc_security(2);
    info.set_last_saved_by("Someone");
    info.set_creating_application("msi crate");
    package
        .create_table(
            "Property",
            vec![
                C::build("Property").primary_key().id_string(72),
                C::build("Value").localizable().text_string(0),
            ],
        )
        .unwrap();
    package
        .create_table(
            "Numbers",
            vec![
                C::build("Key").primary_key().int16(),
                C::build("Big").nullable().int32(),
                C::build("Small").nullable().int16(),
                C::build("Text").nullable().string(255),
            ],
        )
        .unwrap();
    package
        .create_table(
            "Binary",
            vec![
                C::build("Name").primary_key().id_string(72),
                C::build("Data").binary(),
            ],
        )
        .unwrap();
    package
        .insert_rows(
            Insert::into("Property")
                .row(vec![V::from("ProductName"), V::from("Café")])
                .row(vec![V::from("ALLUSERS"), V::from("1")]),
        )
        .unwrap();
    package
        .insert_rows(
            Insert::into("Numbers")
                .row(vec![
                    V::Int(1),
                    V::Int(i32::MAX),
                    V::Int(32767),
                    V::from("text"),
                ])
                .row(vec![
                    V::Int(-5),
                    V::Int(i32::MIN + 1),
                    V::Int(-32767),
                    V::Null,
                ])
                .row(vec![V::Int(3), V::Null, V::Null, V::Null]),
        )
        .unwrap();
    package
        .insert_rows(Insert::into("Binary").row(vec![V::from("Logo"), V::Binary]))
        .unwrap();
    let logo: Vec<u8> = (0..5000u32).map(|n| (n * 7) as u8).collect();
    package
        .write_stream("Binary.Logo")
        .unwrap()
        .write_all(&logo)
        .unwrap();
    package
        .write_stream("disk1.cab")
        .unwrap()
        .write_all(&[0x4D; 100])
        .unwrap();
    package.flush().unwrap();
    package.into_inner().unwrap().into_inner()
}

fn version_3_copy(bytes: &[u8]) -> Vec<u8> {
    crate::compound::Streams::read(bytes)
        .unwrap()
        .write_v3()
        .unwrap()
}

#[test]
fn a_version_4_package_reads_as_the_msi_and_cfb_crates_read_it() {
    let bytes = msi_crate_package();
    assert_eq!(
        compound::CompoundFile::parse(&bytes).unwrap().sector_size(),
        4096
    );
    assert_reads_as_the_oracles_read(&bytes);
    let database = read(&bytes).unwrap();
    let binary = database.table("Binary").unwrap();
    assert_eq!(
        binary.rows,
        [vec![
            Value::Str("Logo".into()),
            Value::Stream("Binary.Logo".into())
        ]]
    );
    assert_eq!(
        database.summary.unwrap().template.as_deref(),
        Some("x64;1033")
    );
}

#[test]
fn a_version_3_package_reads_as_the_msi_and_cfb_crates_read_it() {
    let bytes = version_3_copy(&msi_crate_package());
    assert_eq!(
        compound::CompoundFile::parse(&bytes).unwrap().sector_size(),
        512
    );
    assert_reads_as_the_oracles_read(&bytes);
}

/// 40,000 rows of two distinct strings each: more than 65,535 strings, so references are
/// 3 bytes, and a string over 64 KiB, stored with the long-length entry.
fn long_reference_database(rows: usize) -> Vec<(String, Vec<u8>)> {
    let table = TableSpec {
        name: "Registry".into(),
        columns: vec![
            ("Registry".into(), 0x2D48),
            ("Value".into(), 0x1F00),
            ("Number".into(), 0x1104),
            ("Data".into(), 0x1900),
        ],
        rows: (0..rows)
            .map(|n| {
                let value = if n == 7 {
                    "v".repeat(70_000)
                } else {
                    format!("value {n}")
                };
                let number = if n % 3 == 0 {
                    Value::Null
                } else {
                    Value::Int(n as i32 - 1000)
                };
                vec![
                    Value::Str(format!("key{n}")),
                    Value::Str(value),
                    number,
                    Value::Null,
                ]
            })
            .collect(),
    };
    let summary = testing::summary_with_title(6, b"Title\0");
    testing::database_streams(65001, &[table], &[(SUMMARY_INFORMATION, &summary)])
}

/// A small database with an 8 MiB `disk1.cab` stream, and that stream's bytes.
fn database_with_large_stream() -> (Vec<u8>, Vec<u8>) {
    let mut streams = small_database();
    let large: Vec<u8> = (0..8u32 << 20).map(|n| (n % 251) as u8).collect();
    streams.push((testing::encode_name("disk1.cab", false), large.clone()));
    (testing::compound(&streams), large)
}

#[test]
fn a_file_whose_fat_needs_difat_sectors_reads_as_cfb_reads_it_and_its_large_stream_is_borrowed() {
    // 8 MiB in 512-byte sectors: more than the 109 FAT sectors the header can list.
    let (bytes, large) = database_with_large_stream();
    assert!(compound::le_u32(&bytes, 0x2C) > 109 && compound::le_u32(&bytes, 0x48) > 0);
    assert_same_compound_file(&bytes);
    let database = read(&bytes).unwrap();
    let cabinet = &database.streams["disk1.cab"];
    assert!(cabinet.load().unwrap().as_ref() == large.as_slice());
    // Its sectors are contiguous: the stream is borrowed from the input, not copied.
    assert!(matches!(
        cabinet,
        crate::read::StreamData::Memory(std::borrow::Cow::Borrowed(_))
    ));
}

/// A version-3 file the cfb crate writes with two 2 MiB streams written in turns, 4 KiB at
/// a time, so each stream's sectors come in many runs.
fn interleaved_streams() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let a: Vec<u8> = (0..2u32 << 20).map(|n| (n % 251) as u8).collect();
    let b: Vec<u8> = (0..2u32 << 20).map(|n| (n % 241) as u8 ^ 0x5A).collect();
    let mut file =
        cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new())).unwrap();
    let mut first = file.create_stream("a").unwrap();
    first.write_all(&a[..4096]).unwrap();
    drop(first);
    let mut second = file.create_stream("b").unwrap();
    second.write_all(&b[..4096]).unwrap();
    drop(second);
    for start in (4096..a.len()).step_by(4096) {
        let mut first = file.open_stream("a").unwrap();
        std::io::Seek::seek(&mut first, std::io::SeekFrom::End(0)).unwrap();
        first.write_all(&a[start..start + 4096]).unwrap();
        drop(first);
        let mut second = file.open_stream("b").unwrap();
        std::io::Seek::seek(&mut second, std::io::SeekFrom::End(0)).unwrap();
        second.write_all(&b[start..start + 4096]).unwrap();
    }
    file.flush().unwrap();
    (file.into_inner().into_inner(), a, b)
}

#[test]
fn large_streams_of_a_shared_input_stay_in_it_in_runs_and_read_as_cfb_wrote_them() {
    let (bytes, a, b) = interleaved_streams();
    let input = Input::Shared(std::sync::Arc::new(bytes.clone()));
    let file = compound::CompoundFile::open(input).unwrap();
    for (name, expected) in [("a", &a), ("b", &b)] {
        let data = file.stream(file.find(&[name]).unwrap()).unwrap();
        let StreamData::File(stream) = &data else {
            panic!("{name}: {data:?} should be left in the file")
        };
        assert!(
            stream.runs.len() > 100,
            "{name}: {} runs",
            stream.runs.len()
        );
        assert!(
            data.load().unwrap().as_ref() == expected.as_slice(),
            "{name}"
        );
        // Reads that start inside one run and end in another.
        for offset in [0, 4000, 4096 * 7 + 13, expected.len() - 9000] {
            let mut piece = vec![0; 9000];
            data.read_exact_at(&mut piece, offset as u64).unwrap();
            assert!(
                piece == expected[offset..offset + 9000],
                "{name} at {offset}"
            );
        }
        // The same file in memory reads the same bytes.
        let in_memory = compound::CompoundFile::parse(&bytes).unwrap();
        assert_eq!(
            data,
            StreamData::Memory(in_memory.read(in_memory.find(&[name]).unwrap()).unwrap())
        );
    }
}

#[test]
fn reading_a_package_from_a_file_holds_its_tables_not_its_large_streams() {
    let (bytes, _) = database_with_large_stream();
    let input = Input::Shared(std::sync::Arc::new(bytes.clone()));
    let (database, peak) = testing::peak_allocation(|| open(input).unwrap());
    assert!(peak < 1 << 20, "reading allocated {peak} bytes at its peak");
    assert!(matches!(database.streams["disk1.cab"], StreamData::File(_)));
    // Everything else is as reading the bytes in memory gives it.
    let in_memory = read(&bytes).unwrap();
    assert_eq!(database.tables, in_memory.tables);
    assert_eq!(database.streams, in_memory.streams);
    assert_eq!(database.summary, in_memory.summary);
}

#[test]
fn sub_storages_are_listed_and_their_streams_read_as_cfb_reads_them() {
    let mut file = crate::compound::Streams::read(&msi_crate_package()).unwrap();
    file.insert("/#Transform1/\u{5}SummaryInformation", vec![1; 10]);
    file.insert("/#Transform1/Nested/data", vec![2; 5000]);
    let bytes = file.write_v3().unwrap();
    assert_same_compound_file(&bytes);
    let database = read(&bytes).unwrap();
    assert_eq!(
        database.storages.keys().collect::<Vec<_>>(),
        ["#Transform1"]
    );
    let compound = compound::CompoundFile::parse(&bytes).unwrap();
    let nested = compound.find(&["#Transform1", "Nested", "data"]).unwrap();
    assert_eq!(compound.read(nested).unwrap().as_ref(), &[2; 5000][..]);
    assert_eq!(
        compound.find(&["#Transform1", "Nested"]).unwrap().kind,
        compound::EntryKind::Storage
    );
}

#[test]
fn long_string_references_and_long_strings_read_as_the_msi_crate_reads_them() {
    let bytes = testing::compound(&long_reference_database(40_000));
    let database = read(&bytes).unwrap();
    let table = database.table("Registry").unwrap();
    assert_eq!(table.rows.len(), 40_000);
    assert_eq!(table.rows[7][1], Value::Str("v".repeat(70_000)));
    let mut theirs = msi::Package::open(Cursor::new(&bytes)).unwrap();
    assert_same_tables(&database, &mut theirs);
}

/// Runs `check` in a thread and fails if it does not finish within `limit`.
fn within(limit: Duration, check: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        check();
        done.send(()).ok();
    });
    match finished.recv_timeout(limit) {
        Ok(()) => worker.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            std::panic::resume_unwind(worker.join().unwrap_err())
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("no answer within {limit:?}: a hang"),
    }
}

fn read_without_panic(bytes: &[u8], what: &str) {
    let result = std::panic::catch_unwind(|| read(bytes).map(|database| database.tables.len()));
    match result {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => assert!(
            !error.reason.is_empty(),
            "{what}: an error without a reason"
        ),
        Err(_) => panic!("{what}: the reader panicked"),
    }
}

#[test]
fn every_truncation_is_a_database_or_an_error() {
    let bytes = version_3_copy(&msi_crate_package());
    within(Duration::from_secs(120), move || {
        for length in 0..bytes.len() {
            read_without_panic(&bytes[..length], &format!("truncated to {length} bytes"));
        }
    });
}

#[test]
fn every_single_byte_flip_is_a_database_or_an_error() {
    let bytes = version_3_copy(&msi_crate_package());
    within(Duration::from_secs(240), move || {
        let mut mutated = bytes.clone();
        for offset in 0..bytes.len() {
            for flip in [0xFF, 0x01, 0x80] {
                mutated[offset] ^= flip;
                read_without_panic(&mutated, &format!("byte {offset} ^ {flip:#x}"));
                mutated[offset] ^= flip;
            }
        }
    });
}

#[test]
fn a_version_4_package_survives_flips_of_its_structures() {
    let bytes = msi_crate_package();
    within(Duration::from_secs(120), move || {
        let mut mutated = bytes.clone();
        // The header, then every 7th byte of the rest (version 4 files are mostly padding).
        for offset in (0..512).chain((512..bytes.len()).step_by(7)) {
            mutated[offset] ^= 0xFF;
            read_without_panic(&mutated, &format!("byte {offset} ^ 0xff"));
            mutated[offset] ^= 0xFF;
        }
    });
}

fn put_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// The error reading `bytes` gives, within 10 seconds and allocating at most twice the
/// input and 1 MiB besides (whatever its length fields claim).
fn read_error(bytes: Vec<u8>) -> ReadError {
    let (sender, receiver) = mpsc::channel();
    within(Duration::from_secs(10), move || {
        let (result, peak) = testing::peak_allocation(|| read(&bytes).map(|_| ()));
        assert!(
            peak <= 2 * bytes.len() as u64 + (1 << 20),
            "{peak} bytes allocated for {} bytes of input",
            bytes.len()
        );
        sender.send(result.unwrap_err()).unwrap();
    });
    receiver.recv().unwrap()
}

/// A small version-3 package and where its directory starts and its first FAT sector is.
fn small_package() -> (Vec<u8>, usize, usize) {
    let bytes = version_3_copy(&msi_crate_package());
    let directory = compound::le_u32(&bytes, 0x30) as usize;
    let fat = compound::le_u32(&bytes, 0x4C) as usize;
    (bytes, directory, fat)
}

#[test]
fn a_header_claiming_huge_sector_counts_is_refused_at_once() {
    let (mut bytes, _, _) = small_package();
    put_u32(&mut bytes, 0x2C, u32::MAX);
    let error = read_error(bytes);
    assert_eq!((error.place, error.offset), (Place::Header, 0x2C));
    assert!(
        error.reason.contains("4294967295 FAT sectors claimed"),
        "{}",
        error.reason
    );

    let (mut bytes, _, _) = small_package();
    bytes.extend(vec![0; 600 * 512]);
    put_u32(&mut bytes, 0x2C, 500);
    put_u32(&mut bytes, 0x48, u32::MAX);
    // A DIFAT sector that chains to itself.
    let difat = bytes.len() / 512 - 2;
    put_u32(&mut bytes, 0x44, difat as u32);
    put_u32(&mut bytes, (difat + 1) * 512 + 508, difat as u32);
    read_error(bytes);
}

#[test]
fn a_fat_cycle_is_an_error_naming_the_directory() {
    let (mut bytes, directory, fat) = small_package();
    put_u32(
        &mut bytes,
        (fat + 1) * 512 + 4 * directory,
        directory as u32,
    );
    let error = read_error(bytes);
    assert_eq!(error.place, Place::Directory);
    assert!(error.reason.contains("loops"), "{error}");
}

#[test]
fn a_directory_cycle_is_an_error() {
    let (mut bytes, directory, _) = small_package();
    let root = (directory + 1) * 512;
    let child = compound::le_u32(&bytes, root + 76);
    put_u32(&mut bytes, root + 128 * child as usize + 68, child);
    let error = read_error(bytes);
    assert_eq!(error.place, Place::Directory);
    assert!(error.reason.contains("reached twice"), "{error}");
}

#[test]
fn a_stream_claiming_more_than_the_file_is_refused_before_allocating() {
    let (mut bytes, directory, _) = small_package();
    let root = (directory + 1) * 512;
    let child = compound::le_u32(&bytes, root + 76) as usize;
    put_u32(&mut bytes, root + 128 * child + 120, 0xFFFF_FFF0);
    let error = read_error(bytes);
    assert!(matches!(error.place, Place::Stream(_)), "{error}");
    assert!(error.reason.contains("more than the whole file"), "{error}");
}

/// A version-3 file with a sub-storage `#T` holding one stream, the directory offset of `#T`'s
/// entry, and `#T`'s entry id.
fn file_with_a_sub_storage() -> (Vec<u8>, usize, u32) {
    let mut streams = crate::compound::Streams::read(&small_package().0).unwrap();
    streams.insert("/#T/data", vec![3; 100]);
    let bytes = streams.write_v3().unwrap();
    let file = compound::CompoundFile::parse(&bytes).unwrap();
    let storage = file.find(&["#T"]).unwrap().clone();
    drop(file);
    let directory = compound::le_u32(&bytes, 0x30) as usize;
    // The directory's first sector holds entries 0..4; find #T's by its name.
    let name: Vec<u8> = "#T".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let (offset, id) = (0..bytes.len() / 128)
        .map(|slot| (slot * 128, slot))
        .find(|(offset, _)| {
            *offset >= (directory + 1) * 512
                && bytes[*offset..*offset + 4] == name[..]
                && bytes[*offset + 66] == 1
        })
        .map(|(offset, slot)| (offset, (slot - (directory + 1) * 4) as u32))
        .expect("the storage's entry");
    assert_eq!(storage.kind, compound::EntryKind::Storage);
    (bytes, offset, id)
}

#[test]
fn a_sub_storage_whose_child_is_itself_is_an_error() {
    let (mut bytes, storage, id) = file_with_a_sub_storage();
    put_u32(&mut bytes, storage + 76, id);
    let error = read_error(bytes);
    assert_eq!(error.place, Place::Directory);
    assert!(error.reason.contains("reached twice"), "{error}");
}

#[test]
fn a_sub_storage_whose_child_is_the_root_is_an_error() {
    let (mut bytes, storage, _) = file_with_a_sub_storage();
    put_u32(&mut bytes, storage + 76, 0);
    let error = read_error(bytes);
    assert_eq!(
        (&error.place, error.offset),
        (&Place::Directory, storage as u64 + 76)
    );
    assert!(error.reason.contains("reached twice"), "{error}");
}

#[test]
fn a_directory_running_past_the_end_of_the_file_is_an_error() {
    let (mut bytes, directory, fat) = small_package();
    // The directory's chain goes on to a sector the FAT has but the file does not.
    assert!(bytes.len() < 120 * 512);
    put_u32(&mut bytes, (fat + 1) * 512 + 4 * directory, 120);
    put_u32(&mut bytes, (fat + 1) * 512 + 4 * 120, 0xFFFF_FFFE);
    let error = read_error(bytes);
    assert_eq!(error.place, Place::Directory);
    assert!(error.reason.contains("past the end of the file"), "{error}");
}

#[test]
fn state_bits_and_times_read_as_cfb_reads_them() {
    let mut file =
        cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new())).unwrap();
    file.create_storage("/sub").unwrap();
    file.create_stream("/sub/data")
        .unwrap()
        .write_all(b"x")
        .unwrap();
    file.create_stream("/top")
        .unwrap()
        .write_all(&[1; 5000])
        .unwrap();
    file.set_state_bits("/", 0x11).unwrap();
    file.set_state_bits("/sub", 0x2222).unwrap();
    file.set_state_bits("/top", 0x3333_0000).unwrap();
    let when = UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    file.set_created_time("/sub", when).unwrap();
    file.set_modified_time("/sub", when + Duration::from_secs(1))
        .unwrap();
    file.flush().unwrap();
    let bytes = file.into_inner().into_inner();
    assert_same_compound_file(&bytes);
    let ours = compound::CompoundFile::parse(&bytes).unwrap();
    assert_eq!(ours.root().state_bits, 0x11);
    let sub = ours.find(&["sub"]).unwrap();
    assert_eq!(sub.state_bits, 0x2222);
    assert_eq!(sub.created, cfb_filetime(when));
    let children: Vec<&str> = ours
        .children(ours.root())
        .map(|entry| entry.path[0].as_str())
        .collect();
    assert_eq!(children, ["sub", "top"]);
}

fn small_database() -> Vec<(String, Vec<u8>)> {
    let table = TableSpec {
        name: "Property".into(),
        columns: vec![("Property".into(), 0x2D48), ("Value".into(), 0x0F00)],
        rows: vec![vec![Value::Str("A".into()), Value::Str("1".into())]],
    };
    testing::database_streams(1252, &[table], &[])
}

fn replace_stream(
    streams: &mut [(String, Vec<u8>)],
    name: &str,
    table: bool,
    edit: impl FnOnce(&mut Vec<u8>),
) {
    let stored = testing::encode_name(name, table);
    edit(
        &mut streams
            .iter_mut()
            .find(|(n, _)| *n == stored)
            .expect("the stream")
            .1,
    );
}

#[test]
fn a_string_pool_entry_claiming_4_gib_is_an_error() {
    let mut streams = small_database();
    replace_stream(&mut streams, "_StringPool", true, |pool| {
        pool.extend([0, 0, 1, 0]);
        pool.extend(u32::MAX.to_le_bytes());
    });
    let error = read_error(testing::compound(&streams));
    assert_eq!(error.place, Place::StringPool);
    assert!(error.reason.contains("claims 4294967295 bytes"), "{error}");
}

#[test]
fn a_table_stream_that_is_not_whole_rows_is_an_error_naming_the_table() {
    let mut streams = small_database();
    replace_stream(&mut streams, "Property", true, |table| table.push(0));
    let error = read_error(testing::compound(&streams));
    assert_eq!(
        (error.place.clone(), error.offset),
        (Place::Table("Property".into()), 5)
    );
    assert_eq!(
        error.to_string(),
        "table \"Property\", byte 5: 5 bytes is not a whole number of 4-byte rows"
    );
}

#[test]
fn a_string_id_past_the_pool_is_an_error_naming_the_table_and_cell() {
    let mut streams = small_database();
    replace_stream(&mut streams, "Property", true, |table| {
        table[2..4].copy_from_slice(&900u16.to_le_bytes())
    });
    let error = read_error(testing::compound(&streams));
    assert_eq!(
        (error.place.clone(), error.offset),
        (Place::Table("Property".into()), 2)
    );
    assert!(
        error.reason.contains("string id 900 is not in the pool"),
        "{error}"
    );
}

#[test]
fn a_summary_string_claiming_4_gib_is_an_error() {
    let mut summary = testing::summary_with_title(u32::MAX, b"");
    let mut streams = small_database();
    streams.push((SUMMARY_INFORMATION.to_string(), summary.clone()));
    let error = read_error(testing::compound(&streams));
    assert_eq!((error.place, error.offset), (Place::SummaryInformation, 68));
    assert!(
        error.reason.contains("claims 4294967295 bytes"),
        "{}",
        error.reason
    );
    summary = testing::summary_with_title(5, b"Titl\0");
    assert_eq!(
        summary::parse(&summary).unwrap().title.as_deref(),
        Some("Titl")
    );
}

#[test]
fn stream_names_decode_as_the_msi_crate_encodes_them() {
    assert_eq!(
        decode_stream_name("\u{4840}\u{3b3f}\u{43f2}\u{4438}\u{45b1}"),
        ("_Columns".to_string(), true)
    );
    for name in [
        "Binary.Logo",
        "disk1.cab",
        "a",
        "x-y z",
        "\u{5}SummaryInformation",
    ] {
        assert_eq!(
            decode_stream_name(&testing::encode_name(name, false)),
            (name.to_string(), false)
        );
    }
}

#[test]
fn reading_time_grows_linearly_with_rows() {
    let time = |rows: usize| {
        let bytes = testing::compound(&long_reference_database(rows));
        let start = Instant::now();
        let database = read(&bytes).unwrap();
        let elapsed = start.elapsed();
        assert_eq!(database.table("Registry").unwrap().rows.len(), rows);
        elapsed
    };
    time(1_000);
    let small = time(10_000);
    let large = time(100_000);
    assert!(
        large < small * 30,
        "10,000 rows: {small:?}; 100,000 rows: {large:?}"
    );
}

#[test]
fn thousands_of_random_multi_byte_mutations_are_databases_or_errors() {
    let version_4 = msi_crate_package();
    let version_3 = version_3_copy(&version_4);
    let rounds = testing::mutation_rounds(4000);
    within(
        Duration::from_secs(240).max(Duration::from_millis(rounds as u64)),
        move || {
            let mut mutations = testing::Mutations(0x5EED_1234_ABCD_0042);
            for round in 0..rounds {
                let input = if round % 4 == 0 {
                    &version_4
                } else {
                    &version_3
                };
                let mutated = mutations.mutate(input);
                read_without_panic(&mutated, &format!("mutation round {round}"));
            }
        },
    );
}
