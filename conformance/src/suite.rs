//! Locating the suite's scripts and the project's declared lists.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Environment variable overriding the suite directory.
pub const DIR_ENV: &str = "ANYSCTP_CONFORMANCE_DIR";

/// The suite directory: `$ANYSCTP_CONFORMANCE_DIR`, else
/// `../shared/conformance/etsi-ts-102-369` relative to the repository root;
/// for a checkout nested deeper (a git worktree such as `wt/<name>`), the
/// first `shared/conformance/etsi-ts-102-369` found walking up from there.
pub fn suite_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(DIR_ENV) {
        return PathBuf::from(dir);
    }
    let root = repo_root();
    let default = root.join("../shared/conformance/etsi-ts-102-369");
    if default.is_dir() {
        return default;
    }
    root.ancestors()
        .skip(1)
        .map(|a| a.join("shared/conformance/etsi-ts-102-369"))
        .find(|d| d.is_dir())
        .unwrap_or(default)
}

/// The repository root (the parent of this crate's directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// This crate's directory (where `expected-pass.txt` and
/// `NOT_APPLICABLE.md` live).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Group-name prefix of the project's own scripts.
pub const PROJECT_GROUP_PREFIX: &str = "anysctp-";

/// The project's own packet-level scripts, written from the RFCs:
/// `conformance/scripts/<group>/*.pkt`.
pub fn project_dir() -> PathBuf {
    crate_dir().join("scripts")
}

/// The project's scripts, their groups named `anysctp-<directory>`.
pub fn discover_project() -> io::Result<Vec<TestScript>> {
    let mut scripts = discover(&project_dir())?;
    for s in &mut scripts {
        s.group.insert_str(0, PROJECT_GROUP_PREFIX);
    }
    Ok(scripts)
}

/// One script of the suite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestScript {
    /// Group directory name, e.g. `sctp-as-tests`.
    pub group: String,
    /// Test name, e.g. `sctp-as-v-1-1-1`.
    pub name: String,
    /// Path of the `.pkt` file.
    pub path: PathBuf,
}

/// All `.pkt` scripts under `dir`, sorted by group and name.
pub fn discover(dir: &Path) -> io::Result<Vec<TestScript>> {
    let mut out = Vec::new();
    for group in fs::read_dir(dir)? {
        let group = group?;
        if !group.file_type()?.is_dir() {
            continue;
        }
        let gname = group.file_name().to_string_lossy().into_owned();
        for f in fs::read_dir(group.path())? {
            let path = f?.path();
            if path.extension().is_some_and(|e| e == "pkt") {
                let name = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                out.push(TestScript {
                    group: gname.clone(),
                    name,
                    path,
                });
            }
        }
    }
    out.sort_by(|a, b| (&a.group, &a.name).cmp(&(&b.group, &b.name)));
    Ok(out)
}

/// Test names listed one per line (`#` comments and blank lines ignored).
pub fn read_name_list(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Tests declared not applicable in `NOT_APPLICABLE.md`: every table row
/// `| test-name | reason |`, as (name, reason).
pub fn read_not_applicable(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l
                .trim()
                .trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect();
            match cols.as_slice() {
                [name, reason, ..] if name.starts_with("sctp-") => {
                    Some(((*name).to_string(), (*reason).to_string()))
                }
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_lists_skip_comments() {
        assert_eq!(
            read_name_list("# header\nsctp-a-v-9-1\n\n sctp-a-v-9-2  # note\n"),
            vec!["sctp-a-v-9-1", "sctp-a-v-9-2"]
        );
        let na = read_not_applicable(
            "| Test | Reason |\n|---|---|\n| sctp-d-v-8-13 | no receive size limit |\n",
        );
        assert_eq!(
            na,
            vec![(
                "sctp-d-v-8-13".to_string(),
                "no receive size limit".to_string()
            )]
        );
    }
}
