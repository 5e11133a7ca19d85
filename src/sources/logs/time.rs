//! Timestamps of every envelope, parsed by hand (they are on the hot path), and
//! the `--since` / `--until` bounds. Log timestamps carry no zone: they are the
//! server's local time, and so are the bounds.

use std::fmt;

use chrono::{Datelike, Duration, Local, NaiveDate, NaiveDateTime};

/// A local, zone-less point in time with second precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub NaiveDateTime);

impl Timestamp {
    /// The start of this timestamp's hour.
    pub fn hour(self) -> Timestamp {
        use chrono::Timelike;
        Timestamp(
            self.0
                .with_minute(0)
                .and_then(|t| t.with_second(0))
                .unwrap_or(self.0),
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%dT%H:%M:%S"))
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

fn month(name: &str) -> Option<u32> {
    let m = match name {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    Some(m)
}

fn num<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn hms(s: &str) -> Option<(u32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    Some((num(&s[..2])?, num(&s[3..5])?, num(&s[6..8])?))
}

fn make(y: i32, mo: u32, d: u32, (h, mi, s): (u32, u32, u32)) -> Option<Timestamp> {
    NaiveDate::from_ymd_opt(y, mo, d)?
        .and_hms_opt(h, mi, s)
        .map(Timestamp)
}

/// `[Tue Oct 15 08:11:35.123456 2013]` (Apache 2.2 and 2.4). Returns the rest.
pub fn parse_apache_prefix(s: &str) -> Option<(Timestamp, &str)> {
    let inner = s.strip_prefix('[')?;
    let close = inner.find(']')?;
    if close > 40 {
        return None;
    }
    let mut parts = inner[..close].split_whitespace();
    let _weekday = parts.next()?;
    let mo = month(parts.next()?)?;
    let d = num(parts.next()?)?;
    let time = parts.next()?;
    let y = num(parts.next()?)?;
    let time = time.split('.').next()?;
    Some((make(y, mo, d, hms(time)?)?, &inner[close + 1..]))
}

/// `YYYY<sep>MM<sep>DD<between>HH:MM:SS` at the start of `s`, and the rest.
/// `get` keeps a multi-byte character at any offset from panicking.
fn date_time(s: &str, sep: u8, between: u8) -> Option<(Timestamp, &str)> {
    let head = s.get(..19)?;
    let b = head.as_bytes();
    if b[4] != sep || b[7] != sep || b[10] != between {
        return None;
    }
    let ts = make(
        num(head.get(..4)?)?,
        num(head.get(5..7)?)?,
        num(head.get(8..10)?)?,
        hms(head.get(11..)?)?,
    )?;
    Some((ts, &s[19..]))
}

/// `2013/10/15 08:11:35` (nginx).
pub fn parse_nginx_prefix(s: &str) -> Option<(Timestamp, &str)> {
    date_time(s, b'/', b' ')
}

/// `2026-11-23 07:53:25: ` (lighttpd).
pub fn parse_lighttpd_prefix(s: &str) -> Option<(Timestamp, &str)> {
    let (ts, rest) = date_time(s, b'-', b' ')?;
    Some((ts, rest.strip_prefix(": ")?))
}

/// `[23-Nov-2026 07:53:25]` or `[23-Nov-2026 07:53:25.123456]` (php-fpm).
pub fn parse_fpm_prefix(s: &str) -> Option<(Timestamp, &str)> {
    let inner = s.strip_prefix('[')?;
    let close = inner.find(']')?;
    let text = &inner[..close];
    let (date, time) = text.split_once(' ')?;
    let mut d = date.split('-');
    let day = num(d.next()?)?;
    let mo = month(d.next()?)?;
    let y = num(d.next()?)?;
    let time = time.split('.').next()?;
    Some((make(y, mo, day, hms(time)?)?, &inner[close + 1..]))
}

/// `Nov 23 07:53:25` (syslog; the year is the current one, or the last when that
/// would put the line in the future).
pub fn parse_syslog_prefix(s: &str) -> Option<(Timestamp, &str)> {
    let mo = month(s.get(..3)?)?;
    let rest = s[3..].trim_start_matches(' ');
    let (day, rest) = rest.split_once(' ')?;
    let day = num(day)?;
    let time = rest.get(..8)?;
    let hms = hms(time)?;
    let now = coarse_now();
    let mut ts = make(now.year(), mo, day, hms)?;
    if ts.0 > now + Duration::days(1) {
        ts = make(now.year() - 1, mo, day, hms)?;
    }
    Some((ts, &rest[8..]))
}

/// The local time, asked of the clock at most once a minute per thread: it
/// only places a syslog line in a year, and it is needed on every such line.
fn coarse_now() -> NaiveDateTime {
    use std::cell::Cell;
    use std::time::Instant;
    thread_local! {
        static NOW: Cell<Option<(Instant, NaiveDateTime)>> = const { Cell::new(None) };
    }
    NOW.with(|cell| match cell.get() {
        Some((at, now)) if at.elapsed() < std::time::Duration::from_secs(60) => now,
        _ => {
            let now = Local::now().naive_local();
            cell.set(Some((Instant::now(), now)));
            now
        }
    })
}

/// `Nov 25 17:51:40.363813` (php-fpm 0.5.x).
pub fn parse_legacy_fpm_prefix(s: &str) -> Option<(Timestamp, &str)> {
    let (ts, rest) = parse_syslog_prefix(s)?;
    let frac = rest.strip_prefix('.')?;
    let digits = frac.bytes().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    Some((ts, &frac[digits..]))
}

/// `2020-04-26T04:21:34.717765840Z ` (docker, RFC 3339). The zone is dropped:
/// collectors write UTC, and the inner envelope, when there is one, wins.
pub fn parse_rfc3339_prefix(s: &str) -> Option<(Timestamp, &str)> {
    let (ts, rest) = date_time(s, b'-', b'T')?;
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    Some((ts, &rest[end..]))
}

/// Parses `--since` / `--until`: `2h`, `30m`, `3d`, `45s` before now, or
/// `2026-11-23`, `2026-11-23 07:00`, `2026-11-23T07:00:00`.
pub fn parse_bound(text: &str) -> Result<Timestamp, String> {
    let t = text.trim();
    let now = Local::now().naive_local();
    if let Some(unit) = t.chars().last() {
        let scale = match unit {
            's' => Some(1),
            'm' => Some(60),
            'h' => Some(3600),
            'd' => Some(86_400),
            'w' => Some(7 * 86_400),
            _ => None,
        };
        if let (Some(scale), Some(n)) = (scale, num::<i64>(&t[..t.len() - 1])) {
            return n
                .checked_mul(scale)
                .and_then(Duration::try_seconds)
                .and_then(|ago| now.checked_sub_signed(ago))
                .map(Timestamp)
                .ok_or_else(|| format!("{text:?} reaches back past the calendar"));
        }
    }
    let normalized = t.replace('T', " ");
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(&normalized, fmt) {
            return Ok(Timestamp(dt));
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(Timestamp(d.and_hms_opt(0, 0, 0).expect("midnight")));
    }
    Err(format!(
        "not a time: {text:?} (use 2h, 30m, 3d, 2026-11-23 or 2026-11-23T07:00:00)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_too_far_back_are_errors_not_panics() {
        for text in ["99999999999d", "9223372036854775807s", "999999999999999w"] {
            let e = parse_bound(text).unwrap_err();
            assert!(e.contains("past the calendar"), "{text}: {e}");
        }
        assert!(parse_bound("3d").is_ok());
    }

    #[test]
    fn every_envelope_timestamp() {
        let (t, rest) = parse_apache_prefix("[Tue Oct 15 08:11:35.123456 2013] x").unwrap();
        assert_eq!(
            (t.to_string().as_str(), rest),
            ("2013-10-15T08:11:35", " x")
        );
        let (t, _) = parse_nginx_prefix("2013/10/15 08:11:35 [error]").unwrap();
        assert_eq!(t.to_string(), "2013-10-15T08:11:35");
        let (t, _) = parse_fpm_prefix("[23-Nov-2026 07:53:25.000123] NOTICE").unwrap();
        assert_eq!(t.to_string(), "2026-11-23T07:53:25");
        let (t, rest) = parse_rfc3339_prefix("2020-04-26T04:21:34.717765840Z 2020/04/26").unwrap();
        assert_eq!(
            (t.to_string().as_str(), rest),
            ("2020-04-26T04:21:34", " 2020/04/26")
        );
        assert!(parse_syslog_prefix("Nov 23 07:53:25 host").is_some());
        assert!(parse_syslog_prefix("Nov  3 07:53:25 host").is_some());
        assert!(parse_apache_prefix("[pool www] child").is_none());
        assert!(parse_fpm_prefix("[pool www] child").is_none());
    }

    #[test]
    fn bounds() {
        assert!(parse_bound("2h").is_ok());
        assert!(parse_bound("3d").is_ok());
        assert_eq!(
            parse_bound("2026-11-23").unwrap().to_string(),
            "2026-11-23T00:00:00"
        );
        assert_eq!(
            parse_bound("2026-11-23T07:00:05").unwrap().to_string(),
            "2026-11-23T07:00:05"
        );
        assert!(parse_bound("yesterday").is_err());
        assert!(parse_bound("h").is_err());
    }
}
