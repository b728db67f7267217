//! Small distributions made for a test: wheels as the wheel spec lays them out, and
//! sdists as gzipped tarballs under one `{name}-{version}/` folder. Hashes come from
//! the sha2 and base64 crates directly, never from the code under test.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use sha2::Digest;

/// A small wheel: a package, METADATA, WHEEL, any extra files and entry points, and
/// a RECORD with every file's hash.
pub struct WheelSpec<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub requires: &'a [&'a str],
    pub requires_python: Option<&'a str>,
    pub tag: &'a str,
    /// More files, as (path in the wheel, contents); files in a `.data/scripts/`
    /// folder are stored executable.
    pub files: &'a [(&'a str, &'a str)],
    /// The text of `.dist-info/entry_points.txt`.
    pub entry_points: Option<&'a str>,
    pub root_is_purelib: bool,
}

impl<'a> WheelSpec<'a> {
    pub fn new(name: &'a str, version: &'a str) -> WheelSpec<'a> {
        WheelSpec {
            name,
            version,
            requires: &[],
            requires_python: None,
            tag: "py3-none-any",
            files: &[],
            entry_points: None,
            root_is_purelib: true,
        }
    }

    pub fn file_name(&self) -> String {
        format!(
            "{}-{}-{}.whl",
            self.name.replace('-', "_"),
            self.version,
            self.tag
        )
    }

    /// Writes the wheel into `dir` and returns its path.
    pub fn build(&self, dir: &Path) -> PathBuf {
        let module = self.name.replace('-', "_").to_lowercase();
        let dist_info = format!("{}-{}.dist-info", self.name.replace('-', "_"), self.version);
        let mut metadata = format!(
            "Metadata-Version: 2.1\nName: {}\nVersion: {}\n",
            self.name, self.version
        );
        if let Some(rp) = self.requires_python {
            metadata.push_str(&format!("Requires-Python: {rp}\n"));
        }
        // pip ignores an extra the metadata does not provide.
        let mut extras: Vec<&str> = self
            .requires
            .iter()
            .filter_map(|r| r.split_once("extra == ")?.1.get(1..))
            .filter_map(|rest| rest.split(['\'', '"']).next())
            .collect();
        extras.sort_unstable();
        extras.dedup();
        for extra in extras {
            metadata.push_str(&format!("Provides-Extra: {extra}\n"));
        }
        for r in self.requires {
            metadata.push_str(&format!("Requires-Dist: {r}\n"));
        }
        let mut files = vec![
            (
                format!("{module}/__init__.py"),
                format!("VERSION = {:?}\n", self.version),
            ),
            (format!("{dist_info}/METADATA"), metadata),
            (
                format!("{dist_info}/WHEEL"),
                format!(
                    "Wheel-Version: 1.0\nGenerator: curd-tests\nRoot-Is-Purelib: {}\nTag: {}\n",
                    self.root_is_purelib, self.tag
                ),
            ),
        ];
        files.extend(
            self.files
                .iter()
                .map(|(name, contents)| (name.to_string(), contents.to_string())),
        );
        if let Some(entry_points) = self.entry_points {
            files.push((format!("{dist_info}/entry_points.txt"), entry_points.into()));
        }
        let path = dir.join(self.file_name());
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let mut record = String::new();
        for (name, contents) in &files {
            let mode = if name.contains(".data/scripts/") {
                0o755
            } else {
                0o644
            };
            zip.start_file(name.as_str(), options.unix_permissions(mode))
                .unwrap();
            zip.write_all(contents.as_bytes()).unwrap();
            record.push_str(&format!(
                "{name},{},{}\n",
                record_hash(contents.as_bytes()),
                contents.len()
            ));
        }
        record.push_str(&format!("{dist_info}/RECORD,,\n"));
        zip.start_file(format!("{dist_info}/RECORD"), options)
            .unwrap();
        zip.write_all(record.as_bytes()).unwrap();
        zip.finish().unwrap();
        path
    }
}

/// Python with the standard library alone, for build backends that tests write:
/// `write_wheel(directory, name, version, metadata, files)` packs `files` ((path,
/// bytes) pairs) with METADATA (`metadata`, bytes), WHEEL and RECORD into a
/// `py3-none-any` wheel in `directory`, and gives its file name.
pub const PYTHON_WHEEL_WRITER: &str = r#"
import base64, hashlib, os, zipfile

def write_wheel(directory, name, version, metadata, files):
    module = name.replace("-", "_")
    dist_info = "%s-%s.dist-info" % (module, version)
    files = files + [(dist_info + "/METADATA", metadata),
                     (dist_info + "/WHEEL", b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")]
    record = ["%s,sha256=%s,%d" % (p, base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode(), len(d)) for p, d in files]
    record.append(dist_info + "/RECORD,,")
    files.append((dist_info + "/RECORD", ("\n".join(record) + "\n").encode()))
    filename = "%s-%s-py3-none-any.whl" % (module, version)
    with zipfile.ZipFile(os.path.join(directory, filename), "w") as z:
        for path, data in files:
            z.writestr(path, data)
    return filename
"#;

/// Writes `{stem}.tar.gz` into `dir`: the files of `tree` (a folder) if any, then
/// `files` as (path, contents), all under `{stem}/` as sdists are.
pub fn sdist(dir: &Path, stem: &str, tree: Option<&Path>, files: &[(&str, &str)]) -> PathBuf {
    let path = dir.join(format!("{stem}.tar.gz"));
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    let mut tar = tar::Builder::new(gz);
    if let Some(tree) = tree {
        tar.append_dir_all(stem, tree).unwrap();
    }
    for (name, text) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, format!("{stem}/{name}"), text.as_bytes())
            .unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap().flush().unwrap();
    path
}

/// A RECORD row's hash field: `sha256=` and the digest in urlsafe base64, unpadded.
pub fn record_hash(bytes: &[u8]) -> String {
    let digest = sha2::Sha256::digest(bytes);
    format!(
        "sha256={}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
    )
}

/// The sha256 of `bytes` in lowercase hex, as indexes publish it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
