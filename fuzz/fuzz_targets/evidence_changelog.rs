//! Fuzzes the Debian and RPM changelog readers (plain or compressed input).
#![no_main]
use airlock::evidence::{changelog, limits::Limits};
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_decompressed_bytes: 1 << 22,
        ..Limits::default()
    };
    let _ = changelog::parse_debian(data, &limits);
    let _ = changelog::parse_rpm(data, Some("fuzz"), &limits);
});
