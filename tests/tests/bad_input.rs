//! Bad input gets a clear 4xx Status and never a crash or a partial write.

use garden_e2e::TestGarden;
use serde_json::Value;

fn post(garden: &TestGarden, path: &str, content_type: &str, body: &[u8]) -> (u16, Value) {
    garden.post_as_admin(path, content_type, body)
}

fn assert_status(code: u16, body: &Value, want: u16, needle: &str) {
    assert_eq!(code, want, "body: {body}");
    assert_eq!(body["kind"], "Status", "{body}");
    assert_eq!(body["code"], want);
    let msg = body["message"].as_str().unwrap_or_default();
    assert!(msg.contains(needle), "message {msg:?} should contain {needle:?}");
}

#[test]
fn malformed_oversized_and_nested_bodies_get_clear_errors() {
    let garden = TestGarden::start().unwrap();
    let cms = "/api/v1/namespaces/default/configmaps";
    let (c, b) = post(&garden, cms, "application/json", b"{\"apiVersion\": \"v1\", \"kind\": ");
    assert_status(c, &b, 400, "not valid JSON");
    let (c, b) = post(&garden, cms, "application/yaml", b"apiVersion: v1\nkind: [unclosed\n");
    assert_status(c, &b, 400, "not valid YAML");
    let (c, b) =
        post(&garden, cms, "application/json", br#"{"apiVersion":"v2","kind":"ConfigMap","metadata":{"name":"x"}}"#);
    assert_status(c, &b, 400, "does not match the expected API version");
    let (c, b) =
        post(&garden, cms, "application/json", br#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}"#);
    assert_status(c, &b, 400, "does not match the expected kind");
    let (c, b) = post(
        &garden,
        cms,
        "application/json",
        br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"a":5}}"#,
    );
    assert_status(c, &b, 400, "cannot be handled as a ConfigMap");
    let (c, b) = post(
        &garden,
        cms,
        "application/json",
        br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Not_Valid"}}"#,
    );
    assert_status(c, &b, 422, "metadata.name: Invalid value");
    assert_eq!(b["details"]["causes"][0]["field"], "metadata.name");
    // 4 MiB body: refused with 413 before parsing.
    let big = format!(
        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"big"}},"data":{{"a":"{}"}}}}"#,
        "x".repeat(4 << 20)
    );
    let (c, b) = post(&garden, cms, "application/json", big.as_bytes());
    assert_status(c, &b, 413, "larger than the limit");
    // Deep nesting is refused, not a stack overflow.
    let deep = format!(
        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"deep","annotations":{}1{}}}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let (c, b) = post(&garden, cms, "application/json", deep.as_bytes());
    assert!(c == 400 || c == 413, "deep nesting gave {c}: {b}");
    // Unknown kinds and resources.
    let (c, b) =
        post(&garden, "/apis/core.gardener.cloud/v1beta1/namespaces/default/widgets", "application/json", b"{}");
    assert_status(c, &b, 404, "could not find the requested resource");
    // Nothing was half-written and the server is alive.
    for name in ["x", "Not_Valid", "big", "deep"] {
        assert!(
            !garden.kubectl(&["-n", "default", "get", "configmap", name]).status.success(),
            "{name} must not exist"
        );
    }
    garden.kubectl_ok(&["get", "namespaces"]);
}

#[test]
fn unknown_fields_strict_warn_ignore() {
    let garden = TestGarden::start().unwrap();
    let manifest =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strict\n  namespace: default\nspec:\n  foo: bar\n";
    // kubectl's default --validate=strict makes the server refuse unknown fields.
    let out = garden.kubectl_stdin(&["create", "-f", "-"], manifest);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown field \"spec\""), "{err}");
    assert!(!garden.kubectl(&["-n", "default", "get", "configmap", "strict"]).status.success());
    // Warn: created, with a warning naming the field, and the field dropped.
    let out = garden.kubectl_stdin(&["create", "--validate=warn", "-f", "-"], manifest);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field \"spec\""));
    let cm = garden.kubectl_ok(&["-n", "default", "get", "configmap", "strict", "-o", "json"]);
    assert!(!cm.contains("\"foo\""));
}
