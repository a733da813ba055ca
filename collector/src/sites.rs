//! Site configs on disk: a folder of `*.json` files (or single files), one site each.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use tenpoint_shared::config::{self, ConfigErrors, SiteConfig};

/// Why one file did not yield a site.
#[derive(Debug, thiserror::Error)]
pub enum SiteFileError {
    #[error("cannot read: {0}")]
    Read(#[from] std::io::Error),
    #[error("{0}")]
    Invalid(ConfigErrors),
    #[error("site \"{site}\" is also defined in {}", other.display())]
    DuplicateSite { site: String, other: PathBuf },
}

/// The outcome of loading a set of files: the good sites, and every problem by file.
#[derive(Debug, Default)]
pub struct Loaded {
    pub sites: BTreeMap<String, (PathBuf, SiteConfig)>,
    pub errors: Vec<(PathBuf, SiteFileError)>,
}

impl Loaded {
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Expands folders to the `*.json` files in them (sorted, not recursive); files stay as given,
/// so one that cannot be read is reported with the others by `load`.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, (PathBuf, std::io::Error)> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            out.extend(list(p).map_err(|e| (p.clone(), e))?);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// The files one configured path stands for. Unlike in `expand`, a path that is not there is
/// an error here, not a file that fails to load later: the registry keeps what it last loaded
/// from a path that vanished, but drops a site whose file was deleted from a folder still there.
pub fn list(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !std::fs::metadata(path)?.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

/// Reads, parses and validates each file; a site id defined twice is an error in the second file.
pub fn load(files: &[PathBuf]) -> Loaded {
    let mut loaded = Loaded::default();
    for file in files {
        match load_one(file) {
            Ok(cfg) => {
                if let Some((other, _)) = loaded.sites.get(&cfg.site) {
                    let err = SiteFileError::DuplicateSite {
                        site: cfg.site.clone(),
                        other: other.clone(),
                    };
                    loaded.errors.push((file.clone(), err));
                } else {
                    loaded.sites.insert(cfg.site.clone(), (file.clone(), cfg));
                }
            }
            Err(e) => loaded.errors.push((file.clone(), e)),
        }
    }
    loaded
}

fn load_one(file: &Path) -> Result<SiteConfig, SiteFileError> {
    let src = std::fs::read_to_string(file)?;
    config::parse(&src).map_err(SiteFileError::Invalid)
}

/// One line per problem, `FILE:LINE: PATH: message`, the form editors and CI logs link up.
pub struct Report<'a>(pub &'a [(PathBuf, SiteFileError)]);

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (file, err) in self.0 {
            let file = file.display();
            match err {
                SiteFileError::Invalid(ConfigErrors(issues)) => {
                    for i in issues {
                        let line = i.line.map(|l| format!("{l}:")).unwrap_or_default();
                        writeln!(f, "{file}:{line} {}: {}", i.path, i.message)?;
                    }
                }
                other => writeln!(f, "{file}: {other}")?,
            }
        }
        Ok(())
    }
}
