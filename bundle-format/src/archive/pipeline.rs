//! Hashing entries on other threads while the reader decompresses: the reader fills fixed-size
//! [`Chunk`]s with entry content (several small entries may share one chunk) and marks where each
//! entry ends; one worker computes SHA-256 and another BLAKE3 over every chunk and compares each
//! ended entry with the manifest.
//!
//! Invariants: memory is bounded (at most [`IN_FLIGHT`] chunks queued per worker, chunks are
//! recycled, each [`CHUNK_BYTES`]); a worker only ever judges entries whose end marker was sent,
//! that is entries whose content and padding the reader already checked, so reporting the first
//! mismatch (by entry index, SHA-256 before BLAKE3) ahead of any later reader error gives the
//! same precedence as checking each entry's digests before reading on.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};

use sha2::Digest as _;

use crate::digest::{Digest, DigestAlgorithm};

/// Bytes of entry content per chunk.
pub(super) const CHUNK_BYTES: usize = 256 * 1024;
/// Chunks queued per worker before the reader waits. Deep enough (4 MiB) that on a busy machine
/// the threads rarely block on each other: every wait costs a wakeup, and a woken thread may
/// have to queue for a core. Chunks are shared by both workers, so at most about this many exist.
const IN_FLIGHT: usize = 16;

/// An entry that ends in a chunk: its content ends at byte `end` of the chunk.
#[derive(Clone, Copy)]
struct EndMark {
    end: usize,
    index: usize,
    sha256: Digest,
    blake3: Digest,
}

/// Entry content on its way to the workers.
pub(super) struct Chunk {
    data: Box<[u8]>,
    len: usize,
    ends: Vec<EndMark>,
}

impl Chunk {
    fn new() -> Self {
        Self {
            data: vec![0u8; CHUNK_BYTES].into_boxed_slice(),
            len: 0,
            ends: Vec::new(),
        }
    }

    /// The unfilled part, to read content into (then [`Chunk::filled`]).
    pub(super) fn space(&mut self) -> &mut [u8] {
        &mut self.data[self.len..]
    }

    /// Records that `n` bytes of [`Chunk::space`] now hold content.
    pub(super) fn filled(&mut self, n: usize) {
        self.len += n;
    }

    fn is_empty(&self) -> bool {
        self.len == 0 && self.ends.is_empty()
    }
}

/// The first entry whose digest differs: (index, expected, found).
pub(super) type Mismatch = (usize, Digest, Digest);

/// The reader's end of the pipeline.
pub(super) struct HashPipeline {
    chunk: Chunk,
    workers: Vec<SyncSender<Arc<Chunk>>>,
    pool: Receiver<Chunk>,
}

impl HashPipeline {
    /// Starts one worker per algorithm inside `scope`.
    pub(super) fn start<'scope>(
        scope: &'scope std::thread::Scope<'scope, '_>,
    ) -> (Self, Workers<'scope>) {
        let (pool_tx, pool) = channel();
        let mut workers = Vec::new();
        let mut handles = Vec::new();
        for algorithm in [DigestAlgorithm::Sha256, DigestAlgorithm::Blake3] {
            let (tx, rx) = sync_channel::<Arc<Chunk>>(IN_FLIGHT);
            let pool_tx = pool_tx.clone();
            workers.push(tx);
            handles.push(scope.spawn(move || work(algorithm, &rx, &pool_tx)));
        }
        (
            Self {
                chunk: Chunk::new(),
                workers,
                pool,
            },
            Workers(handles),
        )
    }

    /// The chunk being filled, with room for at least one byte.
    pub(super) fn chunk(&mut self) -> &mut Chunk {
        if self.chunk.len == CHUNK_BYTES {
            self.send();
        }
        &mut self.chunk
    }

    /// Marks the end of entry `index` (its content and padding checked) at the current position.
    pub(super) fn end_entry(&mut self, index: usize, sha256: Digest, blake3: Digest) {
        let end = self.chunk.len;
        self.chunk.ends.push(EndMark {
            end,
            index,
            sha256,
            blake3,
        });
    }

    fn send(&mut self) {
        let mut fresh = self.pool.try_recv().unwrap_or_else(|_| Chunk::new());
        fresh.len = 0;
        fresh.ends.clear();
        let full = Arc::new(std::mem::replace(&mut self.chunk, fresh));
        for tx in &self.workers {
            // A worker only stops early by panicking; `Workers::finish` reports that.
            let _ = tx.send(Arc::clone(&full));
        }
    }

    /// Sends what is left and closes the pipeline.
    pub(super) fn close(mut self) {
        if !self.chunk.is_empty() {
            self.send();
        }
    }
}

/// The workers' handles; [`Workers::finish`] after [`HashPipeline::close`].
pub(super) struct Workers<'scope>(Vec<std::thread::ScopedJoinHandle<'scope, Option<Mismatch>>>);

impl Workers<'_> {
    /// Waits for both workers; the first mismatch by entry index (SHA-256 first on a tie).
    pub(super) fn finish(self) -> Option<Mismatch> {
        self.0
            .into_iter()
            .filter_map(|h| h.join().expect("hash workers do not panic"))
            .min_by_key(|m| m.0)
    }
}

enum Hasher {
    Sha256(sha2::Sha256),
    Blake3(Box<blake3::Hasher>),
}

impl Hasher {
    fn new(algorithm: DigestAlgorithm) -> Self {
        match algorithm {
            DigestAlgorithm::Blake3 => Self::Blake3(Box::default()),
            _ => Self::Sha256(sha2::Sha256::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Self::Sha256(h) => h.update(data),
            Self::Blake3(h) => {
                h.update(data);
            }
        }
    }

    /// The digest so far; resets the hasher.
    fn take(&mut self) -> Digest {
        match self {
            Self::Sha256(h) => Digest::new(DigestAlgorithm::Sha256, h.finalize_reset().into()),
            Self::Blake3(h) => {
                let d = Digest::new(DigestAlgorithm::Blake3, *h.finalize().as_bytes());
                h.reset();
                d
            }
        }
    }
}

fn work(
    algorithm: DigestAlgorithm,
    chunks: &Receiver<Arc<Chunk>>,
    pool: &Sender<Chunk>,
) -> Option<Mismatch> {
    let mut hasher = Hasher::new(algorithm);
    let mut mismatch = None;
    for chunk in chunks {
        if mismatch.is_none() {
            let mut pos = 0;
            for mark in &chunk.ends {
                hasher.update(&chunk.data[pos..mark.end]);
                pos = mark.end;
                let found = hasher.take();
                let expected = match algorithm {
                    DigestAlgorithm::Blake3 => mark.blake3,
                    _ => mark.sha256,
                };
                if found != expected {
                    mismatch = Some((mark.index, expected, found));
                    break;
                }
            }
            hasher.update(&chunk.data[pos..chunk.len]);
        }
        // Whichever worker drops the last reference recycles the chunk.
        if let Some(chunk) = Arc::into_inner(chunk) {
            let _ = pool.send(chunk);
        }
    }
    mismatch
}
