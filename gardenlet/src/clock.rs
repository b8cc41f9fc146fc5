//! Timestamps as the API writes them.

/// Now, to the second, in RFC 3339 (`lastUpdateTime`, `lastTransitionTime`, ...).
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now().round(jiff::Unit::Second).map(|t| t.to_string()).unwrap_or_default()
}
