//! Builds the widget and embeds it: the loader (plain JS, minified) and the Yew app (a nested
//! `cargo build --target wasm32-unknown-unknown`, then wasm-bindgen as a library, then
//! `wasm-opt` when a working one is installed), each precompressed with gzip and brotli and
//! named by content hash. The collector `include_bytes!`s the result (`src/widget.rs`), so one
//! binary carries everything a site needs and nothing is downloaded at build time.
//!
//! `TENPOINT_SKIP_WIDGET_BUILD=1` skips the WASM for fast server-only iteration; the loader
//! then only logs that the widget was not built. `TENPOINT_WASM_OPT=/path/to/wasm-opt` picks a
//! wasm-opt; without it, `node_modules/.bin/wasm-opt` (npm `binaryen`) and then `PATH` are tried.
//! JS is minified by `node_modules/.bin/terser` (or `TENPOINT_TERSER`) when it is installed,
//! else by the `minifier` crate. `TENPOINT_WIDGET_NAMES=1` keeps the function names in the
//! optimized module (`twiggy top` on `OUT_DIR/widget-build/app_opt.wasm` then shows where the
//! bytes go); never for a release, they are a large part of the module.

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
    let built = if skip {
        println!(
            "cargo:warning=TENPOINT_SKIP_WIDGET_BUILD=1: the widget is not built; surveys will not show"
        );
        None
    } else {
        Some(build_app(&root, &out)?)
    };

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
    let loader = minify_js(&loader, "the loader", JsKind::Script, &root)?;
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

fn build_app(root: &Path, out: &Path) -> Result<Built> {
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
    if let Err(e) = shorten_imports(imports, &mut glue) {
        println!("cargo:warning=widget import names kept long: {e}");
    }
    let wasm = module.emit_wasm();

    let dir = out.join("widget-build");
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let raw_path = dir.join("app_bg.wasm");
    fs::write(&raw_path, &wasm).map_err(|e| e.to_string())?;
    let (wasm, wasm_opt) = match optimize(&raw_path, &dir.join("app_opt.wasm"), root) {
        Ok(Some((bytes, version))) => (bytes, Some(version)),
        Ok(None) => (wasm, None),
        Err(e) => {
            println!("cargo:warning=wasm-opt failed, using the unoptimized widget: {e}");
            (wasm, None)
        }
    };
    Ok(Built {
        glue: minify_js(&glue, "the wasm-bindgen glue", JsKind::Module, root)?,
        wasm,
        wasm_opt,
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

/// A wasm-opt recent enough to trust, if one is installed.
fn find_wasm_opt(root: &Path) -> Option<(PathBuf, String)> {
    let candidates: Vec<PathBuf> = match env::var("TENPOINT_WASM_OPT") {
        Ok(p) if !p.is_empty() => vec![PathBuf::from(p)],
        _ => vec![
            root.join("node_modules/.bin/wasm-opt"),
            PathBuf::from("wasm-opt"),
        ],
    };
    for c in candidates {
        let Ok(out) = Command::new(&c).arg("--version").output() else {
            continue;
        };
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let version = text
            .split(|ch: char| !ch.is_ascii_digit())
            .find(|s| !s.is_empty())
            .and_then(|s| s.parse::<u32>().ok())
            .unwrap_or(0);
        if version >= MIN_WASM_OPT_VERSION {
            return Some((c, text.trim().to_owned()));
        }
        println!(
            "cargo:warning={} is binaryen {version}; versions before {MIN_WASM_OPT_VERSION} break wasm-bindgen modules, so it is not used",
            c.display()
        );
    }
    None
}

/// Size analysis only (see the module docs).
fn keep_names() -> bool {
    env::var("TENPOINT_WIDGET_NAMES").is_ok_and(|v| v == "1")
}

fn optimize(input: &Path, output: &Path, root: &Path) -> Result<Option<(Vec<u8>, String)>> {
    let Some((bin, version)) = find_wasm_opt(root) else {
        println!(
            "cargo:warning=wasm-opt not found: the widget's WASM is a few KB larger (`npm ci` in the workspace installs binaryen)"
        );
        return Ok(None);
    };
    let out = Command::new(&bin)
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
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let bytes = fs::read(output).map_err(|e| e.to_string())?;
    Ok(Some((bytes, version)))
}

/// Renames the WASM module's imports to one- or two-letter names, in its import section and in
/// the glue's import object alike. wasm-bindgen names each import after the Rust item plus a
/// hash (`__wbg_addEventListener_847fd86b8c33ec43`), and the names appear in both files: over
/// a hundred of them add up to kilobytes that gzip can barely shrink, and no minifier can
/// rename an object key that the other file refers to. Every rename must find its key exactly
/// once in the glue; if anything does not match, nothing is renamed (`imports` and `js`
/// untouched).
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

/// terser (npm, `npm ci` installs it; `TENPOINT_TERSER` picks another) when it is there:
/// it renames local names and folds code, which the loader and the glue need to stay small
/// (`tenpoint widget-size` prints what they come to). Otherwise the `minifier` crate,
/// which only drops comments and whitespace; safe on both, and nothing to install.
fn minify_js(src: &str, what: &str, kind: JsKind, root: &Path) -> Result<String> {
    match terser(src, kind, root) {
        Ok(Some(min)) => return Ok(min),
        Ok(None) => println!(
            "cargo:warning=terser not found: {what} is minified less (`npm ci` in the workspace installs it)"
        ),
        Err(e) => println!("cargo:warning=terser failed on {what}, minifying less: {e}"),
    }
    minifier::js::minify(src)
        .map(|m| m.to_string())
        .map_err(|e| format!("minifying {what}: {e}"))
}

fn terser(src: &str, kind: JsKind, root: &Path) -> Result<Option<String>> {
    let bin = match env::var("TENPOINT_TERSER") {
        Ok(p) if !p.is_empty() => PathBuf::from(p),
        _ => root.join("node_modules/.bin/terser"),
    };
    if !bin.exists() {
        return Ok(None);
    }
    let mut cmd = Command::new(&bin);
    cmd.args(["--compress", "passes=2", "--mangle", "--ecma", "2020"]);
    if let JsKind::Module = kind {
        cmd.arg("--module");
    }
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(src.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    String::from_utf8(out.stdout)
        .map(Some)
        .map_err(|e| e.to_string())
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
