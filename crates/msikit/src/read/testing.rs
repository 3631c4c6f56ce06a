//! Test-only: a small installer-database writer, for inputs the `msi` crate cannot write
//! (long string references, 100,000 distinct strings) and for crafting broken ones. The msi
//! crate reads what it writes in `tests`, so it is checked like the reader.

use super::tables::{ColumnKind, Value};
use super::NAME_DIGITS;
use std::collections::HashMap;
use uuid::Uuid;

pub const INSTALLER_CLSID: Uuid = Uuid::from_u128(0x000C_1084_0000_0000_C000_0000_0000_0046);

pub struct TableSpec {
    pub name: String,
    /// Name and `_Columns` Type bits.
    pub columns: Vec<(String, u16)>,
    pub rows: Vec<Vec<Value>>,
}

/// The streams of a database: table streams and the string pool (by stored name), then `streams`.
pub fn database_streams(
    codepage: u32,
    tables: &[TableSpec],
    streams: &[(&str, &[u8])],
) -> Vec<(String, Vec<u8>)> {
    let mut pool = Pool::default();
    let mut tables_rows = Vec::new();
    let mut columns_rows = Vec::new();
    let mut sorted: Vec<&TableSpec> = tables.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    for table in &sorted {
        tables_rows.push(vec![pool.id(&table.name)]);
        for (number, (name, bits)) in table.columns.iter().enumerate() {
            let number = (number as u32 + 1) ^ 0x8000;
            columns_rows.push(vec![
                pool.id(&table.name),
                number,
                pool.id(name),
                u32::from(*bits ^ 0x8000),
            ]);
        }
    }
    let mut raw_tables = vec![
        (
            "_Tables".to_string(),
            vec![ColumnKind::Str(64)],
            tables_rows,
        ),
        (
            "_Columns".to_string(),
            vec![
                ColumnKind::Str(64),
                ColumnKind::Int16,
                ColumnKind::Str(64),
                ColumnKind::Int16,
            ],
            columns_rows,
        ),
    ];
    for table in &sorted {
        let kinds: Vec<ColumnKind> = table.columns.iter().map(|(_, bits)| kind(*bits)).collect();
        let rows = table
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&kinds)
                    .map(|(value, &kind)| pool.cell(value, kind))
                    .collect()
            })
            .collect();
        raw_tables.push((table.name.clone(), kinds, rows));
    }
    let ref_size = if pool.strings.len() >= 0xFFFF { 3 } else { 2 };
    let mut out: Vec<(String, Vec<u8>)> = raw_tables
        .iter()
        .filter(|(_, _, rows)| !rows.is_empty())
        .map(|(name, kinds, rows)| (encode_name(name, true), column_major(kinds, rows, ref_size)))
        .collect();
    let (string_pool, string_data) = pool.encode(codepage, ref_size == 3);
    out.push((encode_name("_StringPool", true), string_pool));
    out.push((encode_name("_StringData", true), string_data));
    out.extend(
        streams
            .iter()
            .map(|(name, data)| (encode_name(name, false), data.to_vec())),
    );
    out.sort();
    out
}

/// A version-3 compound file holding `streams` in its root storage.
pub fn compound(streams: &[(String, Vec<u8>)]) -> Vec<u8> {
    let roots: Vec<(&str, &[u8])> = streams
        .iter()
        .map(|(name, data)| (name.as_str(), data.as_slice()))
        .collect();
    let mut bytes = Vec::new();
    crate::compound::write_v3(INSTALLER_CLSID, &roots, &mut bytes).unwrap();
    bytes
}

fn kind(bits: u16) -> ColumnKind {
    if bits & 0x800 != 0 && bits & 0xEFFF == 0x900 {
        ColumnKind::Binary
    } else if bits & 0x800 != 0 {
        ColumnKind::Str((bits & 0xFF) as usize)
    } else if bits & 0xFF == 4 {
        ColumnKind::Int32
    } else {
        ColumnKind::Int16
    }
}

fn column_major(kinds: &[ColumnKind], rows: &[Vec<u32>], ref_size: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    for (column, kind) in kinds.iter().enumerate() {
        let width = match kind {
            ColumnKind::Str(_) => ref_size,
            ColumnKind::Int32 => 4,
            _ => 2,
        };
        for row in rows {
            bytes.extend_from_slice(&row[column].to_le_bytes()[..width]);
        }
    }
    bytes
}

#[derive(Default)]
struct Pool {
    strings: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Pool {
    fn id(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        self.strings.push(text.to_string());
        let id = self.strings.len() as u32;
        self.ids.insert(text.to_string(), id);
        id
    }

    fn cell(&mut self, value: &Value, kind: ColumnKind) -> u32 {
        match (value, kind) {
            (Value::Null, _) => 0,
            (Value::Int(number), ColumnKind::Int16) => u32::from(*number as u16 ^ 0x8000),
            (Value::Int(number), _) => *number as u32 ^ 0x8000_0000,
            (Value::Str(text), _) => self.id(text),
            (Value::Stream(_), _) => 1,
        }
    }

    /// `_StringPool` and `_StringData`, in UTF-8 (what the tests use codepages for is ASCII).
    fn encode(&self, codepage: u32, long_refs: bool) -> (Vec<u8>, Vec<u8>) {
        let mut pool = (codepage | if long_refs { 0x8000_0000 } else { 0 })
            .to_le_bytes()
            .to_vec();
        let mut data = Vec::new();
        for text in &self.strings {
            let refcount = 1u16;
            match u16::try_from(text.len()) {
                Ok(length) => pool.extend([length.to_le_bytes(), refcount.to_le_bytes()].concat()),
                Err(_) => {
                    pool.extend([0u16.to_le_bytes(), refcount.to_le_bytes()].concat());
                    pool.extend((text.len() as u32).to_le_bytes());
                }
            }
            data.extend_from_slice(text.as_bytes());
        }
        (pool, data)
    }
}

/// A stream name as stored: characters of `[0-9A-Za-z._]` folded two to a character.
pub fn encode_name(name: &str, table: bool) -> String {
    // Property-set streams (`\u{5}SummaryInformation`) are stored as they are.
    if name.starts_with('\u{5}') {
        return name.to_string();
    }
    let code = |c: char| {
        NAME_DIGITS
            .iter()
            .position(|&digit| char::from(digit) == c)
            .map(|p| p as u32)
    };
    let mut stored = String::new();
    if table {
        stored.push('\u{4840}');
    }
    let chars: Vec<char> = name.chars().collect();
    let mut index = 0;
    while index < chars.len() {
        let (first, second) = (
            code(chars[index]),
            chars.get(index + 1).and_then(|&c| code(c)),
        );
        let (folded, used) = match (first, second) {
            (Some(first), Some(second)) => (0x3800 + (second << 6) + first, 2),
            (Some(first), None) => (0x4800 + first, 1),
            (None, _) => (chars[index] as u32, 1),
        };
        stored.push(char::from_u32(folded).unwrap());
        index += used;
    }
    stored
}

/// A summary information stream whose one property is a title (VT_LPSTR) with this length
/// field and these bytes.
pub fn summary_with_title(length: u32, title: &[u8]) -> Vec<u8> {
    let fmtid = Uuid::from_u128(0xF29F85E0_4FF9_1068_AB91_08002B27B3D9);
    let mut summary = vec![0xFE, 0xFF, 0, 0, 0, 0, 0, 0];
    summary.extend([0; 16]);
    summary.extend(1u32.to_le_bytes());
    summary.extend(fmtid.to_bytes_le());
    summary.extend(48u32.to_le_bytes());
    // The section: its size, one property (id 2, the title, at offset 16), the value.
    summary.extend((24 + title.len() as u32).to_le_bytes());
    summary.extend(1u32.to_le_bytes());
    summary.extend([2u32.to_le_bytes(), 16u32.to_le_bytes()].concat());
    summary.extend([30u32.to_le_bytes(), length.to_le_bytes()].concat());
    summary.extend_from_slice(title);
    summary
}

/// Counts, per thread, the bytes allocated and not yet freed, and their peak, so that a test
/// can prove that a length field was not believed.
struct CountingAllocator;

thread_local! {
    static LIVE: std::cell::Cell<i64> = const { std::cell::Cell::new(0) };
    static PEAK: std::cell::Cell<i64> = const { std::cell::Cell::new(0) };
}

fn track(delta: i64) {
    // `try_with`: the thread-local may already be gone while a thread shuts down.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is passed on to the system allocator unchanged; only counters are kept.
unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let pointer = unsafe { std::alloc::System.alloc(layout) };
        if !pointer.is_null() {
            track(layout.size() as i64);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: std::alloc::Layout) {
        unsafe { std::alloc::System.dealloc(pointer, layout) };
        track(-(layout.size() as i64));
    }

    unsafe fn realloc(
        &self,
        pointer: *mut u8,
        layout: std::alloc::Layout,
        new_size: usize,
    ) -> *mut u8 {
        let moved = unsafe { std::alloc::System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            track(new_size as i64 - layout.size() as i64);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// The most bytes `work` had allocated at once on this thread, beyond what was live before.
pub fn peak_allocation<T>(work: impl FnOnce() -> T) -> (T, u64) {
    let before = LIVE.with(|live| live.get());
    PEAK.with(|peak| peak.set(before));
    let result = work();
    let peak = PEAK.with(|peak| peak.get());
    (result, (peak - before).max(0) as u64)
}

/// A xorshift generator: the same mutations on every run, so a failure can be replayed.
pub struct Mutations(pub u64);

impl Mutations {
    pub fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound.max(1) as u64) as usize
    }

    /// `input` with one to eight bytes overwritten (small values and 0xFF bytes, the ones
    /// lengths and sector numbers go wrong with), and now and then cut short.
    pub fn mutate(&mut self, input: &[u8]) -> Vec<u8> {
        let mut mutated = input.to_vec();
        for _ in 0..1 + self.below(8) {
            let at = self.below(mutated.len());
            mutated[at] =
                [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF, self.below(256) as u8][self.below(7)];
        }
        if self.below(8) == 0 {
            mutated.truncate(self.below(mutated.len()));
        }
        mutated
    }
}

/// How many mutations a mutation test runs: `default`, or `MSIKIT_MUTATIONS` when set (for
/// longer runs: `MSIKIT_MUTATIONS=1000000 cargo test --release -p msikit mutations`).
pub fn mutation_rounds(default: usize) -> usize {
    std::env::var("MSIKIT_MUTATIONS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}
