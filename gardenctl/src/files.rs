//! Writing gardenctl's files: private to the user (directories 0700, files 0600) and atomic (a crash leaves the
//! old file or the new one, never half of one).

use std::fs::{self, DirBuilder};
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

use anyhow::{Context, Result};

/// Creates `dir` and its missing parents with mode 0700.
pub fn private_dir(dir: &Path) -> Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir).with_context(|| format!("creating {}", dir.display()))
}

/// Writes `content` to `path` with mode 0600, atomically, creating its directory (0700) first.
pub fn write_private(path: &Path, content: &[u8]) -> Result<()> {
    let dir = path.parent().context("a file path without a directory")?;
    private_dir(dir)?;
    component_base::files::write_private(path, content).with_context(|| format!("writing {}", path.display()))
}

/// Points the symlink `link` at `target` (a file name in the same directory), replacing what was there atomically.
pub fn replace_symlink(target: &str, link: &Path) -> Result<()> {
    let dir = link.parent().context("a link path without a directory")?;
    let tmp = dir.join(format!(".link.{}.tmp", std::process::id()));
    let _ = fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp).with_context(|| format!("creating {}", tmp.display()))?;
    fs::rename(&tmp, link).with_context(|| format!("replacing {}", link.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn files_are_private_and_replaced_whole() {
        let dir = std::env::temp_dir().join(format!("gardenctl-files-{}", uuid::Uuid::new_v4()));
        let file = dir.join("sub/secret.yaml");
        write_private(&file, b"one").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&file, b"two").unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "two");
        assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::metadata(dir.join("sub")).unwrap().permissions().mode() & 0o777, 0o700);
        replace_symlink("secret.yaml", &dir.join("sub/link.yaml")).unwrap();
        replace_symlink("secret.yaml", &dir.join("sub/link.yaml")).unwrap();
        assert_eq!(fs::read_to_string(dir.join("sub/link.yaml")).unwrap(), "two");
        fs::remove_dir_all(dir).unwrap();
    }
}
