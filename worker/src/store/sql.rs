//! The one set of helpers every store module binds and filters with: numbers and optional
//! values as D1 wants them, a `WHERE` builder with numbered placeholders, and the row count
//! a statement changed.

use wasm_bindgen::JsValue;

/// A number D1 can bind. JS numbers are f64: ids, counts and ms timestamps stay far below 2^53.
pub trait Num: Copy {
    fn to_f64(self) -> f64;
}

macro_rules! num_from {
    ($($t:ty),*) => {$(
        impl Num for $t {
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}
num_from!(i64, u64, i32, u32, u16);

impl Num for bool {
    fn to_f64(self) -> f64 {
        f64::from(u8::from(self))
    }
}

/// A number (a bool binds 1 or 0).
pub fn num(n: impl Num) -> JsValue {
    JsValue::from_f64(n.to_f64())
}

/// An optional number (`None` binds NULL).
pub fn opt_num(n: Option<impl Num>) -> JsValue {
    n.map_or(JsValue::NULL, num)
}

/// An optional text (`None` binds NULL).
pub fn opt_text(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::NULL, JsValue::from_str)
}

/// Rows a statement changed (0 when D1 reports nothing).
pub fn changes(r: &worker::D1Result) -> u64 {
    r.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0) as u64
}

/// A `WHERE` clause under construction, with numbered placeholders (`?1`, `?2`, …) and their
/// values in order.
#[derive(Default)]
pub struct Where {
    clauses: Vec<String>,
    /// The values of the placeholders, for `bind`.
    pub binds: Vec<JsValue>,
}

impl Where {
    /// Adds a condition; every `{}` in `sql` becomes the placeholder of `value`.
    pub fn add(&mut self, sql: &str, value: JsValue) {
        let p = self.bind(value);
        self.clauses.push(sql.replace("{}", &p));
    }

    /// Adds a condition with several values: the n-th `{}` in `sql` becomes the n-th value's placeholder.
    pub fn add_each(&mut self, sql: &str, values: Vec<JsValue>) {
        let mut parts = sql.split("{}");
        let mut clause = parts.next().unwrap_or_default().to_string();
        for (part, value) in parts.zip(values) {
            clause.push_str(&self.bind(value));
            clause.push_str(part);
        }
        self.clauses.push(clause);
    }

    /// The next placeholder for a value bound outside the conditions (LIMIT, OFFSET, a step).
    pub fn bind(&mut self, value: JsValue) -> String {
        self.binds.push(value);
        format!("?{}", self.binds.len())
    }

    /// `WHERE a AND b …`, or nothing without conditions.
    pub fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}
