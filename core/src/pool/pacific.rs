//! Midnight in `America/Los_Angeles`, when Gemini's per-day quotas reset.
//!
//! Google resets requests-per-day "at midnight Pacific time", so daily cooldowns and per-day counters need the
//! next 00:00 in Los Angeles as a Unix timestamp. This module computes it without a time-zone database:
//!
//! - civil-date arithmetic on a proleptic Gregorian calendar ([`days_from_civil`], [`civil_from_days`]), using
//!   the era-based day-count method (400-year eras of 146 097 days, years starting on 1 March so the leap day
//!   comes last);
//! - the US daylight-saving rule in force since 2007: PDT (UTC−7) from the second Sunday of March at 02:00 local
//!   to the first Sunday of November at 02:00 local, PST (UTC−8) otherwise.
//!
//! Because both transitions happen at 02:00, a local midnight is never skipped or repeated; days are 23 or 25
//! hours long on the transition dates, which the functions here handle by converting each midnight separately.
//! Timestamps are Unix milliseconds (`u64`), as everywhere in core.

/// Milliseconds in an hour.
const HOUR_MS: i64 = 3_600_000;
/// Milliseconds in a civil day (ignoring leap seconds, as Unix time does).
pub const DAY_MS: i64 = 24 * HOUR_MS;
/// Offset of PST from UTC.
const PST_OFFSET_MS: i64 = -8 * HOUR_MS;
/// Offset of PDT from UTC.
const PDT_OFFSET_MS: i64 = -7 * HOUR_MS;
/// Local hour at which the clocks change, in both directions.
const TRANSITION_HOUR: i64 = 2;

/// Days since 1970-01-01 of the civil date `year-month-day` (month 1–12, day 1–31).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (month, day) = (i64::from(month), i64::from(day));
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400; // 0..=399
    let month_from_march = (month + 9) % 12; // March = 0 … February = 11
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1; // 0..=365
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date `(year, month, day)` of a day count since 1970-01-01; the inverse of [`days_from_civil`].
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted - era * 146_097; // 0..=146_096
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // The ranges above make these conversions lossless.
    (year, month as u32, day as u32)
}

/// Day of the week of a day count, 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday).
fn weekday(days: i64) -> i64 {
    (days + 4).rem_euclid(7)
}

/// Day count of the first Sunday on or after the given date.
fn first_sunday_from(year: i64, month: u32, day: u32) -> i64 {
    let start = days_from_civil(year, month, day);
    start + (7 - weekday(start)) % 7
}

/// Local dates (as day counts) on which daylight time starts and ends in `year`.
fn dst_dates(year: i64) -> (i64, i64) {
    (first_sunday_from(year, 3, 8), first_sunday_from(year, 11, 1))
}

/// Offset from UTC, in ms, of Pacific time at the Unix instant `utc_ms`.
pub fn pacific_offset_ms(utc_ms: i64) -> i64 {
    // The UTC year is the right one for the DST rule: the transitions are months away from New Year.
    let (year, _, _) = civil_from_days(utc_ms.div_euclid(DAY_MS));
    let (start, end) = dst_dates(year);
    // 02:00 PST and 02:00 PDT expressed in UTC.
    let dst_starts = start * DAY_MS + TRANSITION_HOUR * HOUR_MS - PST_OFFSET_MS;
    let dst_ends = end * DAY_MS + TRANSITION_HOUR * HOUR_MS - PDT_OFFSET_MS;
    if (dst_starts..dst_ends).contains(&utc_ms) {
        PDT_OFFSET_MS
    } else {
        PST_OFFSET_MS
    }
}

/// The UTC instant of 00:00 Pacific on the local date `local_day` (a day count).
fn pacific_midnight_utc_ms(local_day: i64) -> i64 {
    let (year, _, _) = civil_from_days(local_day);
    let (start, end) = dst_dates(year);
    // Midnight comes before the 02:00 switch: still PST on the start date, still PDT on the end date.
    let offset = if local_day > start && local_day <= end { PDT_OFFSET_MS } else { PST_OFFSET_MS };
    local_day * DAY_MS - offset
}

/// The Pacific local date (day count) at the Unix instant `utc_ms`.
fn pacific_day(utc_ms: i64) -> i64 {
    (utc_ms + pacific_offset_ms(utc_ms)).div_euclid(DAY_MS)
}

/// Converts core's `u64` timestamps; saturates far beyond any real clock.
fn to_i64(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX / 2)
}

/// Converts back, clamping to 0: only the day start of an instant in the first hours of 1970 is negative.
fn to_u64(ms: i64) -> u64 {
    u64::try_from(ms).unwrap_or(0)
}

/// The first 00:00 `America/Los_Angeles` strictly after `now_ms` (so exactly at midnight, the next one).
pub fn next_pacific_midnight_ms(now_ms: u64) -> u64 {
    to_u64(pacific_midnight_utc_ms(pacific_day(to_i64(now_ms)) + 1))
}

/// The last 00:00 `America/Los_Angeles` at or before `now_ms`: the start of the current Pacific day.
pub fn pacific_day_start_ms(now_ms: u64) -> u64 {
    to_u64(pacific_midnight_utc_ms(pacific_day(to_i64(now_ms))))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix ms of a UTC date and time.
    fn utc(y: i64, mo: u32, d: u32, h: i64, mi: i64) -> u64 {
        to_u64(days_from_civil(y, mo, d) * DAY_MS + h * HOUR_MS + mi * 60_000)
    }

    #[test]
    fn civil_round_trip_and_known_dates() {
        let known: &[((i64, u32, u32), i64)] = &[
            ((1970, 1, 1), 0),
            ((1969, 12, 31), -1),
            ((2000, 2, 29), 11_016),
            ((2000, 3, 1), 11_017),
            ((2026, 3, 8), 20_520),
            ((2100, 3, 1), 47_541),
        ];
        for &((y, m, d), days) in known {
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
            assert_eq!(civil_from_days(days), (y, m, d), "{days}");
        }
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn dst_dates_follow_the_2007_rule() {
        type Ymd = (i64, u32, u32);
        let cases: &[(i64, Ymd, Ymd)] = &[
            (2007, (2007, 3, 11), (2007, 11, 4)),
            (2024, (2024, 3, 10), (2024, 11, 3)),
            (2025, (2025, 3, 9), (2025, 11, 2)),
            (2026, (2026, 3, 8), (2026, 11, 1)),
            (2027, (2027, 3, 14), (2027, 11, 7)),
        ];
        for &(year, start, end) in cases {
            let (s, e) = dst_dates(year);
            assert_eq!((civil_from_days(s), civil_from_days(e)), (start, end), "{year}");
            assert_eq!(weekday(s), 0);
            assert_eq!(weekday(e), 0);
        }
    }

    #[test]
    fn offset_switches_at_two_local() {
        let cases: &[(u64, i64)] = &[
            (utc(2026, 3, 8, 9, 59), PST_OFFSET_MS),  // 01:59 PST
            (utc(2026, 3, 8, 10, 0), PDT_OFFSET_MS),  // 02:00 PST becomes 03:00 PDT
            (utc(2026, 11, 1, 8, 59), PDT_OFFSET_MS), // 01:59 PDT
            (utc(2026, 11, 1, 9, 0), PST_OFFSET_MS),  // 02:00 PDT becomes 01:00 PST
            (utc(2026, 1, 15, 12, 0), PST_OFFSET_MS),
            (utc(2026, 7, 15, 12, 0), PDT_OFFSET_MS),
        ];
        for &(at, offset) in cases {
            assert_eq!(pacific_offset_ms(to_i64(at)), offset, "{at}");
        }
    }

    #[test]
    fn next_midnight_table() {
        let cases: &[(&str, u64, u64)] = &[
            ("winter noon", utc(2026, 1, 15, 20, 0), utc(2026, 1, 16, 8, 0)),
            ("winter, early UTC is the previous local day", utc(2026, 1, 16, 3, 0), utc(2026, 1, 16, 8, 0)),
            ("summer noon", utc(2026, 7, 15, 19, 0), utc(2026, 7, 16, 7, 0)),
            ("exactly at winter midnight", utc(2026, 1, 16, 8, 0), utc(2026, 1, 17, 8, 0)),
            ("a minute before winter midnight", utc(2026, 1, 16, 7, 59), utc(2026, 1, 16, 8, 0)),
            ("exactly at summer midnight", utc(2026, 7, 16, 7, 0), utc(2026, 7, 17, 7, 0)),
            ("a minute before summer midnight", utc(2026, 7, 16, 6, 59), utc(2026, 7, 16, 7, 0)),
            // 2026-03-08 is 23 hours long: 00:00 PST to 00:00 PDT.
            ("DST start day, before the switch", utc(2026, 3, 8, 9, 0), utc(2026, 3, 9, 7, 0)),
            ("DST start day, after the switch", utc(2026, 3, 8, 20, 0), utc(2026, 3, 9, 7, 0)),
            ("eve of DST start", utc(2026, 3, 7, 20, 0), utc(2026, 3, 8, 8, 0)),
            // 2026-11-01 is 25 hours long: 00:00 PDT to 00:00 PST.
            ("DST end day, before the switch", utc(2026, 11, 1, 8, 30), utc(2026, 11, 2, 8, 0)),
            ("DST end day, repeated hour", utc(2026, 11, 1, 9, 30), utc(2026, 11, 2, 8, 0)),
            ("DST end day, evening", utc(2026, 11, 2, 7, 30), utc(2026, 11, 2, 8, 0)),
            ("eve of DST end", utc(2026, 10, 31, 20, 0), utc(2026, 11, 1, 7, 0)),
            ("new year's eve local", utc(2026, 12, 31, 20, 0), utc(2027, 1, 1, 8, 0)),
            ("new year UTC, still 2026 locally", utc(2027, 1, 1, 3, 0), utc(2027, 1, 1, 8, 0)),
            ("leap day", utc(2028, 2, 29, 12, 0), utc(2028, 3, 1, 8, 0)),
            ("epoch", 0, utc(1970, 1, 1, 8, 0)),
        ];
        for &(name, now, expected) in cases {
            assert_eq!(next_pacific_midnight_ms(now), expected, "{name}");
        }
    }

    #[test]
    fn day_start_table() {
        let cases: &[(&str, u64, u64)] = &[
            ("winter noon", utc(2026, 1, 15, 20, 0), utc(2026, 1, 15, 8, 0)),
            ("exactly at midnight", utc(2026, 1, 16, 8, 0), utc(2026, 1, 16, 8, 0)),
            ("DST start day", utc(2026, 3, 8, 20, 0), utc(2026, 3, 8, 8, 0)),
            ("DST end day", utc(2026, 11, 1, 20, 0), utc(2026, 11, 1, 7, 0)),
            ("day after DST end", utc(2026, 11, 2, 9, 0), utc(2026, 11, 2, 8, 0)),
        ];
        for &(name, now, expected) in cases {
            assert_eq!(pacific_day_start_ms(now), expected, "{name}");
        }
    }

    #[test]
    fn next_midnight_is_always_a_local_midnight_within_25_hours() {
        let mut now = utc(2025, 12, 25, 0, 0);
        while now < utc(2027, 1, 10, 0, 0) {
            let next = next_pacific_midnight_ms(now);
            assert!(next > now && next - now <= 25 * 3_600_000, "{now}");
            let local = to_i64(next) + pacific_offset_ms(to_i64(next));
            assert_eq!(local.rem_euclid(DAY_MS), 0, "{now}");
            assert!(pacific_day_start_ms(now) <= now);
            now += 3_600_000 * 7 + 60_000 * 13;
        }
    }
}
