//! Calendar dates of the system clock, in UTC: HTTP's `Date`, the timestamps
//! request signatures carry, and the times S3 listings give. No time zones and no
//! leap seconds, as all three want.

use std::time::{SystemTime, UNIX_EPOCH};

/// A moment split into its UTC calendar fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    pub year: u64,
    /// 1 to 12.
    pub month: u64,
    /// 1 to 31.
    pub day: u64,
    pub hour: u64,
    pub minute: u64,
    pub second: u64,
    /// 0 for Thursday (1970-01-01 was one), up to 6 for Wednesday.
    pub weekday_from_thursday: u64,
}

impl Civil {
    /// The fields of `time`; a time before 1970 counts as 1970-01-01.
    pub fn of(time: SystemTime) -> Civil {
        let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let days = secs / 86_400;
        let rest = secs % 86_400;
        // Howard Hinnant's days-to-civil, on days since 1970-01-01.
        let z = days + 719_468;
        let era = z / 146_097;
        let doe = z % 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        Civil {
            year: yoe + era * 400 + u64::from(month <= 2),
            month,
            day,
            hour: rest / 3600,
            minute: rest / 60 % 60,
            second: rest % 60,
            weekday_from_thursday: days % 7,
        }
    }
}

/// Seconds since 1970 of a UTC time as S3 writes one (ISO 8601,
/// `2024-05-24T08:49:37.000Z`, the fraction optional and dropped); `None` for
/// anything else, a time before 1970 included.
pub fn parse_utc(text: &str) -> Option<u64> {
    let (date, time) = text.strip_suffix('Z')?.split_once('T')?;
    let (time, fraction) = time.split_once('.').unwrap_or((time, "0"));
    if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut date = date.split('-');
    let year = digits(date.next()?, 4)?;
    let month = digits(date.next()?, 2)?;
    let day = digits(date.next()?, 2)?;
    let mut time = time.split(':');
    let hour = digits(time.next()?, 2)?;
    let minute = digits(time.next()?, 2)?;
    let second = digits(time.next()?, 2)?;
    let fits = date.next().is_none()
        && time.next().is_none()
        && year >= 1970
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61;
    fits.then(|| {
        // Howard Hinnant's days-from-civil, the inverse of [`Civil::of`]'s.
        let y = if month <= 2 { year - 1 } else { year };
        let (era, yoe) = (y / 400, y % 400);
        let mp = if month > 2 { month - 3 } else { month + 9 };
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        days * 86_400 + hour * 3600 + minute * 60 + second
    })
}

/// A field of exactly `len` ASCII digits.
fn digits(text: &str, len: usize) -> Option<u64> {
    (text.len() == len && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn splits_known_moments() {
        let at = |secs| Civil::of(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(
            at(1_369_353_600),
            Civil {
                year: 2013,
                month: 5,
                day: 24,
                hour: 0,
                minute: 0,
                second: 0,
                weekday_from_thursday: 1,
            }
        );
        let leap = at(951_782_400 + 3661);
        assert_eq!((leap.year, leap.month, leap.day), (2000, 2, 29));
        assert_eq!((leap.hour, leap.minute, leap.second), (1, 1, 1));
    }

    #[test]
    fn reads_back_the_moments_it_splits() {
        for secs in [
            0,
            951_782_400 + 3661,
            1_369_353_600,
            1_764_861_374,
            4_102_444_799,
        ] {
            let c = Civil::of(UNIX_EPOCH + Duration::from_secs(secs));
            let text = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.123Z",
                c.year, c.month, c.day, c.hour, c.minute, c.second
            );
            assert_eq!(parse_utc(&text), Some(secs), "{text}");
        }
        assert_eq!(parse_utc("2024-01-01T00:00:00Z"), Some(1_704_067_200));
        for bad in [
            "",
            "2024-01-01T00:00:00",
            "2024-01-01 00:00:00Z",
            "1969-12-31T23:59:59Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-1-01T00:00:00Z",
            "+024-01-01T00:00:00Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00:00Z",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }
}
