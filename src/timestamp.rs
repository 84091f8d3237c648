//! Evaluation instants: parsing `--at` (RFC 3339 or Unix seconds) and printing RFC 3339.
//!
//! Only UTC offsets and the proleptic Gregorian calendar are involved, so a small strict
//! parser does the job without a date-time dependency.

const SECS_PER_DAY: i64 = 86_400;
/// 9999-12-31T23:59:59Z: later instants have no RFC 3339 form to report them in.
const LAST_RFC3339_SECS: f64 = 253_402_300_799.0;

/// Parses RFC 3339 (`2026-11-01T00:00:00Z`, `2026-11-01T01:00:00.5+01:00`) or Unix seconds
/// (`1793491200`, `1793491200.25`) into Unix seconds.
pub fn parse(text: &str) -> Result<f64, String> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let secs = text
            .parse::<f64>()
            .map_err(|_| format!("`{text}` is not a Unix timestamp"))?;
        // Also what keeps a long run of digits (infinity) from reaching the query and the output.
        if !in_range(secs) {
            return Err(format!(
                "`{text}` is after 9999-12-31T23:59:59Z, the last instant RFC 3339 can write"
            ));
        }
        return Ok(secs);
    }
    let secs = parse_rfc3339(text).ok_or_else(|| {
        format!(
            "`{text}` is neither RFC 3339 (e.g. 2026-11-01T00:00:00Z) nor Unix seconds \
             (e.g. 1793491200)"
        )
    })?;
    if !in_range(secs) {
        return Err(format!(
            "`{text}` is {} in UTC, outside 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z",
            if secs < 0.0 {
                "before 1970"
            } else {
                "after 9999"
            }
        ));
    }
    Ok(secs)
}

fn parse_rfc3339(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        if part.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(part).ok()?.parse().ok()
        } else {
            None
        }
    };
    let at = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt ") && at(13, b":") && at(16, b":")) {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut fraction = 0.0;
    if at(i, b".") {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        fraction = format!("0.{}", &text[start..i]).parse().ok()?;
    }
    let offset_secs = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && at(i + 3, b":") => {
            let (h, m) = (digits(i + 1..i + 3)?, digits(i + 4..i + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let secs = h * 3600 + m * 60;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    let secs =
        days_from_civil(year, month, day) * SECS_PER_DAY + hour * 3600 + minute * 60 + second
            - offset_secs;
    Some(secs as f64 + fraction)
}

/// Whether `secs` has an RFC 3339 form in UTC, 1970 to 9999: an offset can carry a local
/// time just inside those years outside them.
fn in_range(secs: f64) -> bool {
    (0.0..=LAST_RFC3339_SECS).contains(&secs)
}

/// RFC 3339 in UTC, with milliseconds only when the instant has any.
pub fn format(unix_secs: f64) -> String {
    let millis = (unix_secs * 1000.0).round() as i64;
    let (secs, ms) = (millis.div_euclid(1000), millis.rem_euclid(1000));
    let (days, rest) = (secs.div_euclid(SECS_PER_DAY), secs.rem_euclid(SECS_PER_DAY));
    let (year, month, day) = civil_from_days(days);
    let time = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    );
    if ms == 0 {
        format!("{time}Z")
    } else {
        format!("{time}.{ms:03}Z")
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Days since 1970-01-01 from a civil date and back: Howard Hinnant's algorithms
// (https://howardhinnant.github.io/date_algorithms.html), eras of 400 years from March 1st.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339_and_unix_seconds() {
        assert_eq!(parse("2026-11-01T00:00:00Z"), Ok(1_793_491_200.0));
        assert_eq!(parse("1793491200"), Ok(1_793_491_200.0));
        assert_eq!(parse("1793491200.5"), Ok(1_793_491_200.5));
        assert_eq!(parse("2026-11-01T01:30:00+01:30"), Ok(1_793_491_200.0));
        assert_eq!(parse("2026-10-31t19:00:00.250-05:00"), Ok(1_793_491_200.25));
        assert_eq!(parse("1970-01-01T00:00:00Z"), Ok(0.0));
        assert_eq!(parse("1970-01-01T01:00:00+01:00"), Ok(0.0));
        assert_eq!(parse("9999-12-31T23:59:59Z"), Ok(LAST_RFC3339_SECS));
        assert_eq!(parse("2024-02-29T12:00:00Z"), Ok(1_709_208_000.0));
    }

    #[test]
    fn rejects_what_is_not_an_instant() {
        for bad in [
            "",
            "now",
            "2026-11-01",
            "2026-11-01T00:00:00",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-11-01T24:00:00Z",
            "2026-11-01T00:00:00.Z",
            "2026-11-01T00:00:00+0100",
            "2026-11-01T00:00:00Zjunk",
            "-5",
            "1.2.3",
            "253402300800",
            &"9".repeat(400),
            "1970-01-01T00:30:00+01:00",
            "0000-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "9999-12-31T23:30:00-01:00",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn formats_utc_with_milliseconds_only_when_present() {
        assert_eq!(format(1_793_491_200.0), "2026-11-01T00:00:00Z");
        assert_eq!(format(1_793_491_200.25), "2026-11-01T00:00:00.250Z");
        assert_eq!(format(951_782_400.0), "2000-02-29T00:00:00Z");
        for secs in [
            0.0,
            68_169_600.0,
            1_709_208_000.0,
            4_102_444_799.0,
            LAST_RFC3339_SECS,
        ] {
            assert_eq!(parse(&format(secs)), Ok(secs));
        }
    }
}
