//! Server configuration: flags, then environment (`LEADCAST_*`, read by clap for each flag),
//! then an optional TOML file, then defaults — the first that sets a value wins.
//!
//! API keys come from the file (`[[keys]]` with a `sha256` digest, or a plain `key`, hashed at
//! load) and from `LEADCAST_API_KEYS` (`name:role:key,…`). With no key configured and no
//! `--no-auth`, the server makes an admin key, prints it once and saves it in the state
//! directory (`<state_dir>/admin.key`, mode 0600); later starts reuse it.

use super::auth::{self, Key, Role};
use crate::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The `[limits]` table.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LimitsFile {
    pub max_body_bytes: Option<usize>,
    pub max_batch: Option<usize>,
    pub timeout_ms: Option<u64>,
    pub max_concurrency: Option<usize>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    pub name: String,
    pub role: String,
    /// Hex SHA-256 of the key (preferred: the file then holds no secret).
    pub sha256: Option<String>,
    /// The key itself (hashed at load; prefer `sha256`).
    pub key: Option<String>,
}

/// The configuration file (`--config FILE`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub addr: Option<String>,
    pub metrics_addr: Option<String>,
    pub db: Option<String>,
    pub models: Option<PathBuf>,
    pub data: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
    pub log_json: Option<bool>,
    /// Share of scoring requests written to the prediction log (0–1).
    pub prediction_log_rate: Option<f64>,
    pub prediction_log_buffer: Option<usize>,
    /// Seconds between reads of other replicas' talk-track feedback.
    pub refresh_secs: Option<f64>,
    /// Thompson-sampling exploration level (0 = pure exploitation).
    pub exploration: Option<f64>,
    #[serde(default)]
    pub limits: LimitsFile,
    #[serde(default)]
    pub keys: Vec<KeyFile>,
}

impl FileConfig {
    pub fn read(path: &Path) -> Result<FileConfig> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        toml::from_str(&text).map_err(|e| Error::Config { path: path.to_path_buf(), message: e.to_string() })
    }
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: String,
    pub metrics_addr: Option<String>,
    pub db: String,
    pub models: PathBuf,
    /// The data directory for analytics and the dashboard.
    pub data: Option<PathBuf>,
    pub state_dir: PathBuf,
    pub log_json: bool,
    pub prediction_log_rate: f64,
    pub prediction_log_buffer: usize,
    pub refresh_secs: f64,
    pub exploration: f64,
    pub limits: super::state::Limits,
    /// `None`: authentication off (`--no-auth`).
    pub keys: Option<Vec<Key>>,
    /// A key made at this start, to print once.
    pub new_admin_key: Option<String>,
    pub admin_key_file: Option<PathBuf>,
}

/// Keys from `name:role:key,…` (a missing name becomes `env-N`).
pub fn parse_env_keys(text: &str) -> Result<Vec<Key>> {
    let mut out = Vec::new();
    for (i, item) in text.split(',').map(str::trim).filter(|s| !s.is_empty()).enumerate() {
        let parts: Vec<&str> = item.splitn(3, ':').collect();
        let (name, role, key) = match parts.as_slice() {
            [role, key] => (format!("env-{}", i + 1), *role, *key),
            [name, role, key] => (name.to_string(), *role, *key),
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "LEADCAST_API_KEYS item {} is not name:role:key (roles: scorer, planner, admin)",
                    i + 1
                )));
            }
        };
        let role = Role::parse(role).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "LEADCAST_API_KEYS item {}: unknown role {role:?} (roles: scorer, planner, admin)",
                i + 1
            ))
        })?;
        out.push(Key { name, role, digest: auth::digest(key) });
    }
    Ok(out)
}

fn file_keys(file: &FileConfig, path: &Path) -> Result<Vec<Key>> {
    let bad = |m: String| Error::Config { path: path.to_path_buf(), message: m };
    file.keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let role = Role::parse(&k.role)
                .ok_or_else(|| bad(format!("keys[{i}].role: unknown role {:?} (scorer, planner, admin)", k.role)))?;
            let digest = match (&k.sha256, &k.key) {
                (Some(h), _) => {
                    auth::parse_digest(h).ok_or_else(|| bad(format!("keys[{i}].sha256: expected 64 hex digits")))?
                }
                (None, Some(plain)) => auth::digest(plain),
                (None, None) => return Err(bad(format!("keys[{i}]: give sha256 (or key)"))),
            };
            Ok(Key { name: k.name.clone(), role, digest })
        })
        .collect()
}

/// What the command line (and the environment, through clap) said.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub models: Option<PathBuf>,
    pub data: Option<PathBuf>,
    pub addr: Option<String>,
    pub metrics_addr: Option<String>,
    pub db: Option<String>,
    pub config: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
    pub no_auth: bool,
    pub log_json: bool,
    pub api_keys: Option<String>,
}

impl Config {
    /// Resolves flags, environment, file and defaults; makes or reuses the admin key when no
    /// key is configured.
    pub fn resolve(flags: Flags) -> Result<Config> {
        let (file, file_path) = match &flags.config {
            Some(p) => (FileConfig::read(p)?, p.clone()),
            None => (FileConfig::default(), PathBuf::new()),
        };
        let state_dir = flags.state_dir.or(file.state_dir.clone()).unwrap_or_else(|| PathBuf::from(".leadcast"));
        let models = flags.models.or(file.models.clone()).unwrap_or_else(|| PathBuf::from("models"));
        let db = match flags.db.or(file.db.clone()) {
            Some(d) => d,
            None => format!("sqlite://{}", state_dir.join("leadcast.db").display()),
        };
        let rate = file.prediction_log_rate.unwrap_or(0.01);
        if !(0.0..=1.0).contains(&rate) {
            return Err(Error::Config {
                path: file_path,
                message: format!("prediction_log_rate {rate} is not in 0..1"),
            });
        }
        let l = &file.limits;
        let limits = super::state::Limits {
            max_body_bytes: l.max_body_bytes.unwrap_or(4 << 20),
            max_batch: l.max_batch.unwrap_or(1000),
            timeout_ms: l.timeout_ms.unwrap_or(10_000),
            max_concurrency: l.max_concurrency.unwrap_or(256).max(1),
        };
        let mut keys = file_keys(&file, &file_path)?;
        if let Some(env) = &flags.api_keys {
            keys.extend(parse_env_keys(env)?);
        }
        let (mut new_admin_key, mut admin_key_file) = (None, None);
        let keys = if flags.no_auth {
            None
        } else {
            if keys.is_empty() {
                let path = state_dir.join("admin.key");
                let key = match std::fs::read_to_string(&path) {
                    Ok(k) if !k.trim().is_empty() => k.trim().to_string(),
                    _ => {
                        let k = auth::generate();
                        std::fs::create_dir_all(&state_dir).map_err(|e| Error::io(&state_dir, e))?;
                        write_secret(&path, &k)?;
                        new_admin_key = Some(k.clone());
                        k
                    }
                };
                admin_key_file = Some(path);
                keys.push(Key { name: "admin (generated)".into(), role: Role::Admin, digest: auth::digest(&key) });
            }
            Some(keys)
        };
        Ok(Config {
            addr: flags.addr.or(file.addr.clone()).unwrap_or_else(|| "127.0.0.1:8080".into()),
            metrics_addr: flags.metrics_addr.or(file.metrics_addr.clone()),
            db,
            models,
            data: flags.data.or(file.data.clone()),
            state_dir,
            log_json: flags.log_json || file.log_json.unwrap_or(false),
            prediction_log_rate: rate,
            prediction_log_buffer: file.prediction_log_buffer.unwrap_or(10_000).max(1),
            refresh_secs: file.refresh_secs.unwrap_or(2.0).max(0.05),
            exploration: file.exploration.unwrap_or(1.0).max(0.0),
            limits,
            keys,
            new_admin_key,
            admin_key_file,
        })
    }
}

/// Writes a secret readable by its owner only.
fn write_secret(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| Error::io(path, e))?;
    writeln!(f, "{text}").map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_keys_parse_and_reject_unknown_roles() {
        let k = parse_env_keys("crm:scorer:abc, planner:xyz").unwrap();
        assert_eq!(k.len(), 2);
        assert_eq!((k[0].name.as_str(), k[0].role), ("crm", Role::Scorer));
        assert_eq!((k[1].name.as_str(), k[1].role), ("env-2", Role::Planner));
        assert!(parse_env_keys("crm:boss:abc").is_err());
        assert!(parse_env_keys("justakey").is_err());
    }

    #[test]
    fn a_generated_admin_key_is_saved_once_and_reused() {
        let d = tempfile::tempdir().unwrap();
        let flags = Flags { state_dir: Some(d.path().to_path_buf()), ..Flags::default() };
        let first = Config::resolve(flags.clone()).unwrap();
        let key = first.new_admin_key.clone().expect("a new key");
        let saved = std::fs::read_to_string(d.path().join("admin.key")).unwrap();
        assert_eq!(saved.trim(), key);
        let second = Config::resolve(flags).unwrap();
        assert!(second.new_admin_key.is_none());
        assert_eq!(second.keys.unwrap()[0].digest, auth::digest(&key));
        let off = Config::resolve(Flags { no_auth: true, state_dir: Some(d.path().into()), ..Flags::default() });
        assert!(off.unwrap().keys.is_none());
    }
}
