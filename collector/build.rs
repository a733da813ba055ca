//! Builds the widget and embeds it: the loader (plain JS, minified by terser) and the Yew app
//! (a nested `cargo build --target wasm32-unknown-unknown`, then wasm-bindgen as a library,
//! then binaryen's `wasm-opt`, and terser for the JS glue), each precompressed with gzip and
//! brotli and named by content hash. The collector `include_bytes!`s the result
//! (`src/widget.rs`), so one binary carries everything a site needs.
//!
//! wasm-opt and terser are part of the build, not extras: the versions in `package-lock.json`,
//! which the build installs with `npm ci` into its own output folder the first time (like cargo
//! fetches crates), so every machine embeds the same bytes as CI measures. Without npm the
//! build stops and says what to do. `TENPOINT_WASM_OPT` and `TENPOINT_TERSER` point at other
//! installed copies instead (the bytes are then theirs).
//!
//! `TENPOINT_SKIP_WIDGET_BUILD=1` skips the widget for fast server-only iteration; the loader
//! then only logs that the widget was not built. `TENPOINT_WIDGET_NAMES=1` keeps the function
//! names in the optimized module (`twiggy top` on `OUT_DIR/widget-build/app_opt.wasm` then
//! shows where the bytes go); never for a release, they are a large part of the module.

use sha2::{Digest, Sha256};
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

type Result<T> = std::result::Result<T, String>;

/// wasm-opt releases before this rewrite wasm-bindgen's externref table into modules that
/// fail at run time (Debian's binaryen 108 does).
const MIN_WASM_OPT_VERSION: u32 = 116;

struct Built {
    glue: String,
    wasm: Vec<u8>,
    wasm_opt: Option<String>,
}

fn main() {
    if let Err(e) = run() {
        // A build script's panic is the only way to stop the build with a message.
        panic!("\n\ntenpoint widget build failed:\n{e}\n");
    }
}

fn run() -> Result<()> {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let root = manifest
        .parent()
        .ok_or("the collector must sit inside the workspace")?
        .to_path_buf();
    let out = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    for p in [
        "widget/src",
        "widget/Cargo.toml",
        "widget/loader",
        "shared/src",
        "shared/Cargo.toml",
        "Cargo.lock",
        "Cargo.toml",
        "package.json",
        "package-lock.json",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(p).display());
    }
    for v in [
        "TENPOINT_SKIP_WIDGET_BUILD",
        "TENPOINT_WASM_OPT",
        "TENPOINT_TERSER",
        "TENPOINT_WIDGET_NAMES",
    ] {
        println!("cargo:rerun-if-env-changed={v}");
    }

    let skip = env::var("TENPOINT_SKIP_WIDGET_BUILD").is_ok_and(|v| v == "1");
    if skip {
        println!(
            "cargo:warning=TENPOINT_SKIP_WIDGET_BUILD=1: the widget is not built; surveys will not show"
        );
        let stub = "console.warn('tenpoint: this collector was built with TENPOINT_SKIP_WIDGET_BUILD=1; no surveys');";
        let loader = Asset::new(
            "widget.js",
            "text/javascript; charset=utf-8",
            false,
            stub.as_bytes().to_vec(),
        );
        return write_assets(&out, &[loader], None);
    }
    let tools = Tools::find(&root, &out)?;
    let built = Some(build_app(&root, &out, &tools)?);

    let mut assets = Vec::new();
    let loader = match &built {
        Some(b) => {
            let hash = short_hash(&[b.glue.as_bytes(), &b.wasm]);
            let js_name = format!("widget/app.{hash}.js");
            let wasm_name = format!("widget/app.{hash}.wasm");
            assets.push(Asset::new(&js_name, "text/javascript; charset=utf-8", true, b.glue.clone().into_bytes()));
            assets.push(Asset::new(&wasm_name, "application/wasm", true, b.wasm.clone()));
            loader_source(&root)?
                .replace("\"__TENPOINT_APP_JS__\"", &format!("\"{js_name}\""))
                .replace("\"__TENPOINT_APP_WASM__\"", &format!("\"{wasm_name}\""))
        }
        None => "console.warn('tenpoint: this collector was built with TENPOINT_SKIP_WIDGET_BUILD=1; no surveys');".to_owned(),
    };
    let loader = tools.terser(&loader, "the loader", JsKind::Script)?;
    assets.insert(
        0,
        Asset::new(
            "widget.js",
            "text/javascript; charset=utf-8",
            false,
            loader.into_bytes(),
        ),
    );

    write_assets(
        &out,
        &assets,
        built.as_ref().and_then(|b| b.wasm_opt.as_deref()),
    )
}

/// The loader: `glob.js` then `loader.js` in one function scope (widget/README.md).
fn loader_source(root: &Path) -> Result<String> {
    let read = |f: &str| {
        let p = root.join("widget/loader").join(f);
        fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    Ok(format!(
        "(function(){{\n{}\n{}\n}})();\n",
        read("glob.js")?,
        read("loader.js")?
    ))
}

fn build_app(root: &Path, out: &Path, tools: &Tools) -> Result<Built> {
    ensure_wasm_target()?;
    let target_dir = root.join("target/widget");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args([
            "build",
            "-p",
            "tenpoint-widget",
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "wasm-release",
            "--target-dir",
        ])
        .arg(&target_dir);
    // The outer build's settings (target dir, flags, clippy as the compiler wrapper) are not
    // the WASM build's. The jobserver (MAKEFLAGS) is kept, so both builds share the cores.
    for (k, _) in env::vars() {
        let outer = (k.starts_with("CARGO_")
            && k != "CARGO_HOME"
            && !k.starts_with("CARGO_NET_")
            && !k.starts_with("CARGO_HTTP_")
            && !k.starts_with("CARGO_REGISTR"))
            || matches!(
                k.as_str(),
                "RUSTC_WRAPPER"
                    | "RUSTC_WORKSPACE_WRAPPER"
                    | "RUSTFLAGS"
                    | "RUSTDOCFLAGS"
                    | "TARGET"
                    | "HOST"
                    | "OUT_DIR"
                    | "RUSTC"
                    | "RUSTDOC"
                    | "RUSTC_LINKER"
            );
        if outer {
            cmd.env_remove(&k);
        }
    }
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run cargo for the widget: {e}"))?;
    if !status.success() {
        return Err("`cargo build -p tenpoint-widget --target wasm32-unknown-unknown` failed (its errors are above)".into());
    }
    let wasm_in = target_dir.join("wasm32-unknown-unknown/wasm-release/tenpoint_widget.wasm");

    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .input_path(&wasm_in)
        .out_name("app")
        .typescript(false)
        .omit_default_module_path(true)
        // Names are for debuggers; they are a large part of the module.
        .remove_name_section(!keep_names())
        .remove_producers_section(true)
        .web(true)
        .map_err(|e| format!("wasm-bindgen: {e}"))?;
    let mut output = bindgen
        .generate_output()
        .map_err(|e| format!("wasm-bindgen on {}: {e:#}", wasm_in.display()))?;
    if !output.snippets().values().all(Vec::is_empty) || !output.local_modules().is_empty() {
        return Err("the widget pulled in JS snippets; serve them too before allowing that".into());
    }
    let mut glue = output.js().to_owned();
    let module = output.wasm_mut();
    let imports = module
        .imports
        .iter_mut()
        .map(|i| (&mut i.module, &mut i.name))
        .collect();
    // The renaming reads wasm-bindgen's glue as text: if a new wasm-bindgen writes it
    // differently, stop here rather than ship a bigger widget unnoticed.
    shorten_imports(imports, &mut glue).map_err(|e| {
        format!("renaming the widget's imports failed ({e}); wasm-bindgen's glue changed shape, adapt `shorten_imports`")
    })?;
    let wasm = module.emit_wasm();

    let dir = out.join("widget-build");
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let raw_path = dir.join("app_bg.wasm");
    fs::write(&raw_path, &wasm).map_err(|e| e.to_string())?;
    let wasm = tools.wasm_opt(&raw_path, &dir.join("app_opt.wasm"))?;
    Ok(Built {
        glue: tools.terser(&glue, "the wasm-bindgen glue", JsKind::Module)?,
        wasm,
        wasm_opt: Some(tools.wasm_opt_version.clone()),
    })
}

/// `rust-toolchain.toml` names the target, but rustup does not install it on every machine
/// (RUSTUP_AUTO_INSTALL=0), so make sure here, once, with a clear message if that fails.
fn ensure_wasm_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == "wasm32-unknown-unknown")
        });
    match installed {
        Ok(true) => Ok(()),
        Ok(false) => {
            let ok = Command::new("rustup")
                .args(["target", "add", "wasm32-unknown-unknown"])
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                Ok(())
            } else {
                Err("the wasm32-unknown-unknown target is missing and `rustup target add wasm32-unknown-unknown` failed; run it by hand (or set TENPOINT_SKIP_WIDGET_BUILD=1 to build the server without the widget)".into())
            }
        }
        // No rustup (a distribution's Rust): the nested build will say what is missing.
        Err(_) => Ok(()),
    }
}

/// Size analysis only (see the module docs).
fn keep_names() -> bool {
    env::var("TENPOINT_WIDGET_NAMES").is_ok_and(|v| v == "1")
}

/// Renames the WASM module's imports to one- or two-letter names, in its import section and in
/// the glue's import object alike. wasm-bindgen names each import after the Rust item plus a
/// hash (`__wbg_addEventListener_847fd86b8c33ec43`), and the names appear in both files: over
/// a hundred of them add up to kilobytes that gzip can barely shrink, and no minifier can rename an
/// object key that the other file refers to. Every rename must find its key exactly once in
/// the glue; if anything does not match, nothing is renamed (`imports` and `js` untouched).
fn shorten_imports(imports: Vec<(&mut String, &mut String)>, js: &mut String) -> Result<()> {
    const MODULE: &str = "./app_bg.js";
    let short = |mut i: usize| {
        const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let mut name = String::new();
        loop {
            name.push(char::from(LETTERS[i % LETTERS.len()]));
            i /= LETTERS.len();
            if i == 0 {
                return name;
            }
            i -= 1;
        }
    };
    // Where `key: ` starts a line (after indentation) in `text`; it must do so exactly once.
    let key_at = |text: &str, key: &str| -> Result<usize> {
        let needle = format!("{key}: ");
        let mut found = text.match_indices(&needle).filter(|(at, _)| {
            text[..*at]
                .chars()
                .rev()
                .take_while(|c| *c != '\n')
                .all(char::is_whitespace)
        });
        match (found.next(), found.next()) {
            (Some((at, _)), None) => Ok(at),
            (None, _) => Err(format!("`{key}` is not a key in the glue")),
            _ => Err(format!("`{key}` is a key in the glue more than once")),
        }
    };
    let mut out = js.clone();
    let mut renames = Vec::new();
    for (i, (module, name)) in imports.into_iter().enumerate() {
        if module != MODULE {
            return Err(format!("an import from \"{module}\", not {MODULE}"));
        }
        let at = key_at(&out, name)?;
        let new = short(i);
        out.replace_range(at..at + name.len(), &new);
        renames.push((module, name, new));
    }
    let quoted = format!("\"{MODULE}\"");
    let at = key_at(&out, &quoted)?;
    out.replace_range(at..at + quoted.len(), "m");
    for (module, name, new) in renames {
        *module = "m".to_owned();
        *name = new;
    }
    *js = out;
    Ok(())
}

/// How a piece of JS is loaded: terser may rename top-level names only in an ES module.
#[derive(Clone, Copy)]
enum JsKind {
    /// The loader, a classic script (one IIFE).
    Script,
    /// wasm-bindgen's glue, imported as an ES module.
    Module,
}

/// The pinned JS tools the widget build runs: binaryen's `wasm-opt` and `terser`.
struct Tools {
    wasm_opt: PathBuf,
    wasm_opt_version: String,
    terser: PathBuf,
}

impl Tools {
    /// `TENPOINT_WASM_OPT` and `TENPOINT_TERSER` when both are set; otherwise the versions in
    /// `package-lock.json`, installed with `npm ci` into a folder of `OUT_DIR` named after the
    /// lockfile's hash (so a changed lock installs anew, and an unchanged one never again).
    fn find(root: &Path, out: &Path) -> Result<Tools> {
        let given = |var: &str| {
            env::var(var)
                .ok()
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
        };
        let (wasm_opt, terser) = match (given("TENPOINT_WASM_OPT"), given("TENPOINT_TERSER")) {
            (Some(w), Some(t)) => (w, t),
            _ => {
                let bin = Self::install(root, out)?;
                (bin.join("wasm-opt"), bin.join("terser"))
            }
        };
        let version = Command::new(&wasm_opt)
            .arg("--version")
            .output()
            .map_err(|e| format!("cannot run {}: {e}", wasm_opt.display()))?;
        let wasm_opt_version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
        let major = wasm_opt_version
            .split(|ch: char| !ch.is_ascii_digit())
            .find(|s| !s.is_empty())
            .and_then(|s| s.parse::<u32>().ok())
            .unwrap_or(0);
        if major < MIN_WASM_OPT_VERSION {
            return Err(format!(
                "{} is binaryen {major}; versions before {MIN_WASM_OPT_VERSION} break wasm-bindgen modules",
                wasm_opt.display()
            ));
        }
        Ok(Tools {
            wasm_opt,
            wasm_opt_version,
            terser,
        })
    }

    fn install(root: &Path, out: &Path) -> Result<PathBuf> {
        let lock = fs::read(root.join("package-lock.json"))
            .map_err(|e| format!("cannot read package-lock.json: {e}"))?;
        let dir = out
            .parent()
            .unwrap_or(out)
            .join(format!("js-tools-{}", short_hash(&[lock.as_slice()])));
        let bin = dir.join("node_modules/.bin");
        if bin.join("wasm-opt").exists() && bin.join("terser").exists() {
            return Ok(bin);
        }
        fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        for f in ["package.json", "package-lock.json"] {
            fs::copy(root.join(f), dir.join(f)).map_err(|e| format!("copying {f}: {e}"))?;
        }
        let npm = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status();
        match npm {
            Ok(s) if s.success() => Ok(bin),
            other => Err(format!(
                "the widget build installs wasm-opt and terser (the versions in package-lock.json) with `npm ci`, which {}. Install Node.js (18 or later, with npm), or set TENPOINT_WASM_OPT and TENPOINT_TERSER to installed copies, or TENPOINT_SKIP_WIDGET_BUILD=1 to build the server without the widget.",
                match other {
                    Ok(s) => format!("failed ({s})"),
                    Err(e) => format!("could not run ({e})"),
                }
            )),
        }
    }

    fn wasm_opt(&self, input: &Path, output: &Path) -> Result<Vec<u8>> {
        let out = Command::new(&self.wasm_opt)
            .arg(input)
            .args([
                "-Oz",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
                "--enable-reference-types",
                "--enable-multivalue",
                "--enable-sign-ext",
                "--enable-mutable-globals",
            ])
            .args(keep_names().then_some("-g"))
            .arg("-o")
            .arg(output)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.wasm_opt.display()))?;
        if !out.status.success() {
            return Err(format!(
                "wasm-opt failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        fs::read(output).map_err(|e| e.to_string())
    }

    /// Renames local names and folds code: the loader and the glue need both to stay small.
    fn terser(&self, src: &str, what: &str, kind: JsKind) -> Result<String> {
        let mut cmd = Command::new(&self.terser);
        cmd.args(["--compress", "passes=2", "--mangle", "--ecma", "2020"]);
        if let JsKind::Module = kind {
            cmd.arg("--module");
        }
        let mut child = cmd
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.terser.display()))?;
        child
            .stdin
            .take()
            .ok_or("no stdin")?
            .write_all(src.as_bytes())
            .map_err(|e| e.to_string())?;
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "terser failed on {what}: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        String::from_utf8(out.stdout).map_err(|e| e.to_string())
    }
}

fn short_hash(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    hex::encode(&h.finalize()[..6])
}

struct Asset {
    path: String,
    content_type: &'static str,
    immutable: bool,
    raw: Vec<u8>,
}

impl Asset {
    fn new(path: &str, content_type: &'static str, immutable: bool, raw: Vec<u8>) -> Asset {
        Asset {
            path: path.to_owned(),
            content_type,
            immutable,
            raw,
        }
    }
}

fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).map_err(|e| e.to_string())?;
    e.finish().map_err(|e| e.to_string())
}

fn brotli(data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Writes each asset in three encodings and `assets.rs`, the table `src/widget.rs` includes.
fn write_assets(out: &Path, assets: &[Asset], wasm_opt: Option<&str>) -> Result<()> {
    let dir = out.join("assets");
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut table = String::from("&[\n");
    for (i, a) in assets.iter().enumerate() {
        let files = [
            ("raw", a.raw.clone()),
            ("gz", gzip(&a.raw)?),
            ("br", brotli(&a.raw)?),
        ];
        let mut paths = Vec::new();
        for (ext, bytes) in files {
            let p = dir.join(format!("{i}.{ext}"));
            fs::write(&p, bytes).map_err(|e| format!("{}: {e}", p.display()))?;
            paths.push(p);
        }
        let etag = format!("\"{}\"", short_hash(&[&a.raw]));
        let _ = writeln!(
            table,
            "    Asset {{ path: {:?}, content_type: {:?}, immutable: {}, etag: {:?}, raw: include_bytes!({:?}), gzip: include_bytes!({:?}), brotli: include_bytes!({:?}) }},",
            a.path, a.content_type, a.immutable, etag, paths[0], paths[1], paths[2]
        );
    }
    table.push(']');
    let code = format!(
        "/// Built by collector/build.rs.\npub static ASSETS: &[Asset] = {table};\n/// The wasm-opt that optimized the WASM, if one did.\npub static WASM_OPT: Option<&str> = {wasm_opt:?};\n"
    );
    fs::write(out.join("assets.rs"), code).map_err(|e| e.to_string())
}
