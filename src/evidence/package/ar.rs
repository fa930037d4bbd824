//! The `ar` archive format a `.deb` is made of: an 8-byte `!<arch>\n` magic, then members, each a
//! 60-byte header (name 16, mtime 12, uid 6, gid 6, mode 8, decimal size 10, `` `\n``) and the
//! data, padded to an even offset. Only the member names and bytes are read.

use super::PackageError;

/// One member: its name (GNU `/` terminator removed) and its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member<'a> {
    /// The name.
    pub name: &'a str,
    /// The data.
    pub data: &'a [u8],
}

const MAGIC: &[u8] = b"!<arch>\n";
const HEADER: usize = 60;

/// Splits `bytes` into members (at most `max_members`).
///
/// # Errors
/// [`PackageError::Archive`] naming the offset and what is wrong.
pub fn members(bytes: &[u8], max_members: usize) -> Result<Vec<Member<'_>>, PackageError> {
    let bad = |offset: usize, detail: String| PackageError::Archive {
        member: "ar".to_owned(),
        detail: format!("at byte {offset}: {detail}"),
    };
    if !bytes.starts_with(MAGIC) {
        return Err(bad(0, "expected the ar magic `!<arch>`".to_owned()));
    }
    let mut out = Vec::new();
    let mut at = MAGIC.len();
    while at < bytes.len() {
        if out.len() >= max_members {
            return Err(PackageError::TooManyMembers { max: max_members });
        }
        let Some(h) = bytes.get(at..at + HEADER) else {
            return Err(bad(at, "truncated member header".to_owned()));
        };
        if &h[58..60] != b"`\n" {
            return Err(bad(at, "member header does not end in \"`\\n\"".to_owned()));
        }
        let name = std::str::from_utf8(&h[..16])
            .map_err(|_| bad(at, "member name is not UTF-8".to_owned()))?
            .trim_end()
            .trim_end_matches('/');
        let size_text = std::str::from_utf8(&h[48..58])
            .map_err(|_| bad(at, "member size is not ASCII".to_owned()))?
            .trim();
        let size: usize = size_text
            .parse()
            .map_err(|_| bad(at, format!("member size {size_text:?} is not a number")))?;
        let start = at + HEADER;
        let data = start
            .checked_add(size)
            .and_then(|end| bytes.get(start..end))
            .ok_or_else(|| bad(at, format!("member {name:?} of {size} bytes is truncated")))?;
        out.push(Member { name, data });
        at = start + size + (size % 2);
    }
    Ok(out)
}
