//! Calendar dates of the system clock, in UTC: HTTP's `Date` and the timestamps
//! request signatures carry. No time zones and no leap seconds, as both want.

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
}
