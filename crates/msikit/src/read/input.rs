//! Where the reader takes bytes from: memory, or a file read at positions. From a file, a
//! package's large streams stay in the file and are read a piece at a time as they are used,
//! so reading a 500 MB package does not hold 500 MB.

use std::borrow::Cow;
use std::io;
use std::sync::Arc;

/// Bytes read at positions.
pub trait ReadAt: Send + Sync {
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Fills `buf` from `offset`; a range past [`len`](Self::len) is an error, never a short
    /// read.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
}

impl ReadAt for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        buf.copy_from_slice(&self[range_in(offset, buf.len(), self)?]);
        Ok(())
    }
}

impl ReadAt for Vec<u8> {
    fn len(&self) -> u64 {
        ReadAt::len(self.as_slice())
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.as_slice().read_exact_at(buf, offset)
    }
}

/// Where `len` bytes from `offset` are in `bytes`, if they are all there.
fn range_in(offset: u64, len: usize, bytes: &[u8]) -> io::Result<std::ops::Range<usize>> {
    usize::try_from(offset)
        .ok()
        .and_then(|start| Some(start..start.checked_add(len)?))
        .filter(|range| range.end <= bytes.len())
        .ok_or_else(|| past_end(offset, len, bytes.len() as u64))
}

fn past_end(offset: u64, wanted: usize, len: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("{wanted} bytes at offset {offset} end past the {len} bytes there are"),
    )
}

/// A file with the length it had when opened: a file that shrinks later fails at the read.
pub struct FileInput {
    file: std::fs::File,
    len: u64,
}

impl FileInput {
    pub fn open(path: &std::path::Path) -> io::Result<FileInput> {
        let file = std::fs::File::open(path)?;
        let metadata = file.metadata()?;
        if !metadata.is_file() {
            return Err(io::Error::other("not a regular file"));
        }
        Ok(FileInput {
            file,
            len: metadata.len(),
        })
    }
}

impl ReadAt for FileInput {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        if offset.saturating_add(buf.len() as u64) > self.len {
            return Err(past_end(offset, buf.len(), self.len));
        }
        positioned_read(&self.file, buf, offset)
    }
}

#[cfg(unix)]
fn positioned_read(file: &std::fs::File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn positioned_read(file: &std::fs::File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            read => {
                buf = &mut buf[read..];
                offset += read as u64;
            }
        }
    }
    Ok(())
}

/// A compound file's bytes: borrowed from memory, or shared with the streams left in it.
#[derive(Clone)]
pub enum Input<'a> {
    Bytes(&'a [u8]),
    Shared(Arc<dyn ReadAt>),
}

impl<'a> Input<'a> {
    pub fn open(path: &std::path::Path) -> io::Result<Input<'static>> {
        Ok(Input::Shared(Arc::new(FileInput::open(path)?)))
    }

    pub fn len(&self) -> u64 {
        match self {
            Input::Bytes(bytes) => bytes.len() as u64,
            Input::Shared(input) => input.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `len` bytes from `offset`: borrowed from memory, read from a file.
    pub fn bytes_at(&self, offset: u64, len: usize) -> io::Result<Cow<'a, [u8]>> {
        match self {
            Input::Bytes(bytes) => Ok(Cow::Borrowed(&bytes[range_in(offset, len, bytes)?])),
            Input::Shared(input) => owned(input.as_ref(), offset, len).map(Cow::Owned),
        }
    }
}

/// `len` bytes from `offset` of `input`, in a buffer of their own.
fn owned(input: &(impl ReadAt + ?Sized), offset: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0; len];
    input.read_exact_at(&mut buf, offset)?;
    Ok(buf)
}

/// Where each piece of a `len`-byte stream read [`CHUNK`] at a time starts, and its length.
fn chunks(len: u64) -> impl Iterator<Item = (u64, usize)> {
    (0..len)
        .step_by(CHUNK)
        .map(move |offset| (offset, (CHUNK as u64).min(len - offset) as usize))
}

impl std::fmt::Debug for Input<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Input::Bytes(bytes) => write!(f, "Input::Bytes({} bytes)", bytes.len()),
            Input::Shared(input) => write!(f, "Input::Shared({} bytes)", input.len()),
        }
    }
}

/// How much of a stream is read at once where it is read piece by piece.
pub const CHUNK: usize = 1 << 20;

/// A stream's data: in memory, or left in the file as the runs of sectors that hold it.
#[derive(Clone)]
pub enum StreamData<'a> {
    Memory(Cow<'a, [u8]>),
    File(FileStream),
}

/// A stream left in its file: runs of contiguous sectors, in stream order.
#[derive(Clone)]
pub struct FileStream {
    pub(crate) input: Arc<dyn ReadAt>,
    pub(crate) runs: Vec<Run>,
    pub(crate) len: u64,
}

/// `len` bytes of a stream, from `stream_offset` in it and `file_offset` in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run {
    pub stream_offset: u64,
    pub file_offset: u64,
    pub len: u64,
}

impl ReadAt for FileStream {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
        if offset.saturating_add(buf.len() as u64) > self.len {
            return Err(past_end(offset, buf.len(), self.len));
        }
        // The run holding `offset`, then the ones after it.
        let mut index = self
            .runs
            .partition_point(|run| run.stream_offset + run.len <= offset);
        while !buf.is_empty() {
            let run = self.runs[index];
            let within = offset - run.stream_offset;
            let take = ((run.len - within) as usize).min(buf.len());
            let (now, rest) = buf.split_at_mut(take);
            self.input.read_exact_at(now, run.file_offset + within)?;
            buf = rest;
            offset += take as u64;
            index += 1;
        }
        Ok(())
    }
}

impl<'a> StreamData<'a> {
    pub fn len(&self) -> u64 {
        match self {
            StreamData::Memory(bytes) => bytes.len() as u64,
            StreamData::File(stream) => stream.len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole stream in memory (read from the file when it was left there).
    pub fn load(&self) -> io::Result<Cow<'_, [u8]>> {
        self.prefix(self.len() as usize)
    }

    /// The stream's first `len` bytes (fewer when it is shorter).
    pub fn prefix(&self, len: usize) -> io::Result<Cow<'_, [u8]>> {
        let len = len.min(self.len() as usize);
        match self {
            StreamData::Memory(bytes) => Ok(Cow::Borrowed(&bytes[..len])),
            StreamData::File(stream) => owned(stream, 0, len).map(Cow::Owned),
        }
    }

    /// Whether the stream starts with `prefix` (false when it cannot be read).
    pub fn starts_with(&self, prefix: &[u8]) -> bool {
        self.prefix(prefix.len())
            .is_ok_and(|start| start.as_ref() == prefix)
    }

    /// Hands the stream's bytes to `visit` in order, at most [`CHUNK`] at a time.
    pub fn for_each_chunk(&self, mut visit: impl FnMut(&[u8])) -> io::Result<()> {
        match self {
            StreamData::Memory(bytes) => bytes.chunks(CHUNK).for_each(visit),
            StreamData::File(stream) => {
                let mut buf = vec![0; CHUNK.min(stream.len as usize)];
                for (offset, take) in chunks(stream.len) {
                    stream.read_exact_at(&mut buf[..take], offset)?;
                    visit(&buf[..take]);
                }
            }
        }
        Ok(())
    }

    pub fn into_owned(self) -> StreamData<'static> {
        match self {
            StreamData::Memory(bytes) => StreamData::Memory(Cow::Owned(bytes.into_owned())),
            StreamData::File(stream) => StreamData::File(stream),
        }
    }
}

impl ReadAt for StreamData<'_> {
    fn len(&self) -> u64 {
        StreamData::len(self)
    }

    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        match self {
            StreamData::Memory(bytes) => bytes.as_ref().read_exact_at(buf, offset),
            StreamData::File(stream) => stream.read_exact_at(buf, offset),
        }
    }
}

impl From<Vec<u8>> for StreamData<'static> {
    fn from(bytes: Vec<u8>) -> Self {
        StreamData::Memory(Cow::Owned(bytes))
    }
}

/// Equal bytes, compared a chunk at a time; a stream that cannot be read equals nothing.
impl PartialEq for StreamData<'_> {
    fn eq(&self, other: &Self) -> bool {
        if let (StreamData::Memory(a), StreamData::Memory(b)) = (self, other) {
            return a == b;
        }
        if self.len() != other.len() {
            return false;
        }
        let (mut a, mut b) = (vec![0; CHUNK], vec![0; CHUNK]);
        chunks(self.len()).all(|(offset, take)| {
            let read = self
                .read_exact_at(&mut a[..take], offset)
                .and_then(|()| other.read_exact_at(&mut b[..take], offset));
            read.is_ok() && a[..take] == b[..take]
        })
    }
}

impl Eq for StreamData<'_> {}

impl std::fmt::Debug for StreamData<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StreamData::Memory(bytes) => write!(f, "StreamData::Memory({} bytes)", bytes.len()),
            StreamData::File(stream) => write!(
                f,
                "StreamData::File({} bytes in {} runs)",
                stream.len,
                stream.runs.len()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream of 10 bytes held in the file in three runs, out of order.
    fn scattered() -> (Vec<u8>, FileStream) {
        let file: Vec<u8> = (0u8..32).collect();
        let runs = vec![
            Run {
                stream_offset: 0,
                file_offset: 20,
                len: 4,
            },
            Run {
                stream_offset: 4,
                file_offset: 2,
                len: 3,
            },
            Run {
                stream_offset: 7,
                file_offset: 10,
                len: 3,
            },
        ];
        let stream = FileStream {
            input: Arc::new(file.clone()),
            runs,
            len: 10,
        };
        let expected = [20, 21, 22, 23, 2, 3, 4, 10, 11, 12].to_vec();
        (expected, stream)
    }

    #[test]
    fn a_stream_in_runs_reads_as_its_bytes_in_order_from_any_offset() {
        let (expected, stream) = scattered();
        for start in 0..expected.len() {
            for end in start..=expected.len() {
                let mut buf = vec![0; end - start];
                stream.read_exact_at(&mut buf, start as u64).unwrap();
                assert_eq!(buf, expected[start..end], "{start}..{end}");
            }
        }
        let data = StreamData::File(stream);
        assert_eq!(data.load().unwrap().as_ref(), expected);
        assert_eq!(data, StreamData::from(expected.clone()));
        assert_ne!(data, StreamData::from(vec![0; 10]));
    }

    #[test]
    fn reads_past_the_end_fail_and_never_come_back_short() {
        let (_, stream) = scattered();
        let mut buf = [0; 4];
        assert!(stream.read_exact_at(&mut buf, 7).is_err());
        assert!(stream.read_exact_at(&mut buf, u64::MAX).is_err());
        assert!(b"abc".as_slice().read_exact_at(&mut buf, 0).is_err());
        assert!(Input::Bytes(b"abc").bytes_at(2, 2).is_err());
        assert!(Input::Bytes(b"abc").bytes_at(u64::MAX, 2).is_err());
        assert_eq!(Input::Bytes(b"abc").bytes_at(1, 2).unwrap().as_ref(), b"bc");
    }

    #[test]
    fn a_file_is_read_at_positions_and_refuses_what_lies_past_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"0123456789").unwrap();
        let input = Input::open(&path).unwrap();
        assert_eq!(input.len(), 10);
        assert_eq!(input.bytes_at(3, 4).unwrap().as_ref(), b"3456");
        assert!(input.bytes_at(8, 4).is_err());
        assert!(Input::open(dir.path()).is_err(), "a directory is no input");
    }
}
