//! Puts the build's git revision in `SAMLGATE_GIT_REV` for `samlgate --version`: the first 12 hex
//! digits of `HEAD`, or `unknown` when git or the repository is absent (a crates tarball, a copy of
//! the sources). A packager may set `SAMLGATE_GIT_REV` in the environment to override it. The script
//! re-runs when `HEAD` or the ref it points to changes, so the revision stays right without a full
//! rebuild; in a worktree `.git` is a file, so the directories come from `git rev-parse`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// Watches `path` when it exists, else its nearest existing parent directory (a missing file would
/// re-run the script on every build; a directory catches the file appearing).
fn watch(path: &Path) {
    let mut p = path;
    while !p.exists() {
        match p.parent() {
            Some(parent) => p = parent,
            None => return,
        }
    }
    println!("cargo:rerun-if-changed={}", p.display());
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SAMLGATE_GIT_REV");
    if let Ok(rev) = std::env::var("SAMLGATE_GIT_REV")
        && !rev.trim().is_empty()
    {
        println!("cargo:rustc-env=SAMLGATE_GIT_REV={}", rev.trim());
        return;
    }
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    println!("cargo:rustc-env=SAMLGATE_GIT_REV={}", revision(&manifest).unwrap_or_else(|| "unknown".into()));
}

fn revision(manifest: &Path) -> Option<String> {
    // Only this crate's own repository: sources unpacked inside some other repository are not it.
    let top = PathBuf::from(git(manifest, &["rev-parse", "--show-toplevel"])?);
    if top.canonicalize().ok()? != manifest.canonicalize().ok()? {
        return None;
    }
    let abs = |p: String| {
        let p = PathBuf::from(p);
        if p.is_absolute() { p } else { manifest.join(p) }
    };
    let git_dir = abs(git(manifest, &["rev-parse", "--git-dir"])?);
    let common_dir = git(manifest, &["rev-parse", "--git-common-dir"]).map(abs).unwrap_or_else(|| git_dir.clone());
    let head = git_dir.join("HEAD");
    watch(&head);
    if let Ok(content) = std::fs::read_to_string(&head)
        && let Some(reference) = content.trim().strip_prefix("ref: ")
    {
        // Branch refs live in the common directory (shared by worktrees), loose or packed.
        watch(&common_dir.join(reference));
        let packed = common_dir.join("packed-refs");
        if packed.exists() {
            println!("cargo:rerun-if-changed={}", packed.display());
        }
    }
    let rev = git(manifest, &["rev-parse", "--short=12", "HEAD"])?;
    rev.chars().all(|c| c.is_ascii_hexdigit()).then_some(rev)
}
