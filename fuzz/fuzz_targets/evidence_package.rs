//! Fuzzes the package readers: the same bytes as a `.deb` (ar + tar members), a `.dsc` and a
//! `.debian.tar.*` (compressed tar with changelog, series and patches).
#![no_main]
use airlock::evidence::{limits::Limits, package};
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_decompressed_bytes: 1 << 22,
        max_archive_members: 4096,
        ..Limits::default()
    };
    for name in ["x.deb", "x.dsc", "x.debian.tar.xz"] {
        let _ = package::read_package(name, data, &limits);
    }
});
