//! `X-Amz-Date` (`YYYYMMDD'T'HHMMSS'Z'`, UTC) and the clock skew a signature may have.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::errors::{self, AuthError};

/// The header carrying the signing time.
pub const DATE_HEADER: &str = "x-amz-date";

/// How far a signature's time may be from the server's clock, either way (AWS's rule).
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

const SECONDS_PER_DAY: i64 = 86_400;

/// Seconds since the Unix epoch of an `X-Amz-Date`, if it is one.
pub fn parse_amz_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 16 || bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = &bytes[range];
        digits
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| digits.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let (hour, minute, second) = (number(9..11)?, number(11..13)?, number(13..15)?);
    let valid = (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60;
    valid.then(|| {
        days_from_civil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second
    })
}

/// `X-Amz-Date` text for seconds since the Unix epoch.
pub fn format_amz_date(seconds: i64) -> String {
    let (days, time) = (
        seconds.div_euclid(SECONDS_PER_DAY),
        seconds.rem_euclid(SECONDS_PER_DAY),
    );
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        time / 3600,
        time % 3600 / 60,
        time % 60
    )
}

/// Refuses a signing time more than [`MAX_CLOCK_SKEW`] away from `now`.
pub fn check_skew(signed_at: i64, now: SystemTime) -> Result<(), AuthError> {
    let now = unix_seconds(now);
    let skew = MAX_CLOCK_SKEW.as_secs() as i64;
    let minutes = MAX_CLOCK_SKEW.as_secs() / 60;
    let (signed, now_text) = (format_amz_date(signed_at), format_amz_date(now));
    if signed_at < now - skew {
        let earliest = format_amz_date(now - skew);
        return Err(AuthError::invalid(errors::expired(
            &signed, &earliest, &now_text, minutes,
        )));
    }
    if signed_at > now + skew {
        let latest = format_amz_date(now + skew);
        return Err(AuthError::invalid(errors::not_yet_current(
            &signed, &latest, &now_text, minutes,
        )));
    }
    Ok(())
}

fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_secs() as i64,
        Err(before) => -(before.duration().as_secs() as i64),
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

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_to_unix_seconds_and_back() {
        // 2015-08-30T12:36:00Z, the SigV4 test suite's time.
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(parse_amz_date("20240229T235959Z"), Some(1_709_251_199));
        for seconds in [0, 1_440_938_160, 1_709_251_199, 4_102_444_800, 951_782_400] {
            assert_eq!(parse_amz_date(&format_amz_date(seconds)), Some(seconds));
        }
    }

    #[test]
    fn malformed_dates_are_refused() {
        for bad in [
            "",
            "20150830T123600",
            "2015-08-30T12:36:00Z",
            "20150830 123600Z",
            "20151330T123600Z",
            "20150230T123600Z",
            "20230229T000000Z",
            "20150830T243600Z",
            "20150830T126000Z",
            "2015083OT123600Z",
            "+0150830T123600Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn skew_is_allowed_up_to_fifteen_minutes_either_way() {
        let now = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let signed = 1_440_938_160;
        assert!(check_skew(signed, now).is_ok());
        assert!(check_skew(signed - 900, now).is_ok());
        assert!(check_skew(signed + 900, now).is_ok());
        let AuthError::InvalidSignature { message } = check_skew(signed - 901, now).unwrap_err()
        else {
            panic!("stale signatures are invalid signatures")
        };
        assert_eq!(
            message,
            "Signature expired: 20150830T122059Z is now earlier than 20150830T122100Z (20150830T123600Z - 15 min.)"
        );
        let AuthError::InvalidSignature { message } = check_skew(signed + 901, now).unwrap_err()
        else {
            panic!("future signatures are invalid signatures")
        };
        assert_eq!(
            message,
            "Signature not yet current: 20150830T125101Z is still later than 20150830T125100Z (20150830T123600Z + 15 min.)"
        );
    }
}
