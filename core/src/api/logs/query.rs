//! Strict parsing of the log and statistics query strings: each parameter at most once,
//! unknown ones rejected, and every bad parameter reported by name.

use super::*;
use crate::config::FieldErrors;
use crate::stats::{Resolution, DAY_MS, HOUR_MS};

/// Walks decoded query pairs once: each name at most once, unknown names rejected. `f`
/// returns `None` for a name it does not know. Empty values count as not given.
fn each_param<'a>(
    pairs: &'a [(String, String)],
    mut f: impl FnMut(&str, &'a str) -> Option<Result<(), String>>,
) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let mut seen = BTreeSet::new();
    for (k, v) in pairs {
        if !seen.insert(k.as_str()) {
            errors.insert(k.clone(), "given more than once".into());
            continue;
        }
        match f(k, v) {
            None => {
                errors.insert(k.clone(), "unknown parameter".into());
            }
            Some(Err(m)) => {
                errors.insert(k.clone(), m);
            }
            Some(Ok(())) => {}
        }
    }
    errors
}

fn set<T>(slot: &mut Option<T>, v: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<(), String> {
    if !v.is_empty() {
        *slot = Some(parse(v)?);
    }
    Ok(())
}

fn time(v: &str) -> Result<u64, String> {
    v.parse::<u64>()
        .ok()
        .filter(|t| *t <= MAX_MS && v.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| "must be a Unix time in milliseconds".into())
}

fn row_id(v: &str) -> Result<i64, String> {
    v.parse::<i64>()
        .ok()
        .filter(|n| *n >= 1 && v.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| "must be a whole number ≥ 1".into())
}

fn text(max: usize) -> impl Fn(&str) -> Result<String, String> {
    move |v| if v.chars().count() <= max { Ok(v.to_string()) } else { Err(format!("at most {max} characters")) }
}

fn ranged(min: u32, max: u32) -> impl Fn(&str) -> Result<u32, String> {
    move |v| {
        v.parse::<u32>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| format!("must be a whole number from {min} to {max}"))
    }
}

/// Reports `from` after `to`.
fn check_order(from: Option<u64>, to: Option<u64>, errors: &mut FieldErrors) {
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            errors.entry("from".into()).or_insert_with(|| "must not be after to".into());
        }
    }
}

/// Parses `GET /logs` (`export: false`) or `GET /logs/export.csv` (`export: true`, no cursor,
/// `limit` up to `EXPORT_MAX_ROWS` and by default that).
pub fn parse_log_query(pairs: &[(String, String)], export: bool) -> Result<LogQuery, FieldErrors> {
    let mut f = LogFilter::default();
    let (max, mut limit) = if export { (EXPORT_MAX_ROWS, None) } else { (MAX_LIMIT, None) };
    let mut cursor = None;
    let mut errors = each_param(pairs, |k, v| {
        Some(match k {
            "from" => set(&mut f.from, v, time),
            "to" => set(&mut f.to, v, time),
            "token_id" => set(&mut f.token_id, v, row_id),
            "key_id" => set(&mut f.key_id, v, row_id),
            "model" => set(&mut f.model, v, text(200)),
            "status" => set(&mut f.status, v, |v| {
                StatusFilter::parse(v).ok_or_else(|| "must be 1xx–5xx or a status code".into())
            }),
            "error_class" => set(&mut f.error_class, v, |v| {
                ErrorClass::parse(v).ok_or_else(|| "must be an error class such as quota_minute".into())
            }),
            "stream" => set(&mut f.stream, v, |v| match v {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err("must be true or false".into()),
            }),
            "route" => set(&mut f.route, v, |v| match v {
                "native" | "openai" | "live" | "anthropic" => Ok(v.to_string()),
                _ => Err("must be native, openai, live or anthropic".into()),
            }),
            "request_id" => set(&mut f.request_id, v, text(100)),
            "limit" => set(&mut limit, v, ranged(1, max)),
            "cursor" if !export => {
                set(&mut cursor, v, |v| Cursor::decode(v).ok_or_else(|| "not a cursor from this API".into()))
            }
            _ => return None,
        })
    });
    check_order(f.from, f.to, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let limit = limit.unwrap_or(if export { EXPORT_MAX_ROWS } else { DEFAULT_LIMIT });
    Ok(LogQuery { filter: f, limit, cursor })
}

/// Parses `GET /stats/series`. Defaults: `metric=requests`, `resolution=hour`, `to` = now,
/// `from` = one hour (minute), one day (hour) or 30 days (day; 7 for latency) before `to`.
pub fn parse_series_query(pairs: &[(String, String)], now_ms: u64) -> Result<SeriesQuery, FieldErrors> {
    let (mut metric, mut resolution, mut from, mut to) = (None, None, None, None);
    let (mut token_id, mut key_id, mut model) = (None, None, None);
    let mut errors = each_param(pairs, |k, v| {
        Some(match k {
            "metric" => set(&mut metric, v, |v| {
                Metric::parse(v).ok_or_else(|| "must be requests, success_rate, latency or tokens".into())
            }),
            "resolution" => {
                set(&mut resolution, v, |v| Resolution::parse(v).ok_or_else(|| "must be minute, hour or day".into()))
            }
            "from" => set(&mut from, v, time),
            "to" => set(&mut to, v, time),
            "token_id" => set(&mut token_id, v, row_id),
            "key_id" => set(&mut key_id, v, row_id),
            "model" => set(&mut model, v, text(200)),
            _ => return None,
        })
    });
    check_order(from, to, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let metric = metric.unwrap_or(Metric::Requests);
    let resolution = resolution.unwrap_or(Resolution::Hour);
    let (max_range, what) = match (metric, resolution) {
        (Metric::Latency, _) => (LATENCY_MAX_RANGE_MS, "7 days for latency"),
        (_, Resolution::Minute) => (MINUTE_MAX_RANGE_MS, "24 hours at minute resolution"),
        (_, Resolution::Hour) => (HOUR_MAX_RANGE_MS, "92 days at hour resolution"),
        (_, Resolution::Day) => (DAY_MAX_RANGE_MS, "400 days"),
    };
    let default_span = match resolution {
        Resolution::Minute => HOUR_MS,
        Resolution::Hour => DAY_MS,
        Resolution::Day => 30 * DAY_MS,
    }
    .min(max_range);
    let to = to.unwrap_or(now_ms);
    if from.is_some_and(|f| f > to) {
        return Err(FieldErrors::from([("from".into(), "must not be after to".into())]));
    }
    let from = resolution.floor(from.unwrap_or(to.saturating_sub(default_span)));
    if to - from > max_range + resolution.step_ms() {
        return Err(FieldErrors::from([("from".into(), format!("the range may cover at most {what}"))]));
    }
    Ok(SeriesQuery { metric, resolution, from, to, token_id, key_id, model })
}

/// Parses `GET /stats/totals`: `by` is required; `to` defaults to now, `from` to a day before.
pub fn parse_totals_query(pairs: &[(String, String)], now_ms: u64) -> Result<TotalsQuery, FieldErrors> {
    let (mut by, mut from, mut to, mut limit) = (None, None, None, None);
    let mut errors = each_param(pairs, |k, v| {
        Some(match k {
            "by" => set(&mut by, v, |v| match v {
                "key" => Ok(GroupBy::Key),
                "token" => Ok(GroupBy::Token),
                "model" => Ok(GroupBy::Model),
                _ => Err("must be key, token or model".into()),
            }),
            "from" => set(&mut from, v, time),
            "to" => set(&mut to, v, time),
            "limit" => set(&mut limit, v, ranged(1, MAX_GROUPS)),
            _ => return None,
        })
    });
    if by.is_none() && !errors.contains_key("by") {
        errors.insert("by".into(), "required: key, token or model".into());
    }
    check_order(from, to, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let to = to.unwrap_or(now_ms);
    if from.is_some_and(|f| f > to) {
        return Err(FieldErrors::from([("from".into(), "must not be after to".into())]));
    }
    let from = stats::hour_start(from.unwrap_or(to.saturating_sub(DAY_MS)));
    if to - from > DAY_MAX_RANGE_MS + HOUR_MS {
        return Err(FieldErrors::from([("from".into(), "the range may cover at most 400 days".into())]));
    }
    Ok(TotalsQuery { by: by.expect("checked above"), from, to, limit: limit.unwrap_or(100) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::query_pairs as q;

    #[test]
    fn log_query_defaults_and_values() {
        let lq = parse_log_query(&q(""), false).unwrap();
        assert_eq!(lq.limit, DEFAULT_LIMIT);
        assert_eq!(lq.filter, LogFilter::default());
        let c = Cursor { at: 5, id: 6 }.encode();
        let lq = parse_log_query(&q(&format!("from=1&to=9&token_id=3&key_id=4&model=gemini-2.5-flash&status=4xx&error_class=quota_minute&stream=true&route=openai&request_id=abc&limit=500&cursor={c}")), false).unwrap();
        assert_eq!(lq.limit, 500);
        assert_eq!(lq.cursor, Some(Cursor { at: 5, id: 6 }));
        assert_eq!(lq.filter.status, Some(StatusFilter::Class(4)));
        assert_eq!(lq.filter.model.as_deref(), Some("gemini-2.5-flash"));
        assert_eq!(lq.filter.stream, Some(true));
        assert_eq!(lq.filter.error_class, Some(ErrorClass::QuotaMinute));
        let empty = parse_log_query(&q("error_class=empty_reply"), false).unwrap();
        assert_eq!(empty.filter.error_class, Some(ErrorClass::EmptyReply));
        // Empty values are "not given".
        assert_eq!(parse_log_query(&q("model=&status="), false).unwrap().filter, LogFilter::default());
        assert_eq!(parse_log_query(&q(""), true).unwrap().limit, EXPORT_MAX_ROWS);
    }

    #[test]
    fn log_query_reports_every_bad_field() {
        let e = parse_log_query(&q("from=x&to=-1&token_id=0&key_id=1.5&status=6xx&error_class=Bad Class&stream=yes&route=x&limit=501&cursor=nope&bogus=1"), false).unwrap_err();
        let names: Vec<&str> = e.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "bogus",
                "cursor",
                "error_class",
                "from",
                "key_id",
                "limit",
                "route",
                "status",
                "stream",
                "to",
                "token_id"
            ]
        );
        assert_eq!(e["bogus"], "unknown parameter");
        let e = parse_log_query(&q("limit=0"), false).unwrap_err();
        assert_eq!(e["limit"], "must be a whole number from 1 to 500");
        let e = parse_log_query(&q("limit=5&limit=5"), false).unwrap_err();
        assert_eq!(e["limit"], "given more than once");
        let e = parse_log_query(&q("from=10&to=9"), false).unwrap_err();
        assert_eq!(e["from"], "must not be after to");
        assert!(parse_log_query(&q("cursor=1_1"), true).unwrap_err().contains_key("cursor"));
        assert!(parse_log_query(&q("limit=100000"), true).is_ok());
        let long = vec![("model".to_string(), "x".repeat(201))];
        assert_eq!(parse_log_query(&long, false).unwrap_err()["model"], "at most 200 characters");
    }

    #[test]
    fn series_query_defaults_and_limits() {
        let now = 10 * DAY_MS + 5 * HOUR_MS + 123;
        let s = parse_series_query(&q(""), now).unwrap();
        assert_eq!((s.metric, s.resolution, s.to), (Metric::Requests, Resolution::Hour, now));
        assert_eq!(s.from, 9 * DAY_MS + 5 * HOUR_MS);
        let s = parse_series_query(&q("metric=latency&resolution=day"), now).unwrap();
        assert_eq!(s.from, 3 * DAY_MS);
        let s = parse_series_query(&q(&format!("resolution=minute&from={}&to={}", now - DAY_MS, now)), now).unwrap();
        assert_eq!(s.from, stats::Resolution::Minute.floor(now - DAY_MS));
        let e =
            parse_series_query(&q(&format!("resolution=minute&from={}&to={}", now - DAY_MS - 2 * 60_000, now)), now)
                .unwrap_err();
        assert_eq!(e["from"], "the range may cover at most 24 hours at minute resolution");
        let e =
            parse_series_query(&q(&format!("metric=latency&resolution=hour&from={}&to={now}", now - 8 * DAY_MS)), now)
                .unwrap_err();
        assert!(e["from"].contains("7 days"));
        assert_eq!(
            parse_series_query(&q(&format!("from={}", now + 1)), now).unwrap_err()["from"],
            "must not be after to"
        );
        let e = parse_series_query(&q("metric=p99&resolution=second&key_id=x&extra=1"), now).unwrap_err();
        assert_eq!(e.keys().map(String::as_str).collect::<Vec<_>>(), ["extra", "key_id", "metric", "resolution"]);
    }

    #[test]
    fn totals_query() {
        let now = 3 * DAY_MS + 1;
        let t = parse_totals_query(&q("by=model"), now).unwrap();
        assert_eq!((t.by, t.from, t.to, t.limit), (GroupBy::Model, 2 * DAY_MS, now, 100));
        assert_eq!(parse_totals_query(&q(""), now).unwrap_err()["by"], "required: key, token or model");
        assert_eq!(parse_totals_query(&q("by=region"), now).unwrap_err()["by"], "must be key, token or model");
        assert!(parse_totals_query(&q("by=key&from=0&to=999999999999"), now).unwrap_err().contains_key("from"));
        assert!(parse_totals_query(&q("by=key&limit=1001"), now).unwrap_err().contains_key("limit"));
    }
}
