//! Versioned model artifacts: `models/<kind>/<version>/` and `models/<kind>/CURRENT`.
//!
//! A version is written into a hidden staging directory and renamed into place in one step,
//! so a crash mid-write never leaves a half version that could be served; `CURRENT` is
//! replaced the same way. `HISTORY` lists the versions that were current, in order, so
//! `rollback` can return to the one before.

use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// The model kinds that have artifacts.
pub const KINDS: [&str; 4] = ["scoring", "opportunity", "forecast", "talktrack"];

/// A model directory.
#[derive(Debug, Clone)]
pub struct Registry {
    root: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::io(path, e)
}

/// Replaces `path` with `text` atomically.
fn write_atomic(path: &Path, text: &str) -> Result<()> {
    crate::data::write::write_file(path, text.as_bytes())
}

impl Registry {
    pub fn new(root: impl Into<PathBuf>) -> Registry {
        Registry { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn check_kind(kind: &str) -> Result<()> {
        if KINDS.contains(&kind) {
            Ok(())
        } else {
            Err(Error::InvalidArgument(format!("unknown model kind {kind:?} (expected one of: {})", KINDS.join(", "))))
        }
    }

    pub fn version_dir(&self, kind: &str, version: &str) -> PathBuf {
        self.root.join(kind).join(version)
    }

    /// Writes a new version from `(relative path, bytes)` pairs and makes it current. Returns
    /// the version name (UTC time of writing, `-2`, `-3`… if taken).
    pub fn save(&self, kind: &str, files: &[(String, Vec<u8>)]) -> Result<String> {
        Self::check_kind(kind)?;
        let dir = self.root.join(kind);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let stamp = chrono::DateTime::from_timestamp(now as i64, 0)
            .map(|t| t.format("%Y%m%d-%H%M%S").to_string())
            .unwrap_or_default();
        let mut version = stamp.clone();
        let mut n = 1;
        while dir.join(&version).exists() {
            n += 1;
            version = format!("{stamp}-{n}");
        }
        let staging = dir.join(format!(".staging-{version}-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
        }
        for (rel, bytes) in files {
            let p = staging.join(rel);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            std::fs::write(&p, bytes).map_err(io(&p))?;
        }
        let target = dir.join(&version);
        std::fs::rename(&staging, &target).map_err(io(&target))?;
        self.promote(kind, &version)?;
        Ok(version)
    }

    /// The versions of a kind, oldest first (hidden staging directories excluded).
    pub fn versions(&self, kind: &str) -> Result<Vec<String>> {
        Self::check_kind(kind)?;
        let dir = self.root.join(kind);
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        let mut v: Vec<String> = std::fs::read_dir(&dir)
            .map_err(io(&dir))?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        v.sort();
        Ok(v)
    }

    /// The version `CURRENT` names, if any.
    pub fn current(&self, kind: &str) -> Result<Option<String>> {
        Self::check_kind(kind)?;
        let p = self.root.join(kind).join("CURRENT");
        match std::fs::read_to_string(&p) {
            Ok(s) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(p, e)),
        }
    }

    /// Makes `version` current.
    pub fn promote(&self, kind: &str, version: &str) -> Result<()> {
        Self::check_kind(kind)?;
        if !self.versions(kind)?.iter().any(|v| v == version) {
            return Err(Error::InvalidArgument(format!("no version {version:?} of {kind} in {}", self.root.display())));
        }
        let dir = self.root.join(kind);
        let hist = dir.join("HISTORY");
        let mut h = std::fs::read_to_string(&hist).unwrap_or_default();
        h.push_str(version);
        h.push('\n');
        write_atomic(&hist, &h)?;
        write_atomic(&dir.join("CURRENT"), &format!("{version}\n"))
    }

    /// Makes the previously current version current again; returns it.
    pub fn rollback(&self, kind: &str) -> Result<String> {
        Self::check_kind(kind)?;
        let dir = self.root.join(kind);
        let hist = dir.join("HISTORY");
        let text = std::fs::read_to_string(&hist).unwrap_or_default();
        let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let current = self.current(kind)?;
        while lines.last().copied() == current.as_deref() && !lines.is_empty() {
            lines.pop();
        }
        let Some(prev) = lines.last().map(|s| s.to_string()) else {
            return Err(Error::InvalidArgument(format!("{kind}: no earlier version to roll back to")));
        };
        let mut rest = lines.join("\n");
        rest.push('\n');
        write_atomic(&hist, &rest)?;
        write_atomic(&dir.join("CURRENT"), &format!("{prev}\n"))?;
        Ok(prev)
    }

    /// Undoes [`Registry::save`] of `version`, which must still be current: the version
    /// current before it is current again (none, if it was the first) and its directory is
    /// removed. For `train all`, which keeps all of its models or none.
    pub fn withdraw(&self, kind: &str, version: &str) -> Result<()> {
        Self::check_kind(kind)?;
        if self.current(kind)?.as_deref() != Some(version) {
            return Err(Error::InvalidArgument(format!("{kind}: {version:?} is not the current version")));
        }
        let dir = self.root.join(kind);
        let hist = dir.join("HISTORY");
        let text = std::fs::read_to_string(&hist).unwrap_or_default();
        let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        if lines.last() == Some(&version) {
            lines.pop();
        }
        let current = dir.join("CURRENT");
        match lines.last() {
            Some(prev) => write_atomic(&current, &format!("{prev}\n"))?,
            None => match std::fs::remove_file(&current) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(Error::io(current, e)),
                _ => {}
            },
        }
        let rest: String = lines.iter().map(|l| format!("{l}\n")).collect();
        write_atomic(&hist, &rest)?;
        // Out of sight first (a hidden name is never a version), then removed.
        let gone = dir.join(format!(".withdrawn-{version}-{}", std::process::id()));
        std::fs::rename(dir.join(version), &gone).map_err(io(&gone))?;
        std::fs::remove_dir_all(&gone).map_err(io(&gone))
    }

    /// Reads a file of the current version of `kind`.
    pub fn read_current(&self, kind: &str, file: &str) -> Result<(String, Vec<u8>)> {
        let v = self.current(kind)?.ok_or_else(|| {
            Error::InvalidArgument(format!(
                "no {kind} model in {} (train one with `leadcast train {kind}`)",
                self.root.display()
            ))
        })?;
        let p = self.version_dir(kind, &v).join(file);
        let bytes = std::fs::read(&p).map_err(io(&p))?;
        Ok((v, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_promote_rollback() {
        let d = tempfile::tempdir().unwrap();
        let r = Registry::new(d.path());
        assert_eq!(r.current("scoring").unwrap(), None);
        let a = r.save("scoring", &[("model.json".into(), b"a".to_vec())]).unwrap();
        let b = r.save("scoring", &[("model.json".into(), b"b".to_vec())]).unwrap();
        assert_ne!(a, b);
        assert_eq!(r.current("scoring").unwrap().as_deref(), Some(b.as_str()));
        assert_eq!(r.read_current("scoring", "model.json").unwrap().1, b"b");
        assert_eq!(r.rollback("scoring").unwrap(), a);
        assert_eq!(r.read_current("scoring", "model.json").unwrap().1, b"a");
        assert!(r.rollback("scoring").is_err());
        r.promote("scoring", &b).unwrap();
        assert_eq!(r.current("scoring").unwrap().as_deref(), Some(b.as_str()));
        assert!(r.promote("scoring", "nope").is_err());
        assert!(r.save("nonsense", &[]).is_err());
        // A leftover staging directory (a crash mid-write) is never a version.
        std::fs::create_dir_all(d.path().join("scoring/.staging-x")).unwrap();
        assert_eq!(r.versions("scoring").unwrap(), vec![a.clone(), b.clone()]);

        // Withdrawing a save: the one before is current again; the first leaves none.
        let c = r.save("scoring", &[("model.json".into(), b"c".to_vec())]).unwrap();
        assert!(r.withdraw("scoring", &b).is_err(), "only the current version");
        r.withdraw("scoring", &c).unwrap();
        assert_eq!(r.current("scoring").unwrap().as_deref(), Some(b.as_str()));
        assert_eq!(r.versions("scoring").unwrap(), vec![a.clone(), b.clone()]);
        assert_eq!(r.rollback("scoring").unwrap(), a, "the history is as before the save");
        let f = r.save("forecast", &[("model.json".into(), b"f".to_vec())]).unwrap();
        r.withdraw("forecast", &f).unwrap();
        assert_eq!(r.current("forecast").unwrap(), None);
        assert!(r.versions("forecast").unwrap().is_empty());
    }
}
