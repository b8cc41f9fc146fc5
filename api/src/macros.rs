//! Macro implementing the k8s-openapi resource traits for top-level kinds.

/// Implements `k8s_openapi::{Resource, ListableResource, Metadata}` plus `ensure_type_meta`.
macro_rules! impl_resource {
    ($ty:ident, $group:literal, $version:literal, $kind:literal, $plural:expr, $scope:ty) => {
        impl k8s_openapi::Resource for $ty {
            const API_VERSION: &'static str = concat!($group, "/", $version);
            const GROUP: &'static str = $group;
            const KIND: &'static str = $kind;
            const VERSION: &'static str = $version;
            const URL_PATH_SEGMENT: &'static str = $plural;
            type Scope = $scope;
        }

        impl k8s_openapi::ListableResource for $ty {
            const LIST_KIND: &'static str = concat!($kind, "List");
        }

        impl k8s_openapi::Metadata for $ty {
            type Ty = k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

            fn metadata(&self) -> &Self::Ty {
                &self.metadata
            }

            fn metadata_mut(&mut self) -> &mut Self::Ty {
                &mut self.metadata
            }
        }

        impl $ty {
            /// Sets `apiVersion` and `kind` to this type's values.
            pub fn ensure_type_meta(&mut self) {
                self.api_version = <Self as k8s_openapi::Resource>::API_VERSION.to_string();
                self.kind = <Self as k8s_openapi::Resource>::KIND.to_string();
            }
        }
    };
}

pub(crate) use impl_resource;
