//! Embedded cabinets: MSZIP, one folder, fixed timestamps, so the same files give the same
//! bytes.

use std::io::{Cursor, Write};
use std::sync::Arc;

/// Cabinets already built during one build, by content. The credential-provider packages of
/// one architecture embed the same payload: compressing it once per package was a quarter of a
/// matrix build's instructions (callgrind), and most of its time with large payloads.
#[derive(Debug, Default)]
pub struct Cache {
    built: Vec<Built>,
}

#[derive(Debug)]
struct Built {
    files: Vec<(String, Arc<Vec<u8>>)>,
    timestamp: u64,
    cabinet: Arc<Vec<u8>>,
}

impl Built {
    fn holds(&self, files: &[(&str, &Arc<Vec<u8>>)], timestamp: u64) -> bool {
        self.timestamp == timestamp
            && self.files.len() == files.len()
            && self
                .files
                .iter()
                .zip(files)
                .all(|((name, data), (other, other_data))| {
                    // The packages share the payload's bytes: comparing pointers is enough then.
                    name == other && (Arc::ptr_eq(data, other_data) || data == *other_data)
                })
    }
}

impl Cache {
    /// The cabinet holding `files`, built now or earlier in this build.
    pub fn get_or_build(
        &mut self,
        files: &[(&str, &Arc<Vec<u8>>)],
        timestamp: u64,
    ) -> std::io::Result<Arc<Vec<u8>>> {
        if let Some(built) = self.built.iter().find(|b| b.holds(files, timestamp)) {
            return Ok(built.cabinet.clone());
        }
        let slices: Vec<(&str, &[u8])> = files.iter().map(|(n, d)| (*n, d.as_slice())).collect();
        let cabinet = Arc::new(build(&slices, timestamp)?);
        self.built.push(Built {
            files: files
                .iter()
                .map(|(n, d)| (n.to_string(), Arc::clone(d)))
                .collect(),
            timestamp,
            cabinet: cabinet.clone(),
        });
        Ok(cabinet)
    }
}

/// A cabinet holding `files` (name in the cabinet, content), in order.
pub fn build(files: &[(&str, &[u8])], timestamp: u64) -> std::io::Result<Vec<u8>> {
    let datetime = dos_datetime(timestamp);
    let mut builder = cab::CabinetBuilder::new();
    let folder = builder.add_folder(cab::CompressionType::MsZip);
    for (name, _) in files {
        folder.add_file(*name).set_datetime(datetime);
    }
    let mut writer = builder.build(Cursor::new(Vec::new()))?;
    let mut contents = files.iter();
    while let Some(mut file) = writer.next_file()? {
        let (_, data) = contents
            .next()
            .expect("the cabinet has as many files as were added");
        file.write_all(data)?;
    }
    Ok(writer.finish()?.into_inner())
}

/// Cabinets and zips store DOS times, from 1980 to 2107; clamp into that range.
pub fn dos_datetime(timestamp: u64) -> time::PrimitiveDateTime {
    const FIRST: i64 = 315_532_800; // 1980-01-01T00:00:00Z
    const LAST: i64 = 4_354_819_198; // 2107-12-31T23:59:58Z
    let seconds = i64::try_from(timestamp).unwrap_or(LAST).clamp(FIRST, LAST);
    let utc = time::OffsetDateTime::from_unix_timestamp(seconds).expect("clamped into range");
    time::PrimitiveDateTime::new(utc.date(), utc.time())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn round_trips_and_is_deterministic() {
        let big: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let files: &[(&str, &[u8])] = &[("a.dll", b"hello"), ("big.bin", &big)];
        let bytes = build(files, 1_704_067_200).unwrap();
        assert_eq!(bytes, build(files, 1_704_067_200).unwrap());
        let mut cabinet = cab::Cabinet::new(Cursor::new(bytes)).unwrap();
        for (name, data) in files {
            let mut read = Vec::new();
            cabinet
                .read_file(name)
                .unwrap()
                .read_to_end(&mut read)
                .unwrap();
            assert_eq!(&read, data);
        }
        let entry = cabinet.get_file_entry("a.dll").unwrap();
        assert_eq!(entry.datetime().unwrap().year(), 2024);
    }

    #[test]
    fn the_cache_builds_each_content_once() {
        let payload = Arc::new(b"payload".to_vec());
        let copy = Arc::new(b"payload".to_vec());
        let other = Arc::new(b"other".to_vec());
        let mut cache = Cache::default();
        let first = cache.get_or_build(&[("a.dll", &payload)], 0).unwrap();
        let again = cache.get_or_build(&[("a.dll", &copy)], 0).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "equal content is built once");
        for (files, timestamp) in [
            (&[("a.dll", &other)], 0),
            (&[("b.dll", &payload)], 0),
            (&[("a.dll", &payload)], 1_704_067_200),
        ] {
            let cabinet = cache.get_or_build(files, timestamp).unwrap();
            let files: Vec<(&str, &[u8])> = files.iter().map(|(n, d)| (*n, d.as_slice())).collect();
            assert_eq!(*cabinet, build(&files, timestamp).unwrap());
        }
        assert_eq!(cache.built.len(), 4);
    }

    #[test]
    fn timestamps_outside_the_dos_range_are_clamped() {
        assert_eq!(dos_datetime(0).year(), 1980);
        assert_eq!(dos_datetime(u64::MAX).year(), 2107);
    }
}
