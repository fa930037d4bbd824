//! [`DirectWriter`]: writes a large output file (a bundle) that the caller fsyncs at the end.
//!
//! Bytes are gathered into a few fixed, page-aligned buffers and written by a background thread,
//! so the device works while the caller keeps producing. On Linux the thread writes through a
//! second handle opened with `O_DIRECT` when the file system allows it: the bytes must reach the
//! device before `create` returns anyway (it fsyncs), and going around the page cache saves
//! copying every byte into freshly allocated cache pages (the dominant cost of writing a bundle
//! on some virtual machines, where first-touched memory is expensive). Whatever cannot go
//! through `O_DIRECT` (the unaligned tail, a file system that refuses it) is written through the
//! ordinary handle at the same offset; the file's bytes are the same either way.
//!
//! Invariants: buffers are [`BUF_BYTES`] long, [`BUF_COUNT`] at most exist (bounded memory);
//! buffers are written in order at consecutive offsets; only whole buffers (a multiple of
//! [`ALIGN`] bytes at a multiple of [`ALIGN`]) are written with `O_DIRECT`.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Alignment `O_DIRECT` needs for buffer addresses, offsets and lengths (covers 512-byte and
/// 4 KiB logical blocks).
const ALIGN: usize = 4096;
/// Bytes per buffer (a multiple of [`ALIGN`]).
const BUF_BYTES: usize = 4 << 20;
/// Buffers in existence at most: one being filled, one queued, one being written.
const BUF_COUNT: usize = 3;

/// A buffer whose usable part starts at an [`ALIGN`]-aligned address.
struct AlignedBuf {
    data: Box<[u8]>,
    start: usize,
    len: usize,
}

impl AlignedBuf {
    fn new() -> Self {
        let data = vec![0u8; BUF_BYTES + ALIGN].into_boxed_slice();
        let start = data.as_ptr().align_offset(ALIGN);
        // `align_offset` may in principle give up (usize::MAX); then the buffer is simply never
        // written with O_DIRECT (see `aligned`).
        let start = if start <= ALIGN { start } else { 0 };
        Self {
            data,
            start,
            len: 0,
        }
    }

    fn filled(&self) -> &[u8] {
        &self.data[self.start..self.start + self.len]
    }

    fn space(&mut self) -> &mut [u8] {
        &mut self.data[self.start + self.len..self.start + BUF_BYTES]
    }

    fn aligned(&self) -> bool {
        (self.data.as_ptr() as usize + self.start).is_multiple_of(ALIGN)
            && self.len.is_multiple_of(ALIGN)
    }
}

/// A full (or final) buffer and where it goes.
struct Job {
    buf: AlignedBuf,
    offset: u64,
}

/// Streams bytes to a file from a background thread (see the module documentation). Call
/// [`DirectWriter::finish`] at the end, then fsync the file.
pub struct DirectWriter {
    current: AlignedBuf,
    offset: u64,
    jobs: Option<SyncSender<Job>>,
    pool: Receiver<AlignedBuf>,
    made: usize,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl std::fmt::Debug for DirectWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectWriter")
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

/// Opens a second, `O_DIRECT` handle on `path`, or `None` where that is not possible.
#[cfg(target_os = "linux")]
fn open_direct(path: &Path) -> Option<File> {
    use rustix::fs::{Mode, OFlags, open};
    open(
        path,
        OFlags::WRONLY | OFlags::DIRECT | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()
    .map(File::from)
}

#[cfg(not(target_os = "linux"))]
fn open_direct(_path: &Path) -> Option<File> {
    None
}

/// The background thread: writes each job at its offset, recycles its buffer.
fn write_jobs(
    file: &File,
    mut direct: Option<File>,
    jobs: &Receiver<Job>,
    pool: &SyncSender<AlignedBuf>,
) -> io::Result<()> {
    for Job { mut buf, offset } in jobs {
        let data = buf.filled();
        let mut done = false;
        if let Some(d) = &direct
            && buf.aligned()
            && offset.is_multiple_of(ALIGN as u64)
        {
            match d.write_all_at(data, offset) {
                Ok(()) => done = true,
                // The file system (or this buffer) does not suit O_DIRECT: write everything
                // from here on through the ordinary handle (rewriting this range whole).
                Err(e) if e.kind() == io::ErrorKind::InvalidInput => direct = None,
                Err(e) => return Err(e),
            }
        }
        if !done {
            file.write_all_at(data, offset)?;
        }
        buf.len = 0;
        // The writer may be gone (finish after an error elsewhere); the buffer is then dropped.
        let _ = pool.try_send(buf);
    }
    Ok(())
}

impl DirectWriter {
    /// Writes to `file` (positioned writes from offset 0; the file should be empty), which was
    /// opened at `path`.
    ///
    /// # Errors
    /// Cloning the handle or starting the thread failed.
    pub fn new(file: &File, path: &Path) -> io::Result<Self> {
        let file = file.try_clone()?;
        let direct = open_direct(path);
        let (jobs_tx, jobs_rx) = sync_channel::<Job>(1);
        let (pool_tx, pool_rx) = sync_channel::<AlignedBuf>(BUF_COUNT);
        let thread = std::thread::Builder::new()
            .name("bundle-writer".into())
            .spawn(move || write_jobs(&file, direct, &jobs_rx, &pool_tx))?;
        Ok(Self {
            current: AlignedBuf::new(),
            offset: 0,
            jobs: Some(jobs_tx),
            pool: pool_rx,
            made: 1,
            thread: Some(thread),
        })
    }

    /// The error that stopped the thread (it only stops early on one).
    fn thread_error(&mut self) -> io::Error {
        self.jobs = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(Err(e))) => e,
            Some(Err(_)) => io::Error::other("bundle writer thread panicked"),
            _ => io::Error::other("bundle writer stopped"),
        }
    }

    /// Hands the current buffer to the thread and takes a fresh one.
    fn send(&mut self) -> io::Result<()> {
        let fresh = if self.made < BUF_COUNT {
            match self.pool.try_recv() {
                Ok(buf) => buf,
                Err(_) => {
                    self.made += 1;
                    AlignedBuf::new()
                }
            }
        } else {
            match self.pool.recv() {
                Ok(buf) => buf,
                Err(_) => return Err(self.thread_error()),
            }
        };
        let buf = std::mem::replace(&mut self.current, fresh);
        let len = buf.len as u64;
        let job = Job {
            buf,
            offset: self.offset,
        };
        let sent = self.jobs.as_ref().is_some_and(|tx| tx.send(job).is_ok());
        if !sent {
            return Err(self.thread_error());
        }
        self.offset += len;
        Ok(())
    }

    /// Writes what is buffered, waits for the thread, and returns the number of bytes written.
    /// The caller fsyncs the file next.
    ///
    /// # Errors
    /// The first write error.
    pub fn finish(mut self) -> io::Result<u64> {
        if self.current.len > 0 {
            self.send()?;
        }
        self.jobs = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result?,
            Some(Err(_)) => return Err(io::Error::other("bundle writer thread panicked")),
            None => return Err(io::Error::other("bundle writer stopped")),
        }
        Ok(self.offset)
    }
}

impl Write for DirectWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.current.len == BUF_BYTES {
            self.send()?;
        }
        let space = self.current.space();
        let n = space.len().min(data.len());
        space[..n].copy_from_slice(&data[..n]);
        self.current.len += n;
        Ok(n)
    }

    /// Buffers stay until full (or [`DirectWriter::finish`]): nothing is durable before the
    /// caller's fsync anyway.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for DirectWriter {
    fn drop(&mut self) {
        // Unfinished (an error elsewhere): stop the thread; the file is discarded by the caller.
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn round_trip(sizes: &[usize]) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let file = File::create(&path).unwrap();
        let mut w = DirectWriter::new(&file, &path).unwrap();
        let mut expected = Vec::new();
        let mut n: u32 = 0;
        for &size in sizes {
            let chunk: Vec<u8> = (0..size)
                .map(|_| {
                    n = n.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (n >> 16) as u8
                })
                .collect();
            w.write_all(&chunk).unwrap();
            expected.extend_from_slice(&chunk);
        }
        assert_eq!(w.finish().unwrap(), expected.len() as u64);
        file.sync_all().unwrap();
        let mut got = Vec::new();
        File::open(&path).unwrap().read_to_end(&mut got).unwrap();
        assert_eq!(got.len(), expected.len());
        assert!(got == expected, "file bytes differ from what was written");
    }

    #[test]
    fn writes_exactly_the_bytes_given() {
        round_trip(&[]);
        round_trip(&[1]);
        round_trip(&[BUF_BYTES]);
        round_trip(&[BUF_BYTES - 1, 2, ALIGN, 7]);
        round_trip(&[100_000; 200]);
        round_trip(&[3 * BUF_BYTES + 17, 5 * BUF_BYTES, 1]);
    }
}
