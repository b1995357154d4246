//! Finding a pinned model at build time: a pin file names the model's URL and sha256; the
//! model is taken from an explicit path, else a local copy, else downloaded (with `curl`)
//! and kept only when its hash matches the pin. A local model whose hash differs is still
//! used (that is how a model bump starts): the caller is told both hashes.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// A pin file: `url = …` and `sha256 = …` lines (`#` starts a comment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub url: String,
    pub sha256: String,
}

impl Pin {
    pub fn parse(text: &str) -> Result<Pin, String> {
        let value = |key: &str| {
            text.lines()
                .map(|line| line.split('#').next().unwrap_or_default())
                .filter_map(|line| line.split_once('='))
                .find(|(k, _)| k.trim() == key)
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("the pin has no `{key} = ...` line"))
        };
        Ok(Pin {
            url: value("url")?,
            sha256: value("sha256")?.to_ascii_lowercase(),
        })
    }

    pub fn read(path: &Path) -> Result<Pin, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Pin::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// A model found for the build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub path: PathBuf,
    pub sha256: String,
}

impl Located {
    /// A warning when the model is not the pinned one.
    pub fn mismatch(&self, pin: &Pin) -> Option<String> {
        (self.sha256 != pin.sha256).then(|| {
            format!(
                "the model at {} has sha256 {}, not the pinned {}: generating from it anyway (update the pin once the bump is reviewed)",
                self.path.display(),
                self.sha256,
                pin.sha256
            )
        })
    }
}

/// Finds the model: `explicit` (from an environment variable) if given, else `local` if it
/// exists, else the pinned URL downloaded to `local`. The error says where to put the file.
pub fn locate(
    explicit: Option<&Path>,
    local: &Path,
    pin: &Pin,
    explicit_name: &str,
) -> Result<Located, String> {
    let path = match explicit {
        Some(path) if path.is_file() => path.to_owned(),
        Some(path) => {
            return Err(format!(
                "{explicit_name} is set to {}, which is not a file",
                path.display()
            ));
        }
        None if local.is_file() => local.to_owned(),
        None => {
            download(pin, local).map_err(|why| {
                format!(
                    "the Smithy model was not found.\n  Put it at {} (for Berth: `cp ../shared/aws-models/ecr.json aws-models/`),\n  or set {explicit_name}=/path/to/model.json.\n  Downloading the pinned copy failed: {why}",
                    local.display()
                )
            })?;
            local.to_owned()
        }
    };
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Located {
        path,
        sha256: sha256_hex(&bytes),
    })
}

/// Downloads the pinned URL with curl, keeping the file only when its hash matches.
fn download(pin: &Pin, destination: &Path) -> Result<(), String> {
    let partial = destination.with_extension("download");
    let status = Command::new("curl")
        .args([
            "--fail",
            "--silent",
            "--show-error",
            "--location",
            "--max-time",
            "120",
            "--output",
        ])
        .arg(&partial)
        .arg(&pin.url)
        .status()
        .map_err(|e| format!("could not run curl: {e}"))?;
    if !status.success() {
        let _ = std::fs::remove_file(&partial);
        return Err(format!("curl {} exited with {status}", pin.url));
    }
    let bytes = std::fs::read(&partial).map_err(|e| e.to_string())?;
    let hash = sha256_hex(&bytes);
    if hash != pin.sha256 {
        let _ = std::fs::remove_file(&partial);
        return Err(format!(
            "the download has sha256 {hash}, the pin says {}",
            pin.sha256
        ));
    }
    std::fs::rename(&partial, destination).map_err(|e| e.to_string())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("berth-pin-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn pin_for(url: &str, content: &[u8]) -> Pin {
        Pin {
            url: url.to_owned(),
            sha256: sha256_hex(content),
        }
    }

    #[test]
    fn pins_parse_with_comments() {
        let pin =
            Pin::parse("# the model\nurl = https://example.com/m.json\nsha256 = ABC # upper\n")
                .unwrap();
        assert_eq!(
            pin,
            Pin {
                url: "https://example.com/m.json".into(),
                sha256: "abc".into()
            }
        );
        assert!(Pin::parse("url = x").unwrap_err().contains("sha256"));
        assert_eq!(sha256_hex(b""), EMPTY_SHA256);
    }

    #[test]
    fn explicit_path_wins_then_local_copy() {
        let dir = scratch("order");
        let (explicit, local) = (dir.join("explicit.json"), dir.join("local.json"));
        std::fs::write(&explicit, b"{}").unwrap();
        std::fs::write(&local, b"{ }").unwrap();
        let pin = pin_for("file:///nowhere", b"{ }");
        let found = locate(Some(&explicit), &local, &pin, "MODEL").unwrap();
        assert_eq!(found.path, explicit);
        assert!(
            found.mismatch(&pin).unwrap().contains(&pin.sha256),
            "a differing model is used, with a warning"
        );
        let found = locate(None, &local, &pin, "MODEL").unwrap();
        assert_eq!(
            (found.path, found.sha256.clone()),
            (local, pin.sha256.clone())
        );
        assert!(
            locate(
                Some(&dir.join("missing.json")),
                &dir.join("x"),
                &pin,
                "MODEL"
            )
            .unwrap_err()
            .contains("MODEL is set")
        );
    }

    #[test]
    fn a_missing_model_is_downloaded_and_checked() {
        let dir = scratch("download");
        let source = dir.join("published.json");
        std::fs::write(&source, b"{\"shapes\":{}}").unwrap();
        let url = format!("file://{}", source.display());
        let local = dir.join("model.json");

        let wrong = Pin {
            url: url.clone(),
            sha256: EMPTY_SHA256.into(),
        };
        let error = locate(None, &local, &wrong, "MODEL").unwrap_err();
        assert!(
            error.contains("Put it at") && error.contains("sha256"),
            "{error}"
        );
        assert!(
            !local.exists() && !local.with_extension("download").exists(),
            "a bad download leaves nothing"
        );

        let pin = pin_for(&url, b"{\"shapes\":{}}");
        let found = locate(None, &local, &pin, "MODEL").unwrap();
        assert_eq!(found.path, local);
        assert_eq!(found.mismatch(&pin), None);
        assert_eq!(std::fs::read(&local).unwrap(), b"{\"shapes\":{}}");
    }
}
