//! C2SP tlog-tiles: tile paths, hash tiles, entry bundles, and proofs computed from tiles.
//!
//! A hash tile at level `L`, index `N` holds up to 256 consecutive hashes of tree level `8·L`
//! (level 0 = leaf hashes): `tile/<L>/<N>`, or `tile/<L>/<N>.p/<W>` while only `W < 256` of
//! them exist. `N` is written in groups of three digits, all but the last prefixed with `x`
//! (`1234067` → `x001/x234/067`). Entry bundles for the leaves of level-0 tile `N` live at
//! `tile/entries/<N>[.p/<W>]`, each entry a big-endian `u16` length and the bytes.
//!
//! [`TileNodes`] turns any [`TileReader`] (a directory, a fragment, a recorder) into a
//! [`NodeSource`], so inclusion and consistency proofs come from the same code as
//! in [`super::merkle`]. No signatures and no policy here.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::merkle::{HASH_BYTES, Hash, NodeSource, ProofError, node_hash};

/// Tree levels per tile.
pub const TILE_HEIGHT: u8 = 8;
/// Hashes in a full tile.
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;
/// Bytes per hash, as a `u64` for size arithmetic.
pub const HASH_BYTES_U64: u64 = HASH_BYTES as u64;

/// `N` as C2SP path elements: `x001/x234/067`.
#[must_use]
pub fn encode_index(mut n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

fn with_width(base: String, width: u64) -> String {
    if width < TILE_WIDTH {
        format!("{base}.p/{width}")
    } else {
        base
    }
}

/// Path of hash tile (`level`, `index`) holding `width` hashes (1..=256).
#[must_use]
pub fn tile_path(level: u8, index: u64, width: u64) -> String {
    with_width(format!("tile/{level}/{}", encode_index(index)), width)
}

/// Path of the entry bundle for level-0 tile `index` holding `width` entries.
#[must_use]
pub fn entries_path(index: u64, width: u64) -> String {
    with_width(format!("tile/entries/{}", encode_index(index)), width)
}

/// How many hashes tile (`level`, `index`) holds in a tree of `size` leaves (0 = no tile).
#[must_use]
pub fn tile_width(level: u8, index: u64, size: u64) -> u64 {
    let shift = u32::from(level) * u32::from(TILE_HEIGHT);
    let row = if shift >= 64 { 0 } else { size >> shift };
    let start = index.saturating_mul(TILE_WIDTH);
    row.saturating_sub(start).min(TILE_WIDTH)
}

/// Encodes entries as an entry bundle (each at most 65535 bytes).
///
/// # Errors
/// The index of an entry that is too long.
pub fn encode_entry_bundle<'a>(
    entries: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<u8>, usize> {
    let mut out = Vec::new();
    for (i, e) in entries.into_iter().enumerate() {
        let len = u16::try_from(e.len()).map_err(|_| i)?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Splits an entry bundle into entries; `None` if it is truncated.
#[must_use]
pub fn decode_entry_bundle(mut data: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        if data.len() < 2 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([data[0], data[1]]));
        let rest = &data[2..];
        if rest.len() < len {
            return None;
        }
        out.push(&rest[..len]);
        data = &rest[len..];
    }
    Some(out)
}

/// Where tiles come from.
pub trait TileReader {
    /// The bytes at a tile path (relative, `/`-separated).
    ///
    /// # Errors
    /// Any reason the tile cannot be read.
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>>;
}

/// Tiles in a directory (a log, or an extracted fragment).
#[derive(Debug, Clone)]
pub struct DirTiles {
    /// The directory that holds `tile/`.
    pub root: PathBuf,
}

impl DirTiles {
    /// Tiles under `root`.
    #[must_use]
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
        }
    }
}

impl TileReader for DirTiles {
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.root.join(path))
    }
}

/// Tiles held in memory by path.
#[derive(Debug, Clone, Default)]
pub struct MemTiles {
    /// Tile bytes by path.
    pub tiles: BTreeMap<String, Vec<u8>>,
}

impl TileReader for MemTiles {
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        self.tiles
            .get(path)
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, path.to_owned()))
    }
}

/// The hashes of a tree of `size` leaves read from tiles: a [`NodeSource`] that reads each
/// tile once and remembers which tiles it read (the set a proof needs).
#[derive(Debug)]
pub struct TileNodes<R> {
    reader: R,
    size: u64,
    cache: RefCell<BTreeMap<(u8, u64), Vec<Hash>>>,
    used: RefCell<BTreeSet<String>>,
}

impl<R: TileReader> TileNodes<R> {
    /// Reads the tiles of a tree of `size` leaves from `reader`.
    pub fn new(reader: R, size: u64) -> Self {
        Self {
            reader,
            size,
            cache: RefCell::new(BTreeMap::new()),
            used: RefCell::new(BTreeSet::new()),
        }
    }

    /// The tree size the tiles are read for.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Paths of every tile read so far.
    #[must_use]
    pub fn used_paths(&self) -> BTreeSet<String> {
        self.used.borrow().clone()
    }

    /// The hashes of tile (`level`, `index`) in this tree.
    ///
    /// # Errors
    /// [`ProofError::MissingNode`] if the tile is absent, unreadable or of the wrong length.
    pub fn tile(&self, level: u8, index: u64) -> Result<Vec<Hash>, ProofError> {
        if let Some(t) = self.cache.borrow().get(&(level, index)) {
            return Ok(t.clone());
        }
        let width = tile_width(level, index, self.size);
        let missing = |reason: String| ProofError::MissingNode {
            level: level * TILE_HEIGHT,
            index: index * TILE_WIDTH,
            reason,
        };
        if width == 0 {
            return Err(missing(format!(
                "tile {level}/{index} is beyond a tree of size {}",
                self.size
            )));
        }
        let path = tile_path(level, index, width);
        let bytes = self
            .reader
            .read(&path)
            .map_err(|e| missing(format!("{path}: {e}")))?;
        if bytes.len() as u64 != width * HASH_BYTES as u64 {
            return Err(missing(format!(
                "{path}: {} bytes, expected {}",
                bytes.len(),
                width * HASH_BYTES as u64
            )));
        }
        let hashes: Vec<Hash> = bytes
            .chunks_exact(HASH_BYTES)
            .map(|c| c.try_into().expect("chunks are 32 bytes"))
            .collect();
        self.used.borrow_mut().insert(path);
        self.cache
            .borrow_mut()
            .insert((level, index), hashes.clone());
        Ok(hashes)
    }
}

/// Hashes `hashes` (a power-of-two count) up to their perfect-subtree root.
#[must_use]
pub fn fold_perfect(hashes: &[Hash]) -> Hash {
    let mut row = hashes.to_vec();
    while row.len() > 1 {
        row = row
            .chunks_exact(2)
            .map(|p| node_hash(&p[0], &p[1]))
            .collect();
    }
    row[0]
}

impl<R: TileReader> NodeSource for TileNodes<R> {
    fn node(&self, level: u8, index: u64) -> Result<Hash, ProofError> {
        let tile_level = level / TILE_HEIGHT;
        let sub = level % TILE_HEIGHT;
        let first = index << sub;
        let count = 1u64 << sub;
        let tile_index = first / TILE_WIDTH;
        let offset = (first % TILE_WIDTH) as usize;
        let tile = self.tile(tile_level, tile_index)?;
        let end = offset + count as usize;
        if end > tile.len() {
            return Err(ProofError::MissingNode {
                level,
                index,
                reason: format!("beyond a tree of size {}", self.size),
            });
        }
        Ok(fold_perfect(&tile[offset..end]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::merkle::{self, MemoryTree, leaf_hash};

    #[test]
    fn index_encoding() {
        assert_eq!(encode_index(0), "000");
        assert_eq!(encode_index(67), "067");
        assert_eq!(encode_index(1000), "x001/000");
        assert_eq!(encode_index(1_234_067), "x001/x234/067");
        assert_eq!(tile_path(0, 1_234_067, 256), "tile/0/x001/x234/067");
        assert_eq!(tile_path(1, 5, 12), "tile/1/005.p/12");
        assert_eq!(entries_path(1_234_067, 7), "tile/entries/x001/x234/067.p/7");
        assert_eq!(tile_width(0, 0, 300), 256);
        assert_eq!(tile_width(0, 1, 300), 44);
        assert_eq!(tile_width(1, 0, 300), 1);
        assert_eq!(tile_width(1, 0, 255), 0);
        assert_eq!(tile_width(2, 0, 1 << 16), 1);
    }

    #[test]
    fn entry_bundles_roundtrip() {
        let b = encode_entry_bundle([b"a".as_slice(), b"", b"hello"]).unwrap();
        assert_eq!(
            decode_entry_bundle(&b).unwrap(),
            vec![b"a".as_slice(), b"", b"hello"]
        );
        assert!(decode_entry_bundle(&b[..b.len() - 1]).is_none());
    }

    /// Builds the tiles of a memory tree, as a log would write them.
    pub(crate) fn tiles_of(tree: &MemoryTree) -> MemTiles {
        let size = tree.size();
        let mut tiles = MemTiles::default();
        for level in 0..8u8 {
            let mut index = 0;
            loop {
                let w = tile_width(level, index, size);
                if w == 0 {
                    break;
                }
                let mut bytes = Vec::new();
                for i in 0..w {
                    bytes.extend_from_slice(&tree.node(level * 8, index * 256 + i).unwrap());
                }
                tiles.tiles.insert(tile_path(level, index, w), bytes);
                index += 1;
            }
        }
        tiles
    }

    #[test]
    fn proofs_from_tiles_match_memory() {
        for size in [1u64, 255, 256, 257, 70_000] {
            let tree = MemoryTree::from_leaf_hashes((0..size).map(|i| leaf_hash(&i.to_le_bytes())));
            let tn = TileNodes::new(tiles_of(&tree), size);
            assert_eq!(
                merkle::root_from_source(&tn, size).unwrap(),
                tree.root(),
                "size {size}"
            );
            for i in [0, size / 3, size - 1] {
                assert_eq!(
                    merkle::inclusion_proof(&tn, i, size).unwrap(),
                    merkle::inclusion_proof(&tree, i, size).unwrap()
                );
            }
            for m in [1, size / 2 + 1, size] {
                assert_eq!(
                    merkle::consistency_proof(&tn, m, size).unwrap(),
                    merkle::consistency_proof(&tree, m, size).unwrap()
                );
            }
        }
    }
}
