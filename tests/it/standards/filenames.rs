//! Differential test of wheel and sdist file names against `packaging.utils`
//! (today's, pinned in `tests/tools.txt`): `parse_wheel_filename` and `parse_sdist_filename`.
//!
//! Both sides must agree on validity, normalized name, version, build tag and tag
//! set, except where a divergence below is deliberate; each has a one-line reason.

use std::collections::{BTreeMap, BTreeSet};

use curd::standards::filename::{DistFilename, FilenameError, SdistFilename, WheelFilename};
use curd::standards::name::PackageName;
use curd::standards::version::Version;

use crate::support::python::packaging_oracle;
use crate::support::rng::Rng;

/// Answers `ok\t{name}\t{version}\t{raw version}\t{build}\t{tags}` or `err\t{exception}`,
/// where the raw version is the substring packaging handed to `Version`.
const ORACLE: &str = r#"
utils = packaging.utils
cases = open(sys.argv[1], encoding="utf-8").read().split("\n")
out = []
for case in cases:
    try:
        if case.endswith(".whl"):
            name, version, build, tags = utils.parse_wheel_filename(case)
            raw = case[:-4].split("-")[1]
            build = "" if build == () else f"{build[0]},{build[1]}"
            tags = ",".join(sorted({str(t) for t in tags}))
        else:
            name, version = utils.parse_sdist_filename(case)
            stem = case[: -len(".tar.gz")] if case.endswith(".tar.gz") else case[: -len(".zip")]
            raw = stem.rpartition("-")[2]
            build, tags = "", ""
        out.append(f"ok\t{name}\t{version}\t{raw}\t{build}\t{tags}")
    except (utils.InvalidWheelFilename, utils.InvalidSdistFilename, packaging.version.InvalidVersion) as e:
        out.append("err\t" + type(e).__name__)
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(out) + "\n")
"#;

const UNSAFE: &str = "we refuse names unsafe as storage file names (`/`, `..`, leading `.`, whitespace, non-ASCII); packaging only parses";
const NAME: &str = "PEP 508 names start and end with a letter or digit; packaging checks wheel names loosely and sdist names not at all";
const TAGS: &str = "tags are ASCII letters, digits and `_`, none empty; packaging takes any text";
const BUILD: &str = "build tags are a number below 2^64 then letters, digits, `.` or `_`; packaging takes any text and any number";
const SDIST_SPLIT: &str = "packaging splits sdist names at the last dash only; we try earlier dashes when that split is no name and version";

/// Wheel and sdist names published by real projects.
const REAL: &[&str] = &[
    "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "numpy-1.26.4-cp312-cp312-musllinux_1_1_x86_64.whl",
    "numpy-1.21.0-cp37-cp37m-win32.whl",
    "numpy-2.0.0-cp312-cp312-macosx_14_0_arm64.whl",
    "numpy-2.0.0rc1-cp39-cp39-win_amd64.whl",
    "numpy-1.26.4.tar.gz",
    "six-1.16.0-py2.py3-none-any.whl",
    "six-1.16.0.tar.gz",
    "cryptography-42.0.5-cp39-abi3-manylinux_2_28_x86_64.whl",
    "cryptography-41.0.7-cp37-abi3-win_amd64.whl",
    "cryptography-42.0.5-pp310-pypy310_pp73-manylinux_2_28_aarch64.whl",
    "typing_extensions-4.9.0-py3-none-any.whl",
    "typing_extensions-4.9.0.tar.gz",
    "Django-5.0.2-py3-none-any.whl",
    "Django-5.0.2.tar.gz",
    "Django-1.0.zip",
    "zope.interface-5.4.0-cp39-cp39-win_amd64.whl",
    "zope.interface-5.4.0.tar.gz",
    "zope_interface-6.2-cp312-cp312-macosx_11_0_arm64.whl",
    "backports.zoneinfo-0.2.1-cp38-cp38-manylinux1_i686.whl",
    "pywin32-306-cp311-cp311-win_amd64.whl",
    "MarkupSafe-2.1.5-cp311-cp311-musllinux_1_1_x86_64.whl",
    "MarkupSafe-2.1.5.tar.gz",
    "pydantic_core-2.16.2-pp310-pypy310_pp73-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "pyobjc_core-10.1-cp312-cp312-macosx_10_9_universal2.whl",
    "psycopg2_binary-2.9.9-cp312-cp312-musllinux_1_1_ppc64le.whl",
    "psycopg2-binary-2.9.9.tar.gz",
    "tensorflow-2.15.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "torch-2.2.0-cp311-cp311-manylinux1_x86_64.whl",
    "torch-2.2.0+cpu-cp311-cp311-linux_x86_64.whl",
    "pyarrow-15.0.0-cp312-cp312-manylinux_2_28_aarch64.whl",
    "scipy-1.12.0-cp39-cp39-macosx_10_9_x86_64.whl",
    "PyYAML-6.0.1-cp36-cp36m-win_amd64.whl",
    "PyYAML-6.0.1.tar.gz",
    "simplejson-3.19.2-cp27-cp27mu-manylinux_2_5_x86_64.manylinux1_x86_64.manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "black-24.2.0-py3-none-any.whl",
    "black-24.1a1-py3-none-any.whl",
    "python_dateutil-2.8.2-py2.py3-none-any.whl",
    "python-dateutil-2.8.2.tar.gz",
    "python-dateutil-2.9.0.post0.tar.gz",
    "azure-mgmt-storage-21.1.0.tar.gz",
    "azure_mgmt_storage-21.1.0-py3-none-any.whl",
    "setuptools-69.1.0-py3-none-any.whl",
    "setuptools-0.6c11-py2.7.egg",
    "pip-24.0-py3-none-any.whl",
    "pip-24.0.tar.gz",
    "wheel-0.42.0-py3-none-any.whl",
    "requests-2.31.0-py3-none-any.whl",
    "requests-2.31.0.tar.gz",
    "certifi-2024.2.2-py3-none-any.whl",
    "charset_normalizer-3.3.2-cp312-cp312-win_arm64.whl",
    "charset-normalizer-3.3.2.tar.gz",
    "urllib3-2.2.1-py3-none-any.whl",
    "idna-3.6-py3-none-any.whl",
    "pytz-2024.1-py2.py3-none-any.whl",
    "Pillow-10.2.0-cp312-cp312-manylinux_2_28_x86_64.whl",
    "pillow-10.2.0-pp310-pypy310_pp73-win_amd64.whl",
    "lxml-5.1.0-cp311-cp311-manylinux_2_28_x86_64.whl",
    "grpcio-1.62.0-cp312-cp312-linux_armv7l.whl",
    "greenlet-3.0.3-cp312-cp312-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
    "Twisted-23.10.0-py3-none-any.whl",
    "pyodbc-5.1.0-cp310-cp310-macosx_10_9_x86_64.whl",
    "ruamel.yaml.clib-0.2.8-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "ruamel.yaml-0.18.6.tar.gz",
    "pycrypto-2.6.1.tar.gz",
    "Flask-SQLAlchemy-2.5.1.tar.gz",
    "flask_sqlalchemy-3.1.1-py3-none-any.whl",
    "mysqlclient-2.2.4-cp312-cp312-win_amd64.whl",
    "distribute-0.7.3.zip",
    "pyreadline-2.1.win-amd64.exe",
    "jupyter_core-5.7.1-py3-none-any.whl",
    "importlib_metadata-7.0.1-py3-none-any.whl",
    "nvidia_cudnn_cu12-8.9.2.26-py3-none-manylinux1_x86_64.whl",
    "opencv_python-4.9.0.80-cp37-abi3-macosx_11_0_arm64.whl",
    "triton-2.2.0-0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
];

const WHEEL_NAMES: &[&str] = &[
    "foo",
    "Foo",
    "foo_bar",
    "Foo.Bar",
    "zope.interface",
    "a",
    "A1",
    "x2y",
    "1foo",
    "typing_extensions",
    "foo__bar",
    "_foo",
    "foo_",
    "foo.",
    "",
    "foo._bar",
    "naïve",
    "foo+bar",
];
const SDIST_NAMES: &[&str] = &[
    "foo",
    "python-dateutil",
    "foo_bar",
    "Foo.Bar",
    "a-b-c",
    "foo-2",
    "x-1.0",
    "_foo",
    "foo_",
    "",
    "foo+x",
    "zope.interface",
    "foo--bar",
    "naïve",
    "A",
];
const VERSIONS: &[&str] = &[
    "1.0",
    "2",
    "0.1.2",
    "01.0",
    "1.0.0",
    "10.20.30",
    "2024.1",
    "0",
    "1.0rc1",
    "1.0.post1",
    "1!2.0",
    "1.0+local.7",
    "1.0.dev3",
    "v1.0",
    "1.0-1",
    "1.0-rc1",
    "1.0_rc1",
    "1.0RC1",
    "2.0b2.post3.dev4",
    "1.0+ubuntu-1",
    "1.0.x",
    "abc",
    "",
    "1.0.",
    "1 .0",
    "1.0-dev",
    "99999999999999999999",
];
const BUILDS: &[&str] = &[
    "1",
    "2abc",
    "01",
    "a1",
    "",
    "123_x",
    "1.2",
    "18446744073709551615",
    "18446744073709551616",
    "1+x",
    "0",
];
const PYTHON_TAGS: &[&str] = &[
    "py3",
    "py2.py3",
    "cp311",
    "PY3",
    "py3.",
    "",
    "py+3",
    "pp310",
    "cp39.cp310",
    "py3_",
];
const ABI_TAGS: &[&str] = &[
    "none",
    "abi3",
    "cp311",
    "cp37m",
    "",
    "NONE",
    "abi3.none",
    "cp311!",
];
const PLATFORM_TAGS: &[&str] = &[
    "any",
    "linux_x86_64",
    "manylinux_2_17_x86_64.manylinux2014_x86_64",
    "win_amd64",
    "macosx_10_9_universal2",
    "",
    "any.",
    "Any",
    "any.any",
];
const EXTENSIONS: &[&str] = &[".tar.gz", ".tar.gz", ".zip", ".tar.bz2", ".tgz"];
/// Changes that make a valid name unsafe or wrong in a way packaging may not see.
const MUTATIONS: &[&str] = &["prefix .", "slash", "space", "dotdot", "dash", "drop dash"];

fn generate(rng: &mut Rng) -> Vec<String> {
    let mut cases = Vec::new();
    for _ in 0..300 {
        let mut case = format!("{}-{}", rng.pick(WHEEL_NAMES), rng.pick(VERSIONS));
        if rng.below(3) == 0 {
            case = format!("{case}-{}", rng.pick(BUILDS));
        }
        let tags = [
            rng.pick(PYTHON_TAGS),
            rng.pick(ABI_TAGS),
            rng.pick(PLATFORM_TAGS),
        ];
        cases.push(format!("{case}-{}.whl", tags.join("-")));
    }
    for _ in 0..150 {
        let (name, version, ext) = (
            rng.pick(SDIST_NAMES),
            rng.pick(VERSIONS),
            rng.pick(EXTENSIONS),
        );
        cases.push(format!("{name}-{version}{ext}"));
    }
    for case in &mut cases {
        if rng.below(6) != 0 {
            continue;
        }
        let at = case.find('-').unwrap_or(0);
        *case = match rng.pick(MUTATIONS) {
            "prefix ." => format!(".{case}"),
            "slash" => format!("../{case}"),
            "space" => format!("{case} "),
            "dotdot" => case.replacen('-', "..-", 1),
            "dash" => format!("{}-{}", &case[..at], &case[at..]),
            _ => case.replacen('-', "", 1),
        };
    }
    cases
}

/// What packaging said about one case.
enum Oracle {
    Valid {
        name: String,
        version: String,
        raw_version: String,
        build: String,
        tags: String,
    },
    Invalid,
}

fn oracle(line: &str) -> Oracle {
    let fields: Vec<&str> = line.split('\t').collect();
    match fields.as_slice() {
        ["ok", name, version, raw_version, build, tags] => Oracle::Valid {
            name: name.to_string(),
            version: version.to_string(),
            raw_version: raw_version.to_string(),
            build: build.to_string(),
            tags: tags.to_string(),
        },
        ["err", _] => Oracle::Invalid,
        _ => panic!("unexpected oracle line {line:?}"),
    }
}

fn build_of(wheel: &WheelFilename) -> String {
    match &wheel.build_tag {
        Some(build) => format!("{},{}", build.number, build.suffix),
        None => String::new(),
    }
}

fn tags_of(wheel: &WheelFilename) -> String {
    let mut tags = BTreeSet::new();
    for python in &wheel.python_tags {
        for abi in &wheel.abi_tags {
            for platform in &wheel.platform_tags {
                tags.insert(format!("{python}-{abi}-{platform}"));
            }
        }
    }
    tags.into_iter().collect::<Vec<_>>().join(",")
}

/// Whether we split an sdist where packaging does: at the last dash.
fn split_at_last_dash(sdist: &SdistFilename) -> bool {
    sdist
        .stem()
        .rsplit_once('-')
        .is_some_and(|(name, version)| {
            PackageName::new(name).as_ref() == Ok(&sdist.name)
                && version.parse::<Version>().as_ref() == Ok(&sdist.version)
        })
}

/// The deliberate reason our refusal differs from packaging's acceptance, once
/// the part the error blames is checked to break the rule the reason states.
fn why_we_refuse(case: &str, error: &FilenameError) -> Option<&'static str> {
    use FilenameError::*;
    let tag_ok =
        |tag: &str| !tag.is_empty() && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let holds = match error {
        Empty | TooLong { .. } => false,
        ControlCharacter { character, .. } => character.is_control() && case.contains(*character),
        PathSeparator { separator, .. } => case.contains(*separator),
        Whitespace { character, .. } => character.is_whitespace() && case.contains(*character),
        LeadingDot { .. } => case.starts_with('.'),
        DotDot { .. } => case.contains(".."),
        UnexpectedCharacter { character, .. } => !character.is_ascii() && case.contains(*character),
        InvalidName { name, .. } => {
            PackageName::new(name).is_err() || (case.ends_with(".whl") && name.contains("__"))
        }
        InvalidTags { tags, .. } => !tags.split('.').all(tag_ok),
        InvalidBuildTag { build, .. } => {
            let digits = build
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(build.len());
            let (number, suffix) = build.split_at(digits);
            number.parse::<u64>().is_err()
                || !suffix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        }
        _ => false,
    };
    let reason = match error {
        InvalidName { .. } => NAME,
        InvalidTags { .. } => TAGS,
        InvalidBuildTag { .. } => BUILD,
        _ => UNSAFE,
    };
    holds.then_some(reason)
}

#[test]
fn filenames_agree_with_packaging() {
    let mut rng = Rng::seeded(0x2545_f491_4f6c_dd1d);
    let mut cases: Vec<String> = REAL.iter().map(|s| s.to_string()).collect();
    cases.extend(generate(&mut rng));
    let results = packaging_oracle(ORACLE, &cases);

    let mut agreed_valid = 0;
    let mut agreed_invalid = 0;
    let mut divergences: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut version_grammar: Vec<&str> = Vec::new();
    let mut failures = Vec::new();
    for (case, line) in cases.iter().zip(&results) {
        let case = case.as_str();
        let ours = DistFilename::parse(case);
        match (&ours, oracle(line)) {
            (
                Ok(parsed),
                Oracle::Valid {
                    name,
                    version,
                    build,
                    tags,
                    ..
                },
            ) => {
                assert_eq!(parsed.to_string(), case, "display gives back the file name");
                let (our_build, our_tags) = match parsed {
                    DistFilename::Wheel(wheel) => (build_of(wheel), tags_of(wheel)),
                    DistFilename::Sdist(_) => (String::new(), String::new()),
                };
                let same = parsed.name().as_str() == name
                    && version.parse::<Version>().as_ref() == Ok(parsed.version())
                    && our_build == build
                    && our_tags == tags;
                match parsed {
                    _ if same => agreed_valid += 1,
                    DistFilename::Sdist(sdist) if !split_at_last_dash(sdist) => {
                        divergences.entry(SDIST_SPLIT).or_default().push(case)
                    }
                    _ => failures.push(format!(
                        "{case}: ours {} {} {our_build} {our_tags}, packaging {line}",
                        parsed.name(),
                        parsed.version()
                    )),
                }
            }
            (Err(_), Oracle::Invalid) => agreed_invalid += 1,
            (Err(error), Oracle::Valid { raw_version, .. }) => {
                match (why_we_refuse(case, error), error) {
                    (Some(reason), _) => divergences.entry(reason).or_default().push(case),
                    // The version grammar is version.rs's, tested against packaging there;
                    // here it only matters that we handed it the same substring.
                    (None, FilenameError::InvalidVersion { version, .. })
                        if *version == raw_version && version.parse::<Version>().is_err() =>
                    {
                        version_grammar.push(case)
                    }
                    _ => failures.push(format!("{case}: ours `{error}`, packaging {line}")),
                }
            }
            (Ok(DistFilename::Sdist(sdist)), Oracle::Invalid) if !split_at_last_dash(sdist) => {
                divergences.entry(SDIST_SPLIT).or_default().push(case)
            }
            (Ok(parsed), Oracle::Invalid) => {
                failures.push(format!("{case}: ours {parsed:?}, packaging {line}"))
            }
        }
    }

    eprintln!(
        "{} cases: {agreed_valid} valid and {agreed_invalid} invalid on both sides",
        cases.len()
    );
    for (reason, cases) in &divergences {
        eprintln!(
            "{} deliberate divergences: {reason}; e.g. {:?}",
            cases.len(),
            &cases[..cases.len().min(3)]
        );
    }
    eprintln!(
        "{} cases whose version packaging accepts and version.rs does not: {:?}",
        version_grammar.len(),
        &version_grammar[..version_grammar.len().min(5)]
    );
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(cases.len() >= 500, "{}", cases.len());
    assert!(
        agreed_valid >= 100,
        "too few valid cases to compare: {agreed_valid}"
    );
    assert!(
        agreed_invalid >= 100,
        "too few invalid cases to compare: {agreed_invalid}"
    );
}
