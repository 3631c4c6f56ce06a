//! `\u{5}SummaryInformation`: an OLE property set ([MS-OLEPS]) whose section with FMTID
//! F29F85E0-4FF9-1068-AB91-08002B27B3D9 holds the summary properties. Every offset and length
//! is checked against the stream's size before it is followed; strings are decoded in the
//! codepage the set itself names (property 1).

use super::error::{Place, ReadError, Result};
use super::strings::Decoder;
use uuid::Uuid;

use crate::format::summary::{self as format, id, vt};

/// The summary properties an installer package uses; each is `None` when absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub codepage: Option<u16>,
    pub title: Option<String>,
    pub subject: Option<String>,
    pub author: Option<String>,
    pub keywords: Option<String>,
    pub comments: Option<String>,
    /// Platform and languages, e.g. `x64;1033`.
    pub template: Option<String>,
    pub last_author: Option<String>,
    /// The package code, e.g. `{…GUID…}`.
    pub revision: Option<String>,
    /// FILETIME: 100-nanosecond intervals since 1601-01-01 UTC.
    pub created: Option<u64>,
    pub last_saved: Option<u64>,
    /// The minimum installer version, times 100.
    pub page_count: Option<i32>,
    /// Source flags (2: compressed).
    pub word_count: Option<i32>,
    pub char_count: Option<i32>,
    pub creating_application: Option<String>,
    pub security: Option<i32>,
}

/// One property value as stored.
enum Property<'b> {
    Empty,
    Int(i32),
    Text(&'b [u8]),
    FileTime(u64),
    /// A type no summary property of an installer has (a thumbnail's VT_CF…).
    Other(u32),
}

/// Parses the summary information stream.
pub fn parse(bytes: &[u8]) -> Result<Summary> {
    let fail = |offset: usize, reason: String| {
        ReadError::new(Place::SummaryInformation, offset as u64, reason)
    };
    let section = section_offset(bytes)?;
    let count = u32_at(bytes, section + 4)
        .ok_or_else(|| fail(section, "the section header is cut off".into()))?
        as usize;
    let table = section + 8;
    if count > (bytes.len() - table.min(bytes.len())) / 8 {
        return Err(fail(
            section + 4,
            format!("{count} properties claimed, the stream has room for fewer"),
        ));
    }
    let mut properties = Vec::with_capacity(count);
    for index in 0..count {
        let at = table + 8 * index;
        let id = u32_at(bytes, at).expect("checked above");
        let offset = u32_at(bytes, at + 4).expect("checked above") as usize;
        let value_at = section
            .checked_add(offset)
            .filter(|&value_at| value_at < bytes.len())
            .ok_or_else(|| {
                fail(
                    at + 4,
                    format!("property {id} is at offset {offset}, past the stream"),
                )
            })?;
        properties.push((id, property(bytes, value_at)?));
    }
    let mut summary = Summary::default();
    for (id, value) in &properties {
        if let (id::CODEPAGE, Property::Int(codepage)) = (*id, value) {
            summary.codepage = Some(*codepage as u16);
        }
    }
    let codepage = u32::from(summary.codepage.unwrap_or(0));
    let decoder = Decoder::for_codepage(codepage)
        .ok_or_else(|| fail(section, format!("unknown codepage {codepage}")))?;
    for (id, value) in properties {
        summary
            .set(id, value, decoder)
            .map_err(|mismatch| fail(section, mismatch.to_string()))?;
    }
    Ok(summary)
}

impl Summary {
    /// Template's platform (`Intel`, `x64`, `Arm64`…), when present.
    pub fn platform(&self) -> Option<&str> {
        let (platform, _) = format::split_template(self.template.as_deref()?);
        Some(platform).filter(|platform| !platform.is_empty())
    }

    /// Template's language ids (e.g. `1033`).
    pub fn languages(&self) -> Vec<&str> {
        format::split_template(self.template.as_deref().unwrap_or_default()).1
    }

    /// Keywords' words.
    pub fn keyword_list(&self) -> Vec<&str> {
        format::split_keywords(self.keywords.as_deref().unwrap_or_default())
    }

    /// The package code (Revision number), upper case.
    pub fn package_code(&self) -> Option<String> {
        self.revision.as_ref().map(|code| code.to_ascii_uppercase())
    }

    /// The codepage the strings are in; 0 (neutral) when absent.
    pub fn codepage(&self) -> i32 {
        self.codepage.map_or(0, i32::from)
    }

    fn set(
        &mut self,
        id: u32,
        value: Property<'_>,
        decoder: Decoder,
    ) -> std::result::Result<(), TypeMismatch> {
        let text = |value: &Property<'_>| {
            value.expect(id, "VT_LPSTR", |property| match property {
                Property::Text(bytes) => {
                    Some(decoder.decode(bytes).trim_end_matches('\0').to_string())
                }
                _ => None,
            })
        };
        let int = |value: &Property<'_>| {
            value.expect(id, "VT_I2 or VT_I4", |property| match property {
                Property::Int(number) => Some(*number),
                _ => None,
            })
        };
        let time = |value: &Property<'_>| {
            value.expect(id, "VT_FILETIME", |property| match property {
                Property::FileTime(time) => Some(*time),
                _ => None,
            })
        };
        match id {
            id::CODEPAGE => {
                int(&value)?;
            }
            id::TITLE => self.title = text(&value)?,
            id::SUBJECT => self.subject = text(&value)?,
            id::AUTHOR => self.author = text(&value)?,
            id::KEYWORDS => self.keywords = text(&value)?,
            id::COMMENTS => self.comments = text(&value)?,
            id::TEMPLATE => self.template = text(&value)?,
            id::LAST_AUTHOR => self.last_author = text(&value)?,
            id::REVISION => self.revision = text(&value)?,
            id::CREATED => self.created = time(&value)?,
            id::LAST_SAVED => self.last_saved = time(&value)?,
            id::PAGE_COUNT => self.page_count = int(&value)?,
            id::WORD_COUNT => self.word_count = int(&value)?,
            id::CHAR_COUNT => self.char_count = int(&value)?,
            id::CREATING_APPLICATION => self.creating_application = text(&value)?,
            id::SECURITY => self.security = int(&value)?,
            // Other properties (thumbnail, edit time…) say nothing an installer reads.
            _ => {}
        }
        Ok(())
    }
}

/// A summary property stored with another type than the one its id has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("property {id} has type {found}, not {wanted}")]
struct TypeMismatch {
    id: u32,
    found: String,
    wanted: &'static str,
}

impl Property<'_> {
    /// The value `pick` finds in this property; `None` for VT_EMPTY; an error naming the
    /// property and the `wanted` type for any other type.
    fn expect<T>(
        &self,
        id: u32,
        wanted: &'static str,
        pick: impl Fn(&Property<'_>) -> Option<T>,
    ) -> std::result::Result<Option<T>, TypeMismatch> {
        match self {
            Property::Empty => Ok(None),
            other => pick(other).map(Some).ok_or_else(|| TypeMismatch {
                id,
                found: other.type_name(),
                wanted,
            }),
        }
    }

    fn type_name(&self) -> String {
        match self {
            Property::Empty => "VT_EMPTY".into(),
            Property::Int(_) => "VT_I2/VT_I4".into(),
            Property::Text(_) => "VT_LPSTR".into(),
            Property::FileTime(_) => "VT_FILETIME".into(),
            Property::Other(kind) => kind.to_string(),
        }
    }
}

/// Where the summary section starts, from the set's header.
fn section_offset(bytes: &[u8]) -> Result<usize> {
    let fail = |offset: usize, reason: String| {
        Err(ReadError::new(
            Place::SummaryInformation,
            offset as u64,
            reason,
        ))
    };
    if bytes.len() < 28 {
        return fail(
            0,
            format!("{} bytes, shorter than a property set header", bytes.len()),
        );
    }
    if bytes[..2] != [0xFE, 0xFF] {
        return fail(
            0,
            format!("byte order {:02x}{:02x}, not fffe", bytes[1], bytes[0]),
        );
    }
    let sections = u32_at(bytes, 24).expect("28 bytes") as usize;
    for index in 0..sections.min((bytes.len() - 28) / 20) {
        let at = 28 + 20 * index;
        let fmtid = Uuid::from_bytes_le(bytes[at..at + 16].try_into().expect("16 bytes"));
        let offset = u32_at(bytes, at + 16).expect("in bounds") as usize;
        if fmtid == format::FMTID {
            if offset.checked_add(8).is_none_or(|end| end > bytes.len()) {
                return fail(
                    at + 16,
                    format!("the summary section is at offset {offset}, past the stream"),
                );
            }
            return Ok(offset);
        }
    }
    fail(
        24,
        "no summary information section (FMTID F29F85E0-4FF9-1068-AB91-08002B27B3D9)".into(),
    )
}

fn property(bytes: &[u8], at: usize) -> Result<Property<'_>> {
    let cut = || {
        ReadError::new(
            Place::SummaryInformation,
            at as u64,
            "a property value is cut off",
        )
    };
    let kind = u32_at(bytes, at).ok_or_else(cut)? & 0xFFFF;
    let data = at + 4;
    Ok(match kind {
        vt::EMPTY => Property::Empty,
        vt::I2 => Property::Int(i32::from(
            bytes
                .get(data..data + 2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]))
                .ok_or_else(cut)?,
        )),
        vt::I4 => Property::Int(u32_at(bytes, data).ok_or_else(cut)? as i32),
        vt::FILETIME => {
            let low = u32_at(bytes, data).ok_or_else(cut)?;
            let high = u32_at(bytes, data + 4).ok_or_else(cut)?;
            Property::FileTime(u64::from(low) | (u64::from(high) << 32))
        }
        vt::LPSTR => {
            let length = u32_at(bytes, data).ok_or_else(cut)? as usize;
            let text = (data + 4)
                .checked_add(length)
                .and_then(|end| bytes.get(data + 4..end))
                .ok_or_else(|| {
                    ReadError::new(
                        Place::SummaryInformation,
                        data as u64,
                        format!("a string claims {length} bytes, past the stream"),
                    )
                })?;
            Property::Text(text)
        }
        other => Property::Other(other),
    })
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let word = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(word.try_into().expect("4 bytes")))
}
