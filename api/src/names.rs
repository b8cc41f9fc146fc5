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
    if !name.is_empty() && !qualified_name_part_ok(name) {
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

/// Validates a label map at `field` (keys at `field`, values at `field[key]`).
pub fn validate_labels<'a>(labels: impl IntoIterator<Item = (&'a String, &'a String)>, field: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (k, v) in labels {
        for m in is_qualified_name(k) {
            errs.push(FieldError::invalid(field, &Value::from(k.as_str()), &m));
        }
        for m in is_valid_label_value(v) {
            errs.push(FieldError::invalid(format!("{field}[{k}]"), &Value::from(v.as_str()), &m));
        }
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
    }
}
