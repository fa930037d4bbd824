//! Time as an input: RFC 3339 instants and human durations (`365d`, `12h`, `1y`, `P1Y`).
//! No check in airlock reads the clock itself; commands read it once at the edge (or take `--at`).

use jiff::{Span, Timestamp, tz::TimeZone};

/// Parses an RFC 3339 timestamp (`2026-11-23T00:00:00Z`).
///
/// # Errors
/// A message naming the text and the expected form.
pub fn parse_instant(text: &str) -> Result<Timestamp, String> {
    text.parse::<Timestamp>()
        .map_err(|e| format!("time {text:?}: expected RFC 3339 such as 2026-11-23T00:00:00Z ({e})"))
}

/// Parses a duration such as `365d`, `12h`, `1y 6mo` or ISO 8601 `P1Y`.
///
/// # Errors
/// A message naming the text and the expected form.
pub fn parse_duration(text: &str) -> Result<Span, String> {
    text.parse::<Span>()
        .map_err(|e| format!("duration {text:?}: expected e.g. 365d, 12h, 1y or P1Y ({e})"))
}

/// `start + span`, with calendar units (years, months) applied in UTC.
///
/// # Errors
/// A message if the result is out of range.
pub fn add(start: Timestamp, span: Span) -> Result<Timestamp, String> {
    start
        .to_zoned_datetime(TimeZone::UTC)
        .checked_add(span)
        .map(|z| z.timestamp())
        .map_err(|e| format!("time {start} + {span}: out of range ({e})"))
}

/// The canonical text form used in every document airlock signs: RFC 3339, UTC, whole seconds.
#[must_use]
pub fn format_instant(t: Timestamp) -> String {
    let whole = Timestamp::from_second(t.as_second()).expect("whole seconds of a valid timestamp");
    whole.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_instants() {
        let t = parse_instant("2026-01-31T00:00:00Z").unwrap();
        assert_eq!(
            format_instant(add(t, parse_duration("1mo").unwrap()).unwrap()),
            "2026-02-28T00:00:00Z"
        );
        assert_eq!(
            format_instant(add(t, parse_duration("365d").unwrap()).unwrap()),
            "2027-01-31T00:00:00Z"
        );
        assert!(parse_instant("yesterday").is_err());
        assert!(parse_duration("forever").is_err());
    }
}
