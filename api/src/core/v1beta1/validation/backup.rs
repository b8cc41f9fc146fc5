//! BackupBucket and BackupEntry validation.

use super::super::backup::*;
use super::{val, validate_immutable};
use crate::field::FieldError;
use crate::names::validate_object_name;

/// Storage providers a gardenlet can write etcd backups to.
pub const BACKUP_PROVIDERS: [&str; 4] = ["local", "aws", "gcp", "azure"];

/// Validates a backup provider type (`field` names where it came from).
pub fn validate_backup_provider(provider: &str, field: &str) -> Vec<FieldError> {
    if provider.is_empty() {
        return vec![FieldError::required(field, "must provide a backup provider type")];
    }
    if !BACKUP_PROVIDERS.contains(&provider) {
        let supported: Vec<String> = BACKUP_PROVIDERS.iter().map(|s| s.to_string()).collect();
        return vec![FieldError::not_supported(field, &val(provider), &supported)];
    }
    Vec::new()
}

/// Validates a BackupBucket: name, provider type and region.
pub fn validate_backupbucket(b: &BackupBucket) -> Vec<FieldError> {
    let mut errs = validate_object_name(b.metadata.name.as_deref().unwrap_or(""), "metadata.name", false);
    errs.extend(validate_backup_provider(&b.spec.provider.type_, "spec.provider.type"));
    if b.spec.provider.region.is_empty() {
        errs.push(FieldError::required("spec.provider.region", "must provide a region"));
    }
    if let Some(r) = &b.spec.credentials_ref {
        if r.name.as_deref().unwrap_or("").is_empty() {
            errs.push(FieldError::required("spec.credentialsRef.name", "must name the credentials secret"));
        }
    }
    errs
}

/// A bucket's provider never changes: its data lives there. (`validate_backupbucket` runs on updates too.)
pub fn validate_backupbucket_update(new: &BackupBucket, old: &BackupBucket) -> Vec<FieldError> {
    validate_immutable(&new.spec.provider, &old.spec.provider, "spec.provider")
}

/// Validates a BackupEntry: name and bucket.
pub fn validate_backupentry(e: &BackupEntry) -> Vec<FieldError> {
    let mut errs = validate_object_name(e.metadata.name.as_deref().unwrap_or(""), "metadata.name", false);
    if e.spec.bucket_name.is_empty() {
        errs.push(FieldError::required("spec.bucketName", "must name the BackupBucket"));
    }
    if e.spec.seed_name.as_deref() == Some("") {
        errs.push(FieldError::invalid("spec.seedName", &val(""), "must not be empty when given"));
    }
    errs
}

/// The bucket of an entry never changes (the snapshots stay where they were written; a target seed of a
/// migration restores from and continues in the same bucket).
pub fn validate_backupentry_update(new: &BackupEntry, old: &BackupEntry) -> Vec<FieldError> {
    validate_immutable(&new.spec.bucket_name, &old.spec.bucket_name, "spec.bucketName")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(provider: &str, region: &str) -> BackupBucket {
        let mut b = BackupBucket::default();
        b.metadata.name = Some("0b5f3c1e".into());
        b.spec.provider = BackupBucketProvider { type_: provider.into(), region: region.into() };
        b
    }

    fn fields(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(|e| e.field.clone()).collect()
    }

    #[test]
    fn buckets_need_a_known_provider_and_a_region() {
        assert!(validate_backupbucket(&bucket("local", "local")).is_empty());
        assert_eq!(fields(&validate_backupbucket(&bucket("", "x"))), ["spec.provider.type"]);
        let e = validate_backupbucket(&bucket("swift", "x"));
        assert_eq!(fields(&e), ["spec.provider.type"]);
        assert!(e[0].line().contains("\"swift\""), "{}", e[0].line());
        assert_eq!(fields(&validate_backupbucket(&bucket("aws", ""))), ["spec.provider.region"]);
    }

    #[test]
    fn bucket_provider_and_entry_bucket_are_immutable() {
        let e = validate_backupbucket_update(&bucket("aws", "eu-west-1"), &bucket("aws", "eu-central-1"));
        assert_eq!(fields(&e), ["spec.provider"]);
        let mut a = BackupEntry::default();
        a.metadata.name = Some("shoot--dev--a--uid".into());
        a.spec.bucket_name = "b1".into();
        let mut b = a.clone();
        b.spec.bucket_name = "b2".into();
        b.spec.seed_name = Some("local-2".into());
        assert_eq!(fields(&validate_backupentry_update(&b, &a)), ["spec.bucketName"]);
        b.spec.bucket_name = "b1".into();
        assert!(validate_backupentry_update(&b, &a).is_empty());
        b.spec.bucket_name.clear();
        assert_eq!(fields(&validate_backupentry(&b)), ["spec.bucketName"]);
    }
}
