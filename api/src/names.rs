//! Kubernetes name and label syntax checks with kube's exact messages.

use crate::field::FieldError;
use serde_json::Value;

/// Max length of a DNS-1123 label.
pub const DNS1123_LABEL_MAX_LENGTH: usize = 63;
/// Max length of a DNS-1123 subdomain.
pub const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;
/// kube's message for an invalid DNS-1123 label.
pub const DNS1123_LABEL_ERROR_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
/// kube's message for an invalid DNS-1123 subdomain.
pub const DNS1123_SUBDOMAIN_ERROR_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const QUALIFIED_NAME_ERROR_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_ERROR_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

fn max_len_msg(max: usize) -> String {
    format!("must be no more than {max} characters")
}

fn label_syntax_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty() && alnum(b[0]) && alnum(b[b.len() - 1]) && b.iter().all(|&c| alnum(c) || c == b'-')
}

/// Problems of `value` as a DNS-1123 label (empty when valid).
pub fn is_dns1123_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_LABEL_MAX_LENGTH {
        errs.push(max_len_msg(DNS1123_LABEL_MAX_LENGTH));
    }
    if !label_syntax_ok(value) {
        errs.push(DNS1123_LABEL_ERROR_MSG.to_string());
    }
    errs
}

/// Problems of `value` as a DNS-1123 subdomain (empty when valid).
pub fn is_dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errs.push(max_len_msg(DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    if value.is_empty() || !value.split('.').all(label_syntax_ok) {
        errs.push(DNS1123_SUBDOMAIN_ERROR_MSG.to_string());
    }
    errs
}

/// kube's message for an invalid DNS-1035 label (Service names).
pub const DNS1035_LABEL_ERROR_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

/// Problems of `value` as a DNS-1035 label: a DNS-1123 label starting with a letter.
pub fn is_dns1035_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_LABEL_MAX_LENGTH {
        errs.push(max_len_msg(DNS1123_LABEL_MAX_LENGTH));
    }
    if !label_syntax_ok(value) || !value.starts_with(|c: char| c.is_ascii_lowercase()) {
        errs.push(DNS1035_LABEL_ERROR_MSG.to_string());
    }
    errs
}

/// Field errors for `value` at `field` not being a DNS-1123 label.
pub fn validate_dns1123_label(value: &str, field: &str) -> Vec<FieldError> {
    is_dns1123_label(value).iter().map(|m| FieldError::invalid(field, &Value::from(value), m)).collect()
}

/// Field errors for `value` at `field` not being a DNS-1123 subdomain.
pub fn validate_dns1123_subdomain(value: &str, field: &str) -> Vec<FieldError> {
    is_dns1123_subdomain(value).iter().map(|m| FieldError::invalid(field, &Value::from(value), m)).collect()
}

/// Validates an object name like kube's `ValidateObjectMeta`: required, then label or subdomain syntax.
/// `field` is usually `metadata.name`.
pub fn validate_object_name(name: &str, field: &str, dns_label: bool) -> Vec<FieldError> {
    if name.is_empty() {
        return vec![FieldError::required(field, "name or generateName is required")];
    }
    if dns_label {
        validate_dns1123_label(name, field)
    } else {
        validate_dns1123_subdomain(name, field)
    }
}

/// Validates a namespace name (a DNS-1123 label), `Required` when empty.
pub fn validate_namespace_name(namespace: &str, field: &str) -> Vec<FieldError> {
    if namespace.is_empty() {
        return vec![FieldError::required(field, "")];
    }
    validate_dns1123_label(namespace, field)
}

fn qualified_name_part_ok(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.')
}

/// Problems of `value` as a qualified name (`[prefix/]name`, used for label keys).
pub fn is_qualified_name(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let (prefix, name) = match value.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, value),
    };
    if let Some(p) = prefix {
        if name.contains('/') {
            errs.push(format!("a qualified name {QUALIFIED_NAME_ERROR_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"));
            return errs;
        }
        if p.is_empty() {
            errs.push("prefix part must be non-empty".to_string());
        } else {
            errs.extend(is_dns1123_subdomain(p).into_iter().map(|m| format!("prefix part {m}")));
        }
    }
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errs.push(format!("name part {}", max_len_msg(63)));
    }
    // kube reports an empty name part both as empty and as not matching the pattern.
    if !qualified_name_part_ok(name) {
        errs.push(format!("name part {QUALIFIED_NAME_ERROR_MSG}"));
    }
    errs
}

/// Problems of `value` as a label value.
pub fn is_valid_label_value(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 63 {
        errs.push(max_len_msg(63));
    }
    if !value.is_empty() && !qualified_name_part_ok(value) {
        errs.push(LABEL_VALUE_ERROR_MSG.to_string());
    }
    errs
}

/// Validates a label map at `field`: kube reports bad keys and bad values alike at the map's path, with the
/// offending key or value as the invalid value.
pub fn validate_labels<K: AsRef<str>, V: AsRef<str>>(
    labels: impl IntoIterator<Item = (K, V)>,
    field: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (k, v) in labels {
        let (k, v) = (k.as_ref(), v.as_ref());
        for m in is_qualified_name(k) {
            errs.push(FieldError::invalid(field, &Value::from(k), &m));
        }
        for m in is_valid_label_value(v) {
            errs.push(FieldError::invalid(field, &Value::from(v), &m));
        }
    }
    errs
}

/// kube's limit on the total size of an object's annotations (keys plus values), in bytes.
pub const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

/// Validates an annotation map at `field`: keys are qualified names compared case-insensitively (kube lowercases
/// them first), and keys plus values add up to at most [`TOTAL_ANNOTATION_SIZE_LIMIT`] bytes.
pub fn validate_annotations<K: AsRef<str>, V: AsRef<str>>(
    annotations: impl IntoIterator<Item = (K, V)>,
    field: &str,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut total = 0;
    for (k, v) in annotations {
        let (k, v) = (k.as_ref(), v.as_ref());
        let lower;
        let key = if k.bytes().any(|b| b.is_ascii_uppercase()) {
            lower = k.to_ascii_lowercase();
            lower.as_str()
        } else {
            k
        };
        for m in is_qualified_name(key) {
            errs.push(FieldError::invalid(field, &Value::from(k), &m));
        }
        total += k.len() + v.len();
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errs.push(FieldError::too_long(field, TOTAL_ANNOTATION_SIZE_LIMIT));
    }
    errs
}

/// Field errors for `value` at `field` not being a qualified name (finalizers, label keys in selectors).
pub fn validate_qualified_name(value: &str, field: &str) -> Vec<FieldError> {
    is_qualified_name(value).iter().map(|m| FieldError::invalid(field, &Value::from(value), m)).collect()
}

/// kube's `IsValidPathSegmentName`: the name rule of RBAC objects and of kinds without a stricter one. With
/// `prefix` (a `generateName`), only the characters are checked.
pub fn is_path_segment_name(name: &str, prefix: bool) -> Vec<String> {
    if !prefix {
        if let Some(bad) = [".", ".."].into_iter().find(|b| *b == name) {
            return vec![format!("may not be '{bad}'")];
        }
    }
    ["/", "%"].iter().filter(|c| name.contains(*c)).map(|c| format!("may not contain '{c}'")).collect()
}

/// A `generateName` is checked as a name whose last character before the trailing dash is an `a` and without the
/// dash (kube's `maskTrailingDash`), since the random suffix follows it.
pub fn mask_trailing_dash(prefix: &str) -> String {
    let mut chars = prefix.chars();
    if prefix.len() > 1 && chars.next_back() == Some('-') {
        chars.next_back();
        format!("{}a", chars.as_str())
    } else {
        prefix.to_string()
    }
}

const CONFIG_MAP_KEY_ERROR_MSG: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

/// kube's `IsConfigMapKey`: the rule for keys of ConfigMap `data`/`binaryData` and Secret `data`.
pub fn is_config_map_key(key: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if key.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errs.push(max_len_msg(DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    if key.is_empty() || !key.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_')) {
        errs.push(CONFIG_MAP_KEY_ERROR_MSG.to_string());
    }
    match key {
        "." => errs.push("must not be '.'".to_string()),
        ".." => errs.push("must not be '..'".to_string()),
        k if k.starts_with("..") => errs.push("must not start with '..'".to_string()),
        _ => {}
    }
    errs
}

/// kube's `IsValidPortName` (an IANA service name): container and service port names.
pub fn is_valid_port_name(port: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if port.len() > 15 {
        errs.push(max_len_msg(15));
    }
    if !port.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-') {
        errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_string());
    }
    if !port.bytes().any(|c| c.is_ascii_lowercase()) {
        errs.push("must contain at least one letter (a-z)".to_string());
    }
    if port.contains("--") {
        errs.push("must not contain consecutive hyphens".to_string());
    }
    if port.starts_with('-') || port.ends_with('-') {
        errs.push("must not begin or end with a hyphen".to_string());
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_subdomains() {
        assert!(is_dns1123_label("my-name").is_empty());
        assert!(is_dns1123_label("123-abc").is_empty());
        assert_eq!(is_dns1123_label("My_Name"), vec![DNS1123_LABEL_ERROR_MSG.to_string()]);
        assert!(!is_dns1123_label("-a").is_empty());
        assert!(!is_dns1123_label("a.b").is_empty());
        assert_eq!(is_dns1123_label(&"a".repeat(64)).len(), 1);
        assert!(is_dns1123_subdomain("example.com").is_empty());
        assert!(!is_dns1123_subdomain("example..com").is_empty());
        assert!(!is_dns1123_subdomain("").is_empty());
    }

    #[test]
    fn object_name_errors() {
        let e = validate_object_name("", "metadata.name", true);
        assert_eq!(e[0].reason, "FieldValueRequired");
        let e = validate_object_name("Bad", "metadata.name", true);
        assert_eq!(e[0].line(), format!("metadata.name: Invalid value: \"Bad\": {DNS1123_LABEL_ERROR_MSG}"));
    }

    #[test]
    fn qualified_names_and_values() {
        assert!(is_qualified_name("gardener.cloud/role").is_empty());
        assert!(is_qualified_name("app").is_empty());
        assert!(!is_qualified_name("/app").is_empty());
        assert!(!is_qualified_name("a/b/c").is_empty());
        assert!(!is_qualified_name("Foo.Bar/app").is_empty());
        assert!(is_valid_label_value("").is_empty());
        assert!(is_valid_label_value("My_value.1").is_empty());
        assert!(!is_valid_label_value("-x").is_empty());
        // The finding's cases: a space and a '!' in a key, an empty key, a value of 100 characters.
        assert_eq!(is_qualified_name("bad key!"), vec![format!("name part {QUALIFIED_NAME_ERROR_MSG}")]);
        assert_eq!(
            is_qualified_name(""),
            vec!["name part must be non-empty".to_string(), format!("name part {QUALIFIED_NAME_ERROR_MSG}")]
        );
        assert_eq!(is_valid_label_value(&"v".repeat(100)), vec!["must be no more than 63 characters".to_string()]);
        assert_eq!(is_qualified_name(&format!("{}/x", "p".repeat(254))).len(), 1);
        assert_eq!(is_qualified_name(&"n".repeat(64)).len(), 1);
    }

    #[test]
    fn annotations_are_case_insensitive_and_bounded() {
        let ok: std::collections::BTreeMap<String, String> =
            [("Example.COM/Owner".to_string(), "x".to_string())].into_iter().collect();
        assert!(validate_annotations(&ok, "metadata.annotations").is_empty());
        let big: std::collections::BTreeMap<String, String> =
            [("a".to_string(), "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT))].into_iter().collect();
        let e = validate_annotations(&big, "metadata.annotations");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].line(), "metadata.annotations: Too long: may not be more than 262144 bytes");
    }

    #[test]
    fn config_map_keys_path_segments_and_port_names() {
        assert!(is_config_map_key("key.name").is_empty() && is_config_map_key("KEY_NAME").is_empty());
        assert_eq!(is_config_map_key("bad/key"), vec![CONFIG_MAP_KEY_ERROR_MSG.to_string()]);
        assert_eq!(is_config_map_key(".."), vec!["must not be '..'".to_string()]);
        assert_eq!(is_config_map_key("..a"), vec!["must not start with '..'".to_string()]);
        assert_eq!(is_path_segment_name("..", false), vec!["may not be '..'".to_string()]);
        assert_eq!(is_path_segment_name("a/b%", false).len(), 2);
        assert!(is_path_segment_name(".", true).is_empty());
        assert_eq!(mask_trailing_dash("web-"), "wea");
        assert_eq!(mask_trailing_dash("a-"), "a");
        assert_eq!(mask_trailing_dash("-"), "-");
        assert!(is_valid_port_name("http").is_empty());
        assert_eq!(is_valid_port_name("8080").len(), 1);
        assert_eq!(is_valid_port_name("a--b").len(), 1);
    }
}
