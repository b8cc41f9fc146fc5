//! Well-known Gardener annotation and label keys.

/// Annotation that must be `"true"` before a Shoot/Project may be deleted.
pub const ANNOTATION_CONFIRMATION_DELETION: &str = "confirmation.gardener.cloud/deletion";
/// Annotation recording the user who created an object.
pub const ANNOTATION_CREATED_BY: &str = "gardener.cloud/created-by";
/// Annotation requesting an operation (`reconcile`, `retry`, `maintain`, ...).
pub const ANNOTATION_OPERATION: &str = "gardener.cloud/operation";
/// Annotation (`"true"`) on a Shoot being moved to another seed: restore it on the new seed without waiting for
/// the old seed to migrate it out (the old seed is gone).
pub const ANNOTATION_FORCE_RESTORE: &str = "shoot.gardener.cloud/force-restore";
/// Label carrying the health status of a Shoot (`healthy`, `progressing`, `unhealthy`, `unknown`).
pub const LABEL_SHOOT_STATUS: &str = "shoot.gardener.cloud/status";
/// Label on a project namespace naming its Project.
pub const LABEL_PROJECT_NAME: &str = "project.gardener.cloud/name";
/// Label naming the role of an object (e.g. `project` on project namespaces).
pub const LABEL_ROLE: &str = "gardener.cloud/role";
/// Value of [`LABEL_ROLE`] on project namespaces.
pub const ROLE_PROJECT: &str = "project";
/// The garden namespace.
pub const GARDEN_NAMESPACE: &str = "garden";
/// Prefix of project namespaces.
pub const PROJECT_NAMESPACE_PREFIX: &str = "garden-";
/// Default scheduler name of Shoots.
pub const DEFAULT_SCHEDULER_NAME: &str = "default-scheduler";
/// Seed taint marking a seed as protected (only garden-namespace shoots may use it).
pub const SEED_TAINT_PROTECTED: &str = "seed.gardener.cloud/protected";

/// All well-known annotation/label keys above.
pub const WELL_KNOWN_KEYS: &[&str] = &[
    ANNOTATION_CONFIRMATION_DELETION,
    ANNOTATION_CREATED_BY,
    ANNOTATION_OPERATION,
    ANNOTATION_FORCE_RESTORE,
    LABEL_SHOOT_STATUS,
    LABEL_PROJECT_NAME,
    LABEL_ROLE,
];
