//! Dates in trusted claims, as API Gateway's authorizers pass them.

use serde_json::Value;

/// A date of trusted claims, in seconds since the epoch: a JSON number, a number in a string
/// (API Gateway HTTP APIs pass claims as strings), or `EEE MMM dd HH:mm:ss UTC yyyy`, the form
/// API Gateway REST's Cognito authorizer gives `exp` and `iat` in
/// (`"exp": "Thu Dec 06 17:08:23 UTC 2018"`, in its `requestContext.authorizer.claims`).
pub(super) fn trusted_date(v: &Value) -> Option<u64> {
    let seconds = |f: f64| (0.0..1e15).contains(&f).then_some(f as u64);
    match v {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().and_then(seconds)),
        Value::String(s) => {
            let s = s.trim();
            s.parse().ok().or_else(|| s.parse::<f64>().ok().and_then(seconds)).or_else(|| authorizer_date(s))
        }
        _ => None,
    }
}

/// `Thu Dec 06 17:08:23 UTC 2018` (Java's `Date.toString()` in UTC) as seconds since the epoch.
fn authorizer_date(s: &str) -> Option<u64> {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let [weekday, month, day, time, zone, year] =
        <[&str; 6]>::try_from(s.split_whitespace().collect::<Vec<_>>()).ok()?;
    if !DAYS.contains(&weekday) || !matches!(zone, "UTC" | "GMT") {
        return None;
    }
    let number = |s: &str, digits: std::ops::RangeInclusive<usize>| {
        (digits.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<u64>().ok()).flatten()
    };
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let (day, year) = (number(day, 1..=2)?, number(year, 4..=4)?);
    let [h, m, sec] = <[&str; 3]>::try_from(time.split(':').collect::<Vec<_>>()).ok()?;
    let (h, m, sec) = (number(h, 2..=2)?, number(m, 2..=2)?, number(sec, 2..=2)?);
    if year < 1970 || day == 0 || day > days_in_month(year, month) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some(days_since_epoch(year, month, day) * 86_400 + h * 3600 + m * 60 + sec)
}

fn days_in_month(year: u64, month: u64) -> u64 {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to `year-month-day` (proleptic Gregorian, year ≥ 1970).
fn days_since_epoch(year: u64, month: u64, day: u64) -> u64 {
    let before: u64 = (1970..year).map(|y| if days_in_month(y, 2) == 29 { 366 } else { 365 }).sum();
    let months: u64 = (1..month).map(|m| days_in_month(year, m)).sum();
    before + months + day - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    /// API Gateway REST's Cognito authorizer passes `exp` as `"Thu Dec 06 17:08:23 UTC 2018"`: read
    /// as the instant it names (values checked against Python's `calendar.timegm`), never skipped.
    #[test]
    fn authorizer_dates_are_read_as_the_instant_they_name() {
        assert_eq!(authorizer_date("Thu Dec 06 17:08:23 UTC 2018"), Some(1_544_116_103));
        assert_eq!(authorizer_date("Thu Jan 01 00:00:01 UTC 1970"), Some(1));
        assert_eq!(authorizer_date("Thu Feb 29 12:00:00 UTC 2024"), Some(1_709_208_000));
        assert_eq!(authorizer_date("Fri Dec 31 23:59:59 UTC 2100"), Some(4_133_980_799));
        for bad in [
            "Thu Feb 29 12:00:00 UTC 2023",
            "Thu Dec 32 17:08:23 UTC 2018",
            "Thu Dec 06 24:08:23 UTC 2018",
            "Thu Dec 06 17:08:23 PST 2018",
            "Thu Dez 06 17:08:23 UTC 2018",
            "Xyz Dec 06 17:08:23 UTC 2018",
            "Thu Dec 06 17:08 UTC 2018",
            "Thu Dec 06 17:08:23 UTC 1969",
            "Thu Dec 06 17:08:23 UTC +2018",
            "Thu Dec 06 17:08:23 UTC 2018 extra",
            "",
        ] {
            assert_eq!(authorizer_date(bad), None, "{bad}");
        }
    }
}
