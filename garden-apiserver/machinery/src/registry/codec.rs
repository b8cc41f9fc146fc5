//! Typed decoding: JSON -> Rust type -> normalized JSON, reporting unknown fields by path.

use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

/// Read a typed value out of a shared JSON tree without cloning the tree first.
pub fn from_json<T: DeserializeOwned>(v: &Value) -> Result<T, serde_json::Error> {
    T::deserialize(v)
}

/// Decodes and normalizes one kind, and describes its schema.
pub trait Codec: Send + Sync {
    /// Decode `v` into the kind's type and back. Returns the normalized object and the paths of
    /// fields the type does not know (dropped from the result), e.g. `spec.foo`.
    fn decode(&self, v: Value) -> Result<(Value, Vec<String>), String>;
    /// The kind's JSON schema (OpenAPI v3 flavour, refs into `#/components/schemas/`).
    fn schema(&self, generator: &mut SchemaGenerator) -> Schema;
    /// The schema's name in `components.schemas`.
    fn schema_name(&self) -> String;
}

/// Decoding through the Rust type `T`, with `T`'s static defaulting applied while typed (kube defaults at
/// decode time too), so the object is converted only once per request.
pub struct TypedCodec<T> {
    defaults: Option<fn(&mut T)>,
    _type: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned + Serialize + JsonSchema + 'static> TypedCodec<T> {
    pub fn boxed() -> Box<dyn Codec> {
        Box::new(Self { defaults: None, _type: PhantomData })
    }
    pub fn with_defaults(defaults: fn(&mut T)) -> Box<dyn Codec> {
        Box::new(Self { defaults: Some(defaults), _type: PhantomData })
    }
}

impl<T: DeserializeOwned + Serialize + JsonSchema> Codec for TypedCodec<T> {
    fn decode(&self, v: Value) -> Result<(Value, Vec<String>), String> {
        let mut unknown = Vec::new();
        let mut typed: T =
            serde_ignored::deserialize(v, |path| unknown.push(render_path(&path))).map_err(|e| e.to_string())?;
        if let Some(defaults) = self.defaults {
            defaults(&mut typed);
        }
        let out = serde_json::to_value(typed).map_err(|e| e.to_string())?;
        Ok((out, unknown))
    }
    fn schema(&self, generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<T>()
    }
    fn schema_name(&self) -> String {
        T::schema_name().into_owned()
    }
}

/// kube-style field path: `spec.provider.workers[0].foo`.
fn render_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", render_path(parent)),
        Path::Map { parent, key } => {
            let p = render_path(parent);
            if p.is_empty() {
                key.to_string()
            } else {
                format!("{p}.{key}")
            }
        }
        Path::Some { parent } | Path::NewtypeStruct { parent } | Path::NewtypeVariant { parent } => render_path(parent),
    }
}
