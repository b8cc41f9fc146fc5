//! `meta.k8s.io/v1` Table rendering for `kubectl get`.

use serde_json::{json, Map, Value};

use super::ResourceType;

/// One printed column.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: &'static str,
    pub type_: &'static str,
    pub description: &'static str,
    /// 0 = always shown, 1 = only with `-o wide`.
    pub priority: u8,
}

impl Column {
    pub const fn new(name: &'static str, description: &'static str) -> Self {
        Self { name, type_: "string", description, priority: 0 }
    }
    pub const fn wide(name: &'static str, description: &'static str) -> Self {
        Self { name, type_: "string", description, priority: 1 }
    }
    /// An integer column (kube's `type: integer` printer column).
    pub const fn integer(name: &'static str, description: &'static str) -> Self {
        Self { name, type_: "integer", description, priority: 0 }
    }
    /// A timestamp column (`type: date`): the strategy's cell is an RFC 3339 timestamp, printed as its age like
    /// kube prints a CRD's date columns. A strategy column named `Age` replaces the implicit last one, so kinds
    /// whose CRDs print Age elsewhere (MCM's Machine: Status, Age, Node) keep their order.
    pub const fn date(name: &'static str, description: &'static str) -> Self {
        Self { name, type_: "date", description, priority: 0 }
    }
}

/// Whether the kind prints its own `Age` column (then no implicit one is added at the end).
fn own_age(columns: &[Column]) -> bool {
    columns.iter().any(|c| c.name == "Age")
}

/// What each row carries besides its cells (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

impl IncludeObject {
    pub fn parse(s: Option<&str>) -> Self {
        match s {
            Some("None") => IncludeObject::None,
            Some("Object") => IncludeObject::Object,
            _ => IncludeObject::Metadata,
        }
    }
}

pub fn column_definitions(rt: &ResourceType) -> Value {
    let mut cols = vec![json!({"name": "Name", "type": "string", "format": "name",
        "description": "Name must be unique within a namespace.", "priority": 0})];
    let columns = rt.strategy.columns();
    for c in &columns {
        cols.push(json!({"name": c.name, "type": c.type_, "format": "", "description": c.description, "priority": c.priority}));
    }
    if !own_age(&columns) {
        cols.push(json!({"name": "Age", "type": "string", "format": "",
            "description": "Time since the object was created (metadata.creationTimestamp).", "priority": 0}));
    }
    Value::Array(cols)
}

/// `now - t` as kubectl prints ages, `<unknown>` when `t` is not a timestamp.
fn age(t: Option<&Value>, now: jiff::Timestamp) -> Value {
    let age = t
        .and_then(Value::as_str)
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map(|t| human_duration(now.as_second() - t.as_second()))
        .unwrap_or_else(|| "<unknown>".into());
    Value::String(age)
}

pub fn row(rt: &ResourceType, obj: &Value, include: IncludeObject, now: jiff::Timestamp) -> Value {
    let mut cells = vec![obj.pointer("/metadata/name").cloned().unwrap_or(Value::Null)];
    let columns = rt.strategy.columns();
    let own = rt.strategy.cells(obj);
    for (i, cell) in own.into_iter().enumerate() {
        match columns.get(i) {
            Some(c) if c.type_ == "date" => cells.push(if cell.is_null() { cell } else { age(Some(&cell), now) }),
            _ => cells.push(cell),
        }
    }
    if !own_age(&columns) {
        cells.push(age(obj.pointer("/metadata/creationTimestamp"), now));
    }
    let mut r = Map::new();
    r.insert("cells".into(), Value::Array(cells));
    match include {
        IncludeObject::None => {}
        IncludeObject::Metadata => {
            r.insert(
                "object".into(),
                json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                       "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({}))}),
            );
        }
        IncludeObject::Object => {
            r.insert("object".into(), obj.clone());
        }
    }
    Value::Object(r)
}

pub fn table(rt: &ResourceType, objs: &[&Value], include: IncludeObject, list_meta: Value) -> Value {
    let now = jiff::Timestamp::now();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": column_definitions(rt),
        "rows": objs.iter().map(|o| row(rt, o, include, now)).collect::<Vec<_>>(),
    })
}

/// kube's `duration.HumanDuration`.
pub fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".into();
    }
    let s = seconds.max(0);
    let (m, h, d) = (s / 60, s / 3600, s / 86400);
    if s < 120 {
        format!("{s}s")
    } else if m < 10 {
        if s % 60 == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{}s", s % 60)
        }
    } else if m < 180 {
        format!("{m}m")
    } else if h < 8 {
        if m % 60 == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{}m", m % 60)
        }
    } else if h < 48 {
        format!("{h}h")
    } else if h < 24 * 8 {
        if h % 24 == 0 {
            format!("{d}d")
        } else {
            format!("{d}d{}h", h % 24)
        }
    } else if h < 24 * 365 * 2 {
        format!("{d}d")
    } else if h < 24 * 365 * 8 {
        let y = d / 365;
        if d % 365 == 0 {
            format!("{y}y")
        } else {
            format!("{y}y{}d", d % 365)
        }
    } else {
        format!("{}y", d / 365)
    }
}

#[cfg(test)]
mod tests {
    use super::human_duration;

    #[test]
    fn durations_match_kubectl() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(119), "119s");
        assert_eq!(human_duration(150), "2m30s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(3 * 3600 + 60), "3h1m");
        assert_eq!(human_duration(30 * 3600), "30h");
        assert_eq!(human_duration(3 * 86400 + 3600), "3d1h");
        assert_eq!(human_duration(-5), "<invalid>");
    }
}
