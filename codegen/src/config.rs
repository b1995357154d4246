//! Where a service's model and its generator settings are: one config file (Berth's
//! `aws-models/ecr.pin`) read the same way by every tool that needs them: the build
//! script, the `codegen` command, the property tests and the conformance runner.
//!
//! The file pins the model (`url`, `sha256`), says where the model is kept (`model`) and
//! where the settings are (`settings`, paths relative to the file), and may name an
//! environment variable that points at a model elsewhere (`model_env`) and a `hint` shown
//! when the model is missing. The settings are a project file found through the config,
//! never "beside the model", so a model under review anywhere is generated exactly as the
//! build would generate it; a missing settings file is an error, never silent defaults.
//!
//! The model is taken from an explicit path, else the environment variable, else the kept
//! copy, else downloaded (with `curl`) and kept only when its hash matches the pin. A model
//! whose hash differs from the pin is still used (that is how a bump starts): callers get
//! [`LocatedModel::pin_mismatch`] to say so.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::Settings;

/// The folder, in a project's root, where [`Config::find`] looks for config files.
pub const MODELS_DIR: &str = "aws-models";
/// The extension of a config file.
pub const EXTENSION: &str = "pin";

/// A project's config for one model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The config file itself.
    pub file: PathBuf,
    /// Where the pinned model is published.
    pub url: String,
    /// The pinned model's sha256, lower-case hex.
    pub sha256: String,
    /// Where the model is kept, and downloaded to when missing.
    pub local_model: PathBuf,
    /// The generator settings for this model.
    pub settings_file: PathBuf,
    /// An environment variable that may name a model elsewhere.
    pub model_env: Option<String>,
    /// Shown when the model is missing: how to get it.
    pub hint: Option<String>,
}

/// A model found through a [`Config`], read and hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedModel {
    pub path: PathBuf,
    /// How generated code names it: relative to the project root when inside it.
    pub name: String,
    pub sha256: String,
    pub json: String,
}

impl Config {
    /// Reads the config file at `file`.
    pub fn load(file: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        // Canonical, so messages name `/p/aws-models/x.json`, not `/p/crate/../aws-models/…`.
        let file = file.canonicalize().unwrap_or_else(|_| file.to_owned());
        Config::parse(&text, &file).map_err(|e| format!("{}: {e}", file.display()))
    }

    /// Finds the one config file in `aws-models/` of `start` or its nearest ancestor that
    /// has that folder.
    pub fn find(start: &Path) -> Result<Config, String> {
        let Some(dir) = start
            .ancestors()
            .map(|dir| dir.join(MODELS_DIR))
            .find(|dir| dir.is_dir())
        else {
            return Err(format!(
                "no {MODELS_DIR}/ folder in {} or above it: name the config with --pin FILE",
                start.display()
            ));
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == EXTENSION))
            .collect();
        files.sort();
        match files.as_slice() {
            [file] => Config::load(file),
            [] => Err(format!(
                "{} holds no *.{EXTENSION} config: name one with --pin FILE",
                dir.display()
            )),
            several => Err(format!(
                "{} holds several configs ({}): name one with --pin FILE",
                dir.display(),
                several
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// Parses a config's text; relative paths are relative to `file`'s folder.
    pub fn parse(text: &str, file: &Path) -> Result<Config, String> {
        let value = |key: &str| {
            text.lines()
                .map(|line| line.split('#').next().unwrap_or_default())
                .filter_map(|line| line.split_once('='))
                .find(|(k, _)| k.trim() == key)
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let required =
            |key: &str| value(key).ok_or_else(|| format!("the config has no `{key} = ...` line"));
        let dir = file.parent().unwrap_or(Path::new("."));
        Ok(Config {
            file: file.to_owned(),
            url: required("url")?,
            sha256: required("sha256")?.to_ascii_lowercase(),
            local_model: dir.join(required("model")?),
            settings_file: dir.join(required("settings")?),
            model_env: value("model_env"),
            hint: value("hint"),
        })
    }

    /// The files whose change must regenerate code (for a build script's
    /// `rerun-if-changed`). Watching the kept model also notices it appearing.
    pub fn watched_files(&self) -> [&Path; 3] {
        [&self.file, &self.settings_file, &self.local_model]
    }

    /// The generator settings this config names. A missing file is an error.
    pub fn settings(&self) -> Result<Settings, String> {
        let path = &self.settings_file;
        let json = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "the codegen settings {} named by {} cannot be read: {e}",
                path.display(),
                self.file.display()
            )
        })?;
        Settings::from_json(&json).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Finds the model: `explicit` if given, else the path in the config's environment
    /// variable, else the kept copy, else the pinned download (kept on success).
    pub fn locate(&self, explicit: Option<&Path>) -> Result<LocatedModel, String> {
        let from_env = self
            .model_env
            .as_ref()
            .and_then(|name| std::env::var_os(name).map(|value| (name, PathBuf::from(value))));
        let path = match (explicit, from_env) {
            (Some(path), _) if path.is_file() => path.to_owned(),
            (Some(path), _) => return Err(format!("the model {} is not a file", path.display())),
            (None, Some((_, path))) if path.is_file() => path,
            (None, Some((name, path))) => {
                return Err(format!(
                    "{name} is set to {}, which is not a file",
                    path.display()
                ));
            }
            (None, None) if self.local_model.is_file() => self.local_model.clone(),
            (None, None) => {
                download(&self.url, &self.sha256, &self.local_model)
                    .map_err(|why| self.missing_model(&why))?;
                self.local_model.clone()
            }
        };
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let sha256 = sha256_hex(&bytes);
        let json = String::from_utf8(bytes)
            .map_err(|e| format!("{}: the model is not UTF-8 text: {e}", path.display()))?;
        Ok(LocatedModel {
            name: self.display_name(&path),
            path,
            sha256,
            json,
        })
    }

    fn missing_model(&self, why: &str) -> String {
        let mut message = format!(
            "the Smithy model was not found.\n  Put it at {}",
            self.local_model.display()
        );
        if let Some(hint) = &self.hint {
            message += &format!(" ({hint})");
        }
        if let Some(name) = &self.model_env {
            message += &format!(",\n  or set {name}=/path/to/model.json");
        }
        message + &format!(".\n  Downloading the pinned copy failed: {why}")
    }

    /// The model's path relative to the project root (the folder holding the config's
    /// folder), so generated code does not depend on where the project is checked out.
    fn display_name(&self, path: &Path) -> String {
        let root = self
            .file
            .parent()
            .and_then(Path::parent)
            .and_then(|root| root.canonicalize().ok());
        match (root, path.canonicalize()) {
            (Some(root), Ok(path)) if path.starts_with(&root) => path
                .strip_prefix(&root)
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            _ => path.display().to_string(),
        }
    }

    /// The model's IR, resolved with this config's settings.
    pub fn resolve(&self, model: &LocatedModel) -> Result<crate::ir::Service, String> {
        let settings = self.settings()?;
        let parsed = parse_model(model)?;
        crate::resolve::resolve(&parsed, &settings)
            .map_err(|e| format!("{}: {e}", model.path.display()))
    }

    /// The Rust generated from `model` with this config's settings.
    pub fn generate(&self, model: &LocatedModel) -> Result<String, String> {
        let settings = self.settings()?;
        let parsed = parse_model(model)?;
        crate::generate_parsed(&parsed, &settings, &model.name, &model.sha256)
            .map_err(|e| format!("{}: {e}", model.path.display()))
    }

    /// A build script's work: locate the model (explicit path, environment variable, kept
    /// copy, download), generate, and write `out` when its contents change.
    pub fn build(&self, out: &Path) -> Result<LocatedModel, String> {
        let model = self.locate(None)?;
        let code = self.generate(&model)?;
        crate::write_if_changed(out, &code).map_err(|e| format!("{}: {e}", out.display()))?;
        Ok(model)
    }
}

impl LocatedModel {
    /// A warning when the model is not the one `config` pins.
    pub fn pin_mismatch(&self, config: &Config) -> Option<String> {
        (self.sha256 != config.sha256).then(|| {
            format!(
                "the model at {} has sha256 {}, not the {} pinned in {}: generating from it anyway (update the pin once the bump is reviewed)",
                self.path.display(),
                self.sha256,
                config.sha256,
                config.file.display()
            )
        })
    }
}

/// The model's AST. Malformed JSON is told apart from JSON that is not a Smithy model, and
/// both name the file and the line and column.
pub fn parse_model(model: &LocatedModel) -> Result<crate::model::Model, String> {
    let path = model.path.display();
    crate::model::parse(&model.json).map_err(|not_a_model| {
        // Read again only on failure: a syntax error anywhere in the file is reported as
        // malformed JSON, before any mismatch with the AST's shape.
        match serde_json::from_str::<serde::de::IgnoredAny>(&model.json) {
            Err(syntax) => format!("{path}: malformed JSON: {syntax}"),
            Ok(_) => format!("{path}: {not_a_model}"),
        }
    })
}

/// Runs `curl` on `url`: into `output` when given, else returning the body.
pub(crate) fn curl(url: &str, output: Option<&Path>) -> Result<Vec<u8>, String> {
    let mut command = Command::new("curl");
    command.args([
        "--fail",
        "--silent",
        "--show-error",
        "--location",
        "--max-time",
        "120",
    ]);
    if let Some(output) = output {
        command.arg("--output").arg(output);
    }
    let result = command
        .arg(url)
        .output()
        .map_err(|e| format!("could not run curl: {e}"))?;
    if !result.status.success() {
        return Err(format!(
            "curl {url} exited with {}: {}",
            result.status,
            String::from_utf8_lossy(&result.stderr).trim()
        ));
    }
    Ok(result.stdout)
}

/// Downloads `url` to `destination`, keeping the file only when its hash is `sha256`.
fn download(url: &str, sha256: &str, destination: &Path) -> Result<(), String> {
    let partial = destination.with_extension("download");
    if let Err(e) = curl(url, Some(&partial)) {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    let bytes = std::fs::read(&partial).map_err(|e| e.to_string())?;
    let hash = sha256_hex(&bytes);
    if hash != sha256 {
        let _ = std::fs::remove_file(&partial);
        return Err(format!(
            "the download has sha256 {hash}, the pin says {sha256}"
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
    /// A one-operation awsJson1_1 service.
    const MODEL: &str = r#"{"smithy": "2.0", "shapes": {
        "t#Svc": { "type": "service", "operations": [{ "target": "t#Op" }], "traits": { "aws.protocols#awsJson1_1": {} } },
        "t#Op": { "type": "operation", "input": { "target": "smithy.api#Unit" }, "output": { "target": "smithy.api#Unit" } }
    }}"#;

    /// A project in a fresh temporary folder: `aws-models/svc.pin` naming `svc.json` and
    /// `svc.codegen.json` (both written only when given), pinned to `pinned`'s hash.
    struct Project {
        root: PathBuf,
        config: Config,
    }

    fn project(name: &str, model: Option<&str>, settings: Option<&str>, pinned: &[u8]) -> Project {
        let root = std::env::temp_dir().join(format!("berth-config-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let dir = root.join(MODELS_DIR);
        std::fs::create_dir_all(&dir).unwrap();
        let published = root.join("published.json");
        std::fs::write(&published, pinned).unwrap();
        let text = format!(
            "# test\nurl = file://{}\nsha256 = {}\nmodel = svc.json\nsettings = svc.codegen.json\nmodel_env = BERTH_TEST_MODEL_{}\nhint = cp elsewhere/svc.json aws-models/\n",
            published.display(),
            sha256_hex(pinned),
            name.to_uppercase()
        );
        std::fs::write(dir.join("svc.pin"), text).unwrap();
        if let Some(model) = model {
            std::fs::write(dir.join("svc.json"), model).unwrap();
        }
        if let Some(settings) = settings {
            std::fs::write(dir.join("svc.codegen.json"), settings).unwrap();
        }
        let config = Config::load(&dir.join("svc.pin")).unwrap();
        Project { root, config }
    }

    #[test]
    fn configs_parse_with_comments_and_relative_paths() {
        let file = Path::new("/p/aws-models/m.pin");
        let config = Config::parse(
            "# the model\nurl = https://example.com/m.json\nsha256 = ABC # upper\nmodel = m.json\nsettings = m.codegen.json\n",
            file,
        )
        .unwrap();
        assert_eq!(
            config,
            Config {
                file: file.to_owned(),
                url: "https://example.com/m.json".into(),
                sha256: "abc".into(),
                local_model: "/p/aws-models/m.json".into(),
                settings_file: "/p/aws-models/m.codegen.json".into(),
                model_env: None,
                hint: None,
            }
        );
        let without_settings = "url = x\nsha256 = y\nmodel = m.json\n";
        assert_eq!(
            Config::parse(without_settings, file).unwrap_err(),
            "the config has no `settings = ...` line"
        );
        assert_eq!(sha256_hex(b""), EMPTY_SHA256);
    }

    #[test]
    fn the_config_is_found_from_any_folder_of_the_project() {
        let project = project("find", Some(MODEL), Some("{}"), MODEL.as_bytes());
        let nested = project.root.join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        assert_eq!(Config::find(&nested).unwrap(), project.config);
        std::fs::write(project.root.join(MODELS_DIR).join("other.pin"), "").unwrap();
        assert!(
            Config::find(&nested)
                .unwrap_err()
                .contains("several configs")
        );
    }

    #[test]
    fn settings_come_from_the_config_wherever_the_model_is() {
        let project = project("settings", Some(MODEL), Some("{}"), MODEL.as_bytes());
        // A model outside the project, with a settings file of its own beside it: the
        // config's settings are used, not that file.
        let elsewhere = project.root.with_extension("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::fs::write(elsewhere.join("svc.json"), MODEL).unwrap();
        std::fs::write(
            elsewhere.join("svc.codegen.json"),
            r#"{"validationError": "Beside"}"#,
        )
        .unwrap();
        std::fs::write(
            &project.config.settings_file,
            r#"{"validationError": "Configured"}"#,
        )
        .unwrap();
        let model = project
            .config
            .locate(Some(&elsewhere.join("svc.json")))
            .unwrap();
        assert_eq!(model.name, elsewhere.join("svc.json").display().to_string());
        let service = project.config.resolve(&model).unwrap();
        assert_eq!(service.validation.type_name, "Configured");

        std::fs::remove_file(&project.config.settings_file).unwrap();
        let error = project.config.resolve(&model).unwrap_err();
        assert!(
            error.starts_with(&format!(
                "the codegen settings {} named by {} cannot be read: ",
                project.config.settings_file.display(),
                project.config.file.display()
            )),
            "a missing settings file is an error: {error}"
        );
    }

    #[test]
    fn explicit_path_wins_then_environment_then_kept_copy() {
        let project = project("order", Some(MODEL), Some("{}"), b"{ }");
        let explicit = project.root.join("explicit.json");
        std::fs::write(&explicit, b"{}").unwrap();
        let config = &project.config;
        let found = config.locate(Some(&explicit)).unwrap();
        assert_eq!(found.path, explicit);
        assert!(
            found.pin_mismatch(config).unwrap().contains(&config.sha256),
            "a differing model is used, with a warning"
        );
        let kept = config.locate(None).unwrap();
        assert_eq!(
            (kept.path.clone(), kept.name.as_str(), kept.sha256.clone()),
            (
                config.local_model.clone(),
                "aws-models/svc.json",
                sha256_hex(MODEL.as_bytes())
            )
        );
        let env = config.model_env.as_deref().unwrap();
        // SAFETY: this test's own variable; no other test reads or writes it.
        unsafe { std::env::set_var(env, &explicit) };
        let from_env = config.locate(None);
        unsafe { std::env::set_var(env, project.root.join("missing.json")) };
        let missing = config.locate(None);
        unsafe { std::env::remove_var(env) };
        assert_eq!(from_env.unwrap().path, explicit);
        assert_eq!(
            missing.unwrap_err(),
            format!(
                "{env} is set to {}, which is not a file",
                project.root.join("missing.json").display()
            )
        );
    }

    #[test]
    fn a_missing_model_is_downloaded_and_checked() {
        let published = b"{\"shapes\":{}}";
        let project = project("download", None, Some("{}"), published);
        let mut wrong = project.config.clone();
        wrong.sha256 = EMPTY_SHA256.into();
        let error = wrong.locate(None).unwrap_err();
        let local = &project.config.local_model;
        assert_eq!(
            error,
            format!(
                "the Smithy model was not found.\n  Put it at {} (cp elsewhere/svc.json aws-models/),\n  or set BERTH_TEST_MODEL_DOWNLOAD=/path/to/model.json.\n  Downloading the pinned copy failed: the download has sha256 {}, the pin says {EMPTY_SHA256}",
                local.display(),
                project.config.sha256
            )
        );
        assert!(
            !local.exists() && !local.with_extension("download").exists(),
            "a bad download leaves nothing"
        );
        let found = project.config.locate(None).unwrap();
        assert_eq!(found.path, *local);
        assert_eq!(found.pin_mismatch(&project.config), None);
        assert_eq!(std::fs::read(local).unwrap(), published);
    }

    #[test]
    fn malformed_json_is_reported_with_file_line_and_column() {
        // The build script's whole work, on a model that is not JSON.
        let malformed = "{\"shapes\": {\n  \"t#S\": { \"type\": \"service\" },,\n}}";
        let project = project("malformed", Some(malformed), Some("{}"), b"");
        let out = project.root.join("out.rs");
        let error = project.config.build(&out).unwrap_err();
        assert_eq!(
            error,
            format!(
                "{}: malformed JSON: key must be a string at line 2 column 32",
                project.config.local_model.display()
            )
        );
        assert!(!out.exists(), "nothing is written");
    }

    #[test]
    fn json_that_is_not_a_smithy_model_names_the_file() {
        let project = project("not-smithy", Some(r#"{"shapes": []}"#), Some("{}"), b"");
        let model = project.config.locate(None).unwrap();
        let error = project.config.generate(&model).unwrap_err();
        assert!(
            error.starts_with(&format!(
                "{}: not a Smithy JSON AST model: invalid type: sequence",
                model.path.display()
            )),
            "{error}"
        );
    }

    #[test]
    fn an_unsupported_protocol_is_named() {
        let rest = MODEL.replace("aws.protocols#awsJson1_1", "aws.protocols#restJson1");
        let project = project("protocol", Some(&rest), Some("{}"), b"");
        let model = project.config.locate(None).unwrap();
        assert_eq!(
            project.config.generate(&model).unwrap_err(),
            format!(
                "{}: service t#Svc uses the protocol aws.protocols#restJson1; the generator supports aws.protocols#awsJson1_0 and aws.protocols#awsJson1_1",
                model.path.display()
            )
        );
    }

    #[test]
    fn a_build_writes_the_generated_code_naming_the_model() {
        let project = project("build", Some(MODEL), Some("{}"), MODEL.as_bytes());
        let out = project.root.join("out.rs");
        let model = project.config.build(&out).unwrap();
        let code = std::fs::read_to_string(&out).unwrap();
        let sha256 = sha256_hex(MODEL.as_bytes());
        assert_eq!(model.sha256, sha256);
        assert!(
            code.starts_with(&format!(
                "// @generated by berth codegen from aws-models/svc.json (sha256 {sha256}, service t#Svc)."
            )),
            "{code}"
        );
        assert!(
            code.contains(&format!("pub const MODEL_SHA256: &str = \"{sha256}\";")),
            "{code}"
        );
    }
}
