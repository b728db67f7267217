//! PEP 508 requirements and markers, differentially against today's packaging.
//!
//! Every case is parsed by curd and by packaging; they must agree on validity, name,
//! extras (normalized), the set of specifier clauses, the URL, the marker (packaging's
//! printed marker must parse to curd's tree) and the marker's value in each of several
//! environments, with and without extras. Then curd's printed form of every valid case
//! goes back to packaging, which must read the same requirement from it.
//!
//! The cases where curd departs from packaging on purpose are listed in
//! `DIVERGENCES`, each with its reason, and must keep differing; most are where the
//! current spec and packaging part (the spec's string comparisons), the rest where
//! packaging leaves a check to the installer. The generator stays clear of those
//! areas, so every other disagreement is a bug. A comparison packaging cannot
//! evaluate (`===` or `~=` between strings: it raises `UndefinedComparison`, pip
//! stops with a traceback) curd refuses when parsing, which counts as agreement.

use curd::standards::marker::{MarkerEnvironment, MarkerTree};
use curd::standards::name::ExtraName;
use curd::standards::requirement::{Requirement, VersionOrUrl};
use curd::standards::version::Version;
use serde_json::{Map, Value};

use crate::support::python::packaging_oracle;
use crate::support::rng::Rng;

/// Platforms to evaluate markers on, besides this machine's own.
const ENVIRONMENTS: [[(&str, &str); 11]; 6] = [
    [
        ("implementation_name", "cpython"),
        ("implementation_version", "3.8.10"),
        ("os_name", "posix"),
        ("platform_machine", "x86_64"),
        ("platform_python_implementation", "CPython"),
        ("platform_release", "5.4.0"),
        ("platform_system", "Linux"),
        ("platform_version", "#1 SMP Debian 5.4.0"),
        ("python_full_version", "3.8.10"),
        ("python_version", "3.8"),
        ("sys_platform", "linux"),
    ],
    // A release that is no PEP 440 version, as most Linux kernels report.
    [
        ("implementation_name", "cpython"),
        ("implementation_version", "3.12.3"),
        ("os_name", "posix"),
        ("platform_machine", "x86_64"),
        ("platform_python_implementation", "CPython"),
        ("platform_release", "5.15.0-91-generic"),
        ("platform_system", "Linux"),
        (
            "platform_version",
            "#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023",
        ),
        ("python_full_version", "3.12.3"),
        ("python_version", "3.12"),
        ("sys_platform", "linux"),
    ],
    [
        ("implementation_name", "cpython"),
        ("implementation_version", "3.10.11"),
        ("os_name", "nt"),
        ("platform_machine", "AMD64"),
        ("platform_python_implementation", "CPython"),
        ("platform_release", "10"),
        ("platform_system", "Windows"),
        ("platform_version", "10.0.19045"),
        ("python_full_version", "3.10.11"),
        ("python_version", "3.10"),
        ("sys_platform", "win32"),
    ],
    [
        ("implementation_name", "cpython"),
        ("implementation_version", "3.13.1"),
        ("os_name", "posix"),
        ("platform_machine", "arm64"),
        ("platform_python_implementation", "CPython"),
        ("platform_release", "23.1.0"),
        ("platform_system", "Darwin"),
        (
            "platform_version",
            "Darwin Kernel Version 23.1.0: Mon Oct  9 21:27:24 PDT 2023; root:xnu-10002.41.9~6/RELEASE_ARM64_T6000",
        ),
        ("python_full_version", "3.13.1"),
        ("python_version", "3.13"),
        ("sys_platform", "darwin"),
    ],
    [
        ("implementation_name", "pypy"),
        ("implementation_version", "7.3.13"),
        ("os_name", "posix"),
        ("platform_machine", "aarch64"),
        ("platform_python_implementation", "PyPy"),
        ("platform_release", "6.1.0"),
        ("platform_system", "Linux"),
        ("platform_version", "#1 SMP PREEMPT"),
        ("python_full_version", "3.9.18"),
        ("python_version", "3.9"),
        ("sys_platform", "linux"),
    ],
    // Python 2 had no `sys.implementation`: the spec's fallbacks.
    [
        ("implementation_name", ""),
        ("implementation_version", "0"),
        ("os_name", "posix"),
        ("platform_machine", "i686"),
        ("platform_python_implementation", "CPython"),
        ("platform_release", "4.4.0"),
        ("platform_system", "Linux"),
        ("platform_version", "#1 SMP"),
        ("python_full_version", "2.7.18"),
        ("python_version", "2.7"),
        ("sys_platform", "linux2"),
    ],
];

/// The extras each marker is evaluated with (normalized, as callers pass them).
const EXTRAS: [&[&str]; 3] = [&[], &["test"], &["foo-bar", "security"]];

/// Cases where curd departs from packaging on purpose (each area also has unit tests
/// in `src/standards/requirement.rs` or `src/standards/marker.rs`).
const DIVERGENCES: [(&str, &str); 6] = [
    (
        "name @ ./pkg.whl",
        "a direct reference needs an absolute URL: packaging takes any text after `@` and \
         pip reads it as a path from the folder it runs in, which a wheel's metadata \
         cannot mean",
    ),
    (
        "name; platform_release != '5.0'",
        "a release that is no version compares as a string, where `!=` holds; packaging \
         says false, as no version specifier matches a non-version",
    ),
    (
        "name; 'posix' == 'posix'",
        "two literals compare nothing from the environment, and curd refuses them when \
         parsing; packaging reads the right one as a variable name and fails when evaluating",
    ),
    (
        "name; os_name == sys_platform",
        "two variables compare nothing the spec gives a meaning, and curd refuses them \
         when parsing; packaging compares their values",
    ),
    (
        r"name; platform_version == 'a\b'",
        "a backslash is no `python_str_c` character; packaging ends the string there",
    ),
    (
        "name @ https://host/n.whl;python_version<'3'",
        "`<` is no URL character; packaging takes everything up to whitespace, the marker \
         included, as the URL",
    ),
];

/// Requires-Dist lines of well-known projects, as their wheels declare them.
const REAL_WORLD: &[&str] = &[
    "certifi>=2017.4.17",
    "charset-normalizer<4,>=2",
    "idna<4,>=2.5",
    "urllib3<3,>=1.21.1",
    "PySocks!=1.5.7,>=1.5.6; extra == \"socks\"",
    "chardet<6,>=3.0.2; extra == \"use-chardet-on-py3\"",
    "brotli>=1.0.9; platform_python_implementation == \"CPython\" and extra == \"brotli\"",
    "brotlicffi>=0.8.0; platform_python_implementation != \"CPython\" and extra == \"brotli\"",
    "h2<5,>=4; extra == \"h2\"",
    "zstandard>=0.18.0; extra == \"zstd\"",
    "pysocks!=1.5.7,<2.0,>=1.5.6; extra == \"socks\"",
    "win-inet-pton; (sys_platform == \"win32\" and python_version == \"2.7\") and extra == \"socks\"",
    "ipaddress; python_version == \"2.7\" and extra == \"secure\"",
    "pyOpenSSL>=0.14; extra == \"security\"",
    "cryptography>=1.3.4; extra == \"security\"",
    "idna>=2.0.0; extra == \"security\"",
    "importlib-metadata>=4.6; python_version < \"3.10\"",
    "importlib_metadata; python_version < \"3.8\"",
    "importlib-resources>=1.3; python_version < \"3.9\"",
    "zipp>=3.1.0; python_version < \"3.10\"",
    "typing-extensions>=4.0.0; python_version < \"3.11\"",
    "typing_extensions>=3.6.4; python_version < \"3.8\"",
    "tomli>=1.1.0; python_version < \"3.11\"",
    "exceptiongroup>=1.0.0rc8; python_version < \"3.11\"",
    "colorama; platform_system == \"Windows\"",
    "colorama; sys_platform == \"win32\"",
    "colorama>=0.4; os_name == \"nt\"",
    "pywin32>=226; sys_platform == \"win32\"",
    "pywin32 (>=223) ; sys_platform == \"win32\" and platform_python_implementation != \"PyPy\"",
    "pywin32-ctypes>=0.2.0; sys_platform == \"win32\"",
    "SecretStorage>=3.2; sys_platform == \"linux\"",
    "jeepney>=0.4.2; sys_platform == \"linux\"",
    "jaraco.classes",
    "jaraco.functools",
    "jaraco.context",
    "numpy>=1.22.4; python_version < \"3.11\"",
    "numpy>=1.23.2; python_version == \"3.11\"",
    "numpy>=1.26.0; python_version >= \"3.12\"",
    "python-dateutil>=2.8.2",
    "pytz>=2020.1",
    "tzdata>=2022.7",
    "six>=1.5",
    "six (>=1.5)",
    "python_dateutil (>=2.1)",
    "pytz (>=2017.2)",
    "MarkupSafe>=2.0",
    "Jinja2>=3.1.2",
    "Werkzeug>=3.0.0",
    "itsdangerous>=2.1.2",
    "click>=8.1.3",
    "blinker>=1.6.2",
    "asgiref>=3.2; extra == \"async\"",
    "python-dotenv; extra == \"dotenv\"",
    "colorama; platform_system == 'Windows'",
    "importlib-metadata; python_version < '3.8'",
    "greenlet!=0.4.17; platform_machine == \"aarch64\" or (platform_machine == \"ppc64le\" or (platform_machine == \"x86_64\" or (platform_machine == \"amd64\" or (platform_machine == \"AMD64\" or (platform_machine == \"win32\" or platform_machine == \"WIN32\")))))",
    "greenlet!=0.4.17; python_version < \"3.13\" and (platform_machine == \"aarch64\" or (platform_machine == \"ppc64le\" or (platform_machine == \"x86_64\" or (platform_machine == \"amd64\" or (platform_machine == \"AMD64\" or (platform_machine == \"win32\" or platform_machine == \"WIN32\"))))))",
    "typing-extensions>=4.6.0",
    "mypy>=0.910; extra == \"mypy\"",
    "sqlalchemy2-stubs; extra == \"mypy\"",
    "psycopg2-binary; extra == \"postgresql-psycopg2binary\"",
    "pymysql; extra == \"pymysql\"",
    "oracledb>=1.0.1; extra == \"oracle-oracledb\"",
    "pydantic-core==2.14.5",
    "annotated-types>=0.4.0",
    "email-validator>=2.0.0; extra == \"email\"",
    "anyio<5,>=3.4.0",
    "starlette<0.28.0,>=0.27.0",
    "httpx>=0.23.0; extra == \"all\"",
    "uvicorn[standard]>=0.12.0; extra == \"all\"",
    "uvloop!=0.15.0,!=0.15.1,>=0.14.0; (sys_platform != \"win32\" and (sys_platform != \"cygwin\" and platform_python_implementation != \"PyPy\")) and extra == \"standard\"",
    "httptools>=0.5.0; extra == \"standard\"",
    "watchfiles>=0.13; extra == \"standard\"",
    "websockets>=10.4; extra == \"standard\"",
    "colorama>=0.4; sys_platform == \"win32\" and extra == \"standard\"",
    "h11>=0.8",
    "win32-setctime>=1.0.0; sys_platform == \"win32\"",
    "appnope; sys_platform == \"darwin\"",
    "pexpect>4.3; sys_platform != \"win32\" and sys_platform != \"emscripten\"",
    "decorator",
    "jedi>=0.16",
    "matplotlib-inline",
    "prompt-toolkit<3.1.0,>=3.0.41",
    "pygments>=2.4.0",
    "stack-data",
    "traitlets>=5",
    "black==22.3.0; extra == \"black\"",
    "enum34; python_version < \"3.4\"",
    "futures; python_version == \"2.7\"",
    "futures>=2.2.0; python_version < \"3.2\"",
    "ipaddress; python_version < \"3.3\"",
    "backports.zoneinfo; python_version < \"3.9\"",
    "backports.functools-lru-cache>=1.2.1; python_version < \"3.2\"",
    "dataclasses; python_version < \"3.7\"",
    "dataclasses (>=0.6) ; python_version >= \"3.6\" and python_version < \"3.7\"",
    "contextvars>=2.1; python_version < \"3.7\"",
    "typing (>=3.5) ; python_version < \"3.5\"",
    "cffi>=1.12; platform_python_implementation != \"PyPy\"",
    "cffi>=1.1; implementation_name != \"pypy\"",
    "pycparser",
    "setuptools; python_version >= \"3.12\"",
    "async-timeout<5.0,>=4.0; python_version < \"3.11\"",
    "aiosignal>=1.1.2",
    "attrs>=17.3.0",
    "frozenlist>=1.1.1",
    "multidict<7.0,>=4.5",
    "yarl<2.0,>=1.0",
    "aiodns; (sys_platform == \"linux\" or sys_platform == \"darwin\") and extra == \"speedups\"",
    "Brotli; platform_python_implementation == \"CPython\" and extra == \"speedups\"",
    "brotlicffi; platform_python_implementation != \"CPython\" and extra == \"speedups\"",
    "pyreadline3; platform_system == \"Windows\" and python_version >= \"3.8\"",
    "tensorflow-io-gcs-filesystem>=0.23.1; platform_machine != \"arm64\" or platform_system != \"Darwin\"",
    "tensorflow-intel==2.13.0; platform_system == \"Windows\"",
    "nvidia-cublas-cu12==12.1.3.1; platform_system == \"Linux\" and platform_machine == \"x86_64\"",
    "triton==2.1.0; platform_system == \"Linux\" and platform_machine == \"x86_64\" and python_version < \"3.12\"",
    "pytest-cov; extra == \"testing\"",
    "coverage[toml]>=5.2.1; extra == \"toml\"",
    "requests[security,socks]>=2.25",
    "rich>=12.0.0; python_full_version >= \"3.6.3\" and python_full_version < \"4.0.0\"",
    "ruamel.yaml.clib>=0.2.7; platform_python_implementation == \"CPython\" and python_version < \"3.13\"",
    "zope.interface>=5",
    "Sphinx (<1.8.0,>=1.6.4) ; extra == 'docs'",
    "sphinx-rtd-theme>=1.0; extra == \"docs\"",
    "pip>=19.1; python_version >= \"3\"",
    "idna (<3,>=2.5) ; python_version < \"3\"",
    "graphviz; extra == \"graphviz\"",
    "pyarrow>=10.0.1; extra == \"feather\"",
    "pywinpty>=2.0.1; os_name == \"nt\"",
    "terminado>=0.8.3",
    "ptyprocess; os_name != \"nt\"",
    "pyobjc-framework-Cocoa; sys_platform == \"darwin\"",
    "readme-renderer>=35.0; extra == \"docs\"",
    "futures; python_version in \"2.6 2.7\"",
    "pathlib2; python_version in \"2.7 3.4 3.5\"",
    "scandir; python_version < \"3.5\"",
    "pywin32; os.name == \"nt\"",
    "pyreadline; sys.platform == \"win32\"",
    "jython-compat; platform.python_implementation == \"Jython\"",
    "pypy-compat; python_implementation == \"PyPy\"",
    "x86-only; platform.machine == \"x86_64\"",
    "winonly; platform.version in \"Windows\"",
    "torch @ https://download.pytorch.org/whl/cu118/torch-2.0.0%2Bcu118-cp310-cp310-linux_x86_64.whl",
    "pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686",
    "mylib @ git+https://github.com/org/mylib.git@v1.0#egg=mylib",
    "local @ file:///home/user/pkg.whl ; python_version >= \"3.8\"",
    "en-core-web-sm @ https://github.com/explosion/spacy-models/releases/download/en_core_web_sm-3.7.1/en_core_web_sm-3.7.1-py3-none-any.whl",
    "private[extra] @ git+ssh://git@gitlab.example.com/team/private.git@main ; extra == \"internal\"",
    "numpy==1.19.2; python_version == \"3.7\" and platform_machine == \"aarch64\" and platform_python_implementation != \"PyPy\"",
    "numpy (>=1.13.3) ; python_version == \"3.7\" and platform_machine != \"aarch64\" and platform_machine != \"arm64\"",
    "platformdirs>=2.5; python_version >= \"3.7\"",
    "filelock<4,>=3.12.2",
    "distlib<1,>=0.3.7",
    "virtualenv>=20.0.35; extra == \"virtualenv\"",
    "packaging>=20",
    "pluggy<2.0,>=0.12",
    "iniconfig",
    "atomicwrites>=1.0; sys_platform == \"win32\"",
    "py>=1.8.2",
    "wcwidth",
    "hypothesis>=3.56; extra == \"testing\"",
    "nose; extra == \"testing\"",
    "xmlschema; extra == \"testing\"",
    "pyobjc-core; sys_platform == \"darwin\" and platform_release >= \"20\"",
    "uvloop; implementation_version >= \"3.7\" and implementation_name == \"cpython\"",
    "gevent; platform_python_implementation == \"CPython\" and python_full_version >= \"3.8.0\"",
];

/// Optional whitespace, usually nothing or a space.
fn ws(rng: &mut Rng) -> &'static str {
    rng.pick(&["", "", "", " ", " ", "  ", "\t"])
}

const NAMES: &[&str] = &[
    "requests",
    "Django",
    "zope.interface",
    "typing_extensions",
    "pyOpenSSL",
    "ruamel.yaml",
    "A",
    "x1",
    "backports.zoneinfo",
    "Flask-SQLAlchemy",
    "jaraco.text",
    "python-dateutil",
];
const EXTRA_NAMES: &[&str] = &[
    "security",
    "socks",
    "test",
    "Foo_Bar",
    "docs",
    "dev.tools",
    "s3",
];
const URLS: &[&str] = &[
    "https://example.com/pkg-1.0.tar.gz",
    "git+https://github.com/org/repo.git@v1.0#egg=pkg",
    "file:///tmp/pkg-1.0-py3-none-any.whl",
    "https://host:8080/a/b.whl#sha256=0123abcd",
    "http://user:secret@host/x.zip?x=1&y=2",
];
const RELEASES: &[&str] = &["1", "1.0", "2.8.1", "0.9.12", "2017.4.17", "3.0.0", "10.2"];

/// A version for a requirement's specifier, of a form `operator` accepts.
fn version_for(rng: &mut Rng, operator: &str) -> String {
    let mut release = rng.pick(RELEASES).to_string();
    if operator == "~=" && !release.contains('.') {
        release.push_str(".0");
    }
    let equality = operator == "==" || operator == "!=";
    if equality && rng.chance(15) {
        return format!("{release}.*");
    }
    let mut version = release;
    if rng.chance(10) {
        version = format!("1!{version}");
    }
    if rng.chance(15) {
        version.push_str(rng.pick(&["a1", "b2", "rc1", "-beta.3"]));
    }
    if rng.chance(10) {
        version.push_str(rng.pick(&[".post1", "-2"]));
    }
    if rng.chance(10) {
        version.push_str(".dev0");
    }
    if equality && rng.chance(10) {
        version.push_str("+ubuntu.1");
    }
    version
}

fn specifiers(rng: &mut Rng) -> String {
    let count = 1 + rng.below(3);
    let mut clauses = Vec::new();
    for _ in 0..count {
        let operator = rng.pick(&["==", "!=", "<=", ">=", "<", ">", "~=", "==="]);
        let version = version_for(rng, operator);
        clauses.push(format!("{operator}{}{version}{}", ws(rng), ws(rng)));
    }
    let separator = format!(",{}", ws(rng));
    let joined = clauses.join(&separator);
    if rng.chance(30) {
        format!("{}({}{joined})", ws(rng), ws(rng))
    } else {
        format!("{}{joined}", ws(rng))
    }
}

/// A comparison of a form on which packaging and the current spec agree.
fn expression(rng: &mut Rng) -> String {
    let quote = rng.pick(&["'", "\""]);
    let q = |value: &str| format!("{quote}{value}{quote}");
    let (l, r) = (ws(rng), ws(rng));
    match rng.below(10) {
        0..=3 => {
            let variable = rng.pick(&[
                "python_version",
                "python_full_version",
                "implementation_version",
                "platform_release",
            ]);
            let operator = rng.pick(&[
                "==", "!=", "<", "<=", ">", ">=", "~=", "===", "in", "not in",
            ]);
            let value = match operator {
                "in" | "not in" => rng
                    .pick(&["2.7 3.4 3.5", "3.1", "3", "2.6 2.7", "7.3"])
                    .to_string(),
                "~=" => rng
                    .pick(&["3.8", "3.11.0", "2.7", "7.3", "5.15"])
                    .to_string(),
                "==" | "!=" if rng.chance(20) => rng.pick(&["3.*", "3.11.*", "2.*"]).to_string(),
                _ => rng
                    .pick(&[
                        "3.8", "3.11", "2.7", "3.6.2", "3.12.0", "3", "7.3.13", "5.15", "6", "0",
                    ])
                    .to_string(),
            };
            // A release that is no version compares as a string, where packaging
            // cannot tell `!=` (see `DIVERGENCES`). A literal on the left is the
            // version tested: packaging finds no `!=` for a wildcard there, and `~=`
            // then needs the environment's value to have two components.
            let ordered = !matches!(operator, "in" | "not in");
            if variable == "platform_release" && operator == "!=" {
                return format!("{variable}{l}=={r}{}", q(&value));
            }
            let literal_first = ordered
                && operator != "~="
                && variable != "platform_release"
                && !value.contains('*');
            if literal_first && rng.chance(20) {
                return format!("{}{l}{operator}{r}{variable}", q(&value));
            }
            let value = if operator == ">=" && rng.chance(15) {
                format!("{value}.0rc1")
            } else {
                value
            };
            let space = if operator.contains(' ') || operator == "in" {
                " "
            } else {
                ""
            };
            format!("{variable}{l}{space}{operator}{space}{r}{}", q(&value))
        }
        4..=7 => {
            let (variable, values): (&str, &[&str]) = rng.pick(&[
                ("os_name", &["posix", "nt", "java"]),
                ("os.name", &["posix", "nt"]),
                (
                    "sys_platform",
                    &["linux", "win32", "darwin", "cygwin", "linux2"],
                ),
                ("sys.platform", &["linux", "win32"]),
                ("platform_system", &["Linux", "Windows", "Darwin", "Java"]),
                (
                    "platform_machine",
                    &["x86_64", "AMD64", "arm64", "aarch64", "i686"],
                ),
                ("platform.machine", &["x86_64", "arm64"]),
                (
                    "platform_python_implementation",
                    &["CPython", "PyPy", "Jython"],
                ),
                ("platform.python_implementation", &["CPython", "PyPy"]),
                ("python_implementation", &["CPython", "PyPy"]),
                ("implementation_name", &["cpython", "pypy"]),
                ("platform_version", &["#1 SMP", "Darwin Kernel", "Ubuntu"]),
                ("platform.version", &["#1 SMP", "PREEMPT"]),
            ]);
            let value = rng.pick(values);
            let operator = rng.pick(&["==", "!=", "in", "not in"]);
            let padded = match operator {
                "in" | "not in" => format!(" {operator} "),
                _ => format!("{l}{operator}{r}"),
            };
            if operator == "in" && rng.chance(50) {
                let fragment = value.get(..2).unwrap_or(value);
                return format!("{}{padded}{variable}", q(fragment));
            }
            format!("{variable}{padded}{}", q(value))
        }
        _ => {
            let operator = rng.pick(&["==", "!="]);
            let value = rng.pick(&["test", "security", "foo-bar", "docs"]);
            if rng.chance(20) {
                format!("{}{l}{operator}{r}extra", q(value))
            } else {
                format!("extra{l}{operator}{r}{}", q(value))
            }
        }
    }
}

fn marker(rng: &mut Rng, depth: usize) -> String {
    if depth == 0 || rng.chance(45) {
        return expression(rng);
    }
    let keyword = rng.pick(&["and", "or"]);
    let count = 2 + rng.below(2);
    let parts: Vec<String> = (0..count)
        .map(|_| {
            let inner = marker(rng, depth - 1);
            if rng.chance(40) {
                format!("({}{inner}{})", ws(rng), ws(rng))
            } else {
                inner
            }
        })
        .collect();
    parts.join(&format!(" {keyword} "))
}

/// Damages a requirement in one of the ways both implementations reject.
fn corrupt(rng: &mut Rng, case: &str) -> String {
    let in_marker = case.find(';');
    let name_start = case.len() - case.trim_start().len();
    let name_end = case[name_start..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || ".-_".contains(c)))
        .map_or(case.len(), |i| name_start + i);
    let (name, rest) = case.split_at(name_end);
    for _ in 0..20 {
        let damaged = match rng.below(14) {
            0 => format!("{name}-{rest}"),
            1 if case.contains(']') => case.replacen(']', "", 1),
            2 if case.contains("[") && case.contains(',') && case.find(',') < case.find(']') => {
                case.replacen(',', " ", 1)
            }
            3 if case.contains(">=") && in_marker.is_none_or(|m| case.find(">=") < Some(m)) => {
                case.replacen(">=", "=>", 1)
            }
            4 if case.contains(')') && !case.contains(';') => case.replacen(')', "", 1),
            5 => match in_marker {
                Some(m) => format!("{}; python_versoin == '3'", &case[..m]),
                None => format!("{case}; python_versoin == '3'"),
            },
            6 if case.ends_with(['\'', '"']) => case[..case.len() - 1].to_string(),
            7 if in_marker.is_some() => format!("{case} and"),
            8 if in_marker.is_some() => format!("{case} ;"),
            9 if in_marker.is_none() => format!("{case} ;"),
            10 if case.contains(" not in ") => case.replacen(" not in ", " not ", 1),
            11 if case.contains('@') => {
                let end = case.find(" ;").unwrap_or(case.len());
                let at = case.find('@').unwrap_or(0);
                format!("{}@{}", &case[..at], &case[end..])
            }
            12 if in_marker.is_some() && case.contains(" == ") => case.replacen(" == ", " = ", 1),
            13 => format!("{name} 1.0{rest}"),
            _ => continue,
        };
        return damaged;
    }
    format!("{case} ;")
}

fn generated_cases() -> Vec<String> {
    let mut rng = Rng::seeded(0x5eed_0508);
    let mut cases = Vec::new();
    while cases.len() < 600 {
        let mut case = format!("{}{}", ws(&mut rng), rng.pick(NAMES));
        if rng.chance(30) {
            let count = rng.below(4);
            let extras: Vec<&str> = (0..count).map(|_| rng.pick(EXTRA_NAMES)).collect();
            let separator = format!("{},{}", ws(&mut rng), ws(&mut rng));
            case += &format!(
                "{}[{}{}{}]",
                ws(&mut rng),
                ws(&mut rng),
                extras.join(&separator),
                ws(&mut rng)
            );
        }
        let url = rng.chance(12);
        if url {
            case += &format!("{}@{}{}", ws(&mut rng), ws(&mut rng), rng.pick(URLS));
        } else if rng.chance(55) {
            case += &specifiers(&mut rng);
        }
        // packaging ends a URL at a space only, not at a tab.
        if rng.chance(50) {
            let before = if url {
                rng.pick(&[" ", "  "])
            } else {
                ws(&mut rng)
            };
            case += &format!("{before};{}{}", ws(&mut rng), marker(&mut rng, 3));
        } else if url {
            case += rng.pick(&["", " "]);
        }
        if !url {
            case += ws(&mut rng);
        }
        if rng.chance(20) {
            case = corrupt(&mut rng, &case);
        }
        cases.push(case);
    }
    cases
}

/// The oracle: one JSON line per case, `null` when packaging rejects it.
const ORACLE: &str = r#"
import json
from packaging.requirements import Requirement, InvalidRequirement
from packaging.utils import canonicalize_name

ENVIRONMENTS = json.loads(r'''ENVIRONMENTS_JSON''')
EXTRAS = [[], ["test"], ["foo-bar", "security"]]

def evaluate(marker, environment, extras):
    try:
        return any(marker.evaluate(dict(environment, extra=e)) for e in extras or [""])
    except Exception as e:
        return type(e).__name__

def describe(text):
    try:
        r = Requirement(text)
    except InvalidRequirement:
        return None
    return {
        "name": canonicalize_name(r.name),
        "extras": sorted({canonicalize_name(e) for e in r.extras}),
        "clauses": [[s.operator, s.version] for s in r.specifier],
        "url": r.url,
        "marker": str(r.marker) if r.marker else None,
        "evaluations": [[evaluate(r.marker, env, x) for x in EXTRAS] for env in ENVIRONMENTS]
        if r.marker
        else [],
        "printed": str(r),
    }

with open(sys.argv[1]) as f:
    cases = [json.loads(line) for line in f.read().split("\n")]
with open(sys.argv[2], "w") as f:
    f.write("\n".join(json.dumps(describe(c)) for c in cases))
"#;

/// The fixed environments plus this machine's, as packaging sees it.
fn environments() -> Vec<Vec<(String, String)>> {
    let script = "import json\nfrom packaging.markers import default_environment\n\
                  open(sys.argv[2], 'w').write(json.dumps(default_environment()))\n";
    let answer = packaging_oracle(script, &["-".to_string()]);
    let here: Map<String, Value> = serde_json::from_str(&answer[0]).expect("environment JSON");
    let mut all: Vec<Vec<(String, String)>> = ENVIRONMENTS
        .iter()
        .map(|env| {
            env.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect();
    all.push(
        here.into_iter()
            .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
            .collect(),
    );
    all
}

/// packaging's verdicts on `cases`.
fn ask_packaging(environments: &[Vec<(String, String)>], cases: &[String]) -> Vec<Value> {
    let json: Vec<Map<String, Value>> = environments
        .iter()
        .map(|env| {
            env.iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect()
        })
        .collect();
    let json = serde_json::to_string(&json).expect("environments JSON");
    let script = ORACLE.replace("ENVIRONMENTS_JSON", &json);
    let encoded: Vec<String> = cases
        .iter()
        .map(|c| serde_json::to_string(c).expect("case JSON"))
        .collect();
    packaging_oracle(&script, &encoded)
        .iter()
        .map(|line| serde_json::from_str(line).expect("oracle JSON"))
        .collect()
}

/// The clauses of curd's specifiers, as (operator, version) pairs.
fn our_clauses(requirement: &Requirement) -> Vec<(String, String)> {
    let Some(VersionOrUrl::VersionSpecifier(specifiers)) = &requirement.version_or_url else {
        return Vec::new();
    };
    specifiers
        .to_string()
        .split(',')
        .map(|clause| {
            let clause = clause.trim();
            let operator = ["===", "==", "!=", "<=", ">=", "~=", "<", ">"]
                .into_iter()
                .find(|op| clause.starts_with(op))
                .unwrap_or("");
            (
                operator.to_string(),
                clause[operator.len()..].trim().to_string(),
            )
        })
        .collect()
}

fn same_version(a: &str, b: &str) -> bool {
    match (a.parse::<Version>(), b.parse::<Version>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.eq_ignore_ascii_case(b),
    }
}

/// Whether two clause lists are the same set, versions compared by meaning.
fn same_clauses(ours: &[(String, String)], theirs: &[(String, String)]) -> bool {
    let within = |a: &[(String, String)], b: &[(String, String)]| {
        a.iter()
            .all(|(o, v)| b.iter().any(|(p, w)| o == p && same_version(v, w)))
    };
    within(ours, theirs) && within(theirs, ours)
}

/// Differences between curd's reading of a requirement and packaging's description.
fn compare_parts(ours: &Requirement, theirs: &Value, problems: &mut Vec<String>) {
    let name = theirs["name"].as_str().unwrap_or_default();
    if ours.name.as_str() != name {
        problems.push(format!("name: ours {}, packaging {name}", ours.name));
    }
    let our_extras: Vec<&str> = ours.extras.iter().map(ExtraName::as_str).collect();
    let their_extras: Vec<&str> = theirs["extras"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if our_extras != their_extras {
        problems.push(format!(
            "extras: ours {our_extras:?}, packaging {their_extras:?}"
        ));
    }
    let their_clauses: Vec<(String, String)> = theirs["clauses"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|pair| {
                    let part = |i: usize| pair[i].as_str().unwrap_or_default().to_string();
                    (part(0), part(1))
                })
                .collect()
        })
        .unwrap_or_default();
    let our_clauses = our_clauses(ours);
    if !same_clauses(&our_clauses, &their_clauses) {
        problems.push(format!(
            "specifiers: ours {our_clauses:?}, packaging {their_clauses:?}"
        ));
    }
    let our_url = match &ours.version_or_url {
        Some(VersionOrUrl::Url(url)) => Some(url.as_str()),
        _ => None,
    };
    if our_url != theirs["url"].as_str() {
        problems.push(format!(
            "url: ours {our_url:?}, packaging {}",
            theirs["url"]
        ));
    }
    let their_marker = theirs["marker"]
        .as_str()
        .map(|m| m.parse::<MarkerTree>().map_err(|e| e.to_string()));
    match (&ours.marker, their_marker) {
        (None, None) => {}
        (Some(ours), Some(Ok(theirs))) if *ours == theirs => {}
        (ours, theirs) => problems.push(format!(
            "marker: ours {:?}, packaging's printed {theirs:?}",
            ours.as_ref().map(ToString::to_string)
        )),
    }
}

/// What curd and packaging disagree about on each case (empty when nothing).
fn disagreements(cases: &[String]) -> Vec<Vec<String>> {
    let environments = environments();
    let marker_environments: Vec<MarkerEnvironment> = environments
        .iter()
        .map(|env| MarkerEnvironment::from_map(env.iter().cloned()).expect("environment"))
        .collect();
    let extras: Vec<Vec<ExtraName>> = EXTRAS
        .iter()
        .map(|set| {
            set.iter()
                .map(|e| ExtraName::new(e).expect("extra"))
                .collect()
        })
        .collect();
    let verdicts = ask_packaging(&environments, cases);

    let mut printed = Vec::new();
    let mut results: Vec<Vec<String>> = Vec::new();
    for (case, theirs) in cases.iter().zip(&verdicts) {
        let mut problems = Vec::new();
        match (case.parse::<Requirement>(), theirs.is_null()) {
            (Err(error), true) => {
                let message = error.to_string();
                let span = error.span();
                if message.lines().count() != 3 || span.end > case.len() {
                    problems.push(format!("malformed error (span {span:?}):\n{message}"));
                }
            }
            (Err(error), false) if undefined_everywhere(&error, theirs) => {}
            (Err(error), false) => {
                problems.push(format!("curd rejects, packaging accepts:\n{error}"))
            }
            (Ok(ours), true) => problems.push(format!("curd accepts as {ours}, packaging rejects")),
            (Ok(ours), false) => {
                compare_parts(&ours, theirs, &mut problems);
                if let (Some(marker), Some(rows)) = (&ours.marker, theirs["evaluations"].as_array())
                {
                    for ((env, row), name) in marker_environments.iter().zip(rows).zip(0..) {
                        for (set, expected) in
                            extras.iter().zip(row.as_array().into_iter().flatten())
                        {
                            let actual = marker.evaluate(env, set);
                            if expected.as_bool() != Some(actual) {
                                problems.push(format!(
                                    "evaluation in environment {name} with extras {set:?}: ours {actual}, packaging {expected}"
                                ));
                            }
                        }
                    }
                }
                match theirs["printed"].as_str().map(str::parse::<Requirement>) {
                    Some(Ok(reparsed)) => {
                        let mut again = Vec::new();
                        compare_parts(&reparsed, theirs, &mut again);
                        problems.extend(
                            again
                                .into_iter()
                                .map(|p| format!("packaging's printed form: {p}")),
                        );
                    }
                    other => problems.push(format!("packaging's printed form: {other:?}")),
                }
                printed.push((results.len(), ours));
            }
        }
        results.push(problems);
    }

    // curd's printed forms must mean the same to packaging.
    let texts: Vec<String> = printed.iter().map(|(_, r)| r.to_string()).collect();
    if texts.is_empty() {
        return results;
    }
    let verdicts = ask_packaging(&environments, &texts);
    for (((i, ours), text), theirs) in printed.iter().zip(&texts).zip(&verdicts) {
        let mut problems = Vec::new();
        if theirs.is_null() {
            problems.push("packaging rejects it".to_string());
        } else {
            compare_parts(ours, theirs, &mut problems);
        }
        results[*i].extend(
            problems
                .into_iter()
                .map(|p| format!("printed as {text:?}: {p}")),
        );
    }
    results
}

/// Fails listing every disagreement; `all_valid` cases must also parse on both sides.
fn assert_agreement(cases: &[String], all_valid: bool) {
    let mut results = disagreements(cases);
    if all_valid {
        for (case, problems) in cases.iter().zip(&mut results) {
            if problems.is_empty() && case.parse::<Requirement>().is_err() {
                problems.push("both reject it".to_string());
            }
        }
    }
    let report: Vec<String> = cases
        .iter()
        .zip(&results)
        .filter(|(_, problems)| !problems.is_empty())
        .map(|(case, problems)| format!("{case:?}\n  {}", problems.join("\n  ")))
        .collect();
    assert!(
        report.is_empty(),
        "{} of {} cases disagree with packaging:\n{}",
        report.len(),
        cases.len(),
        report.join("\n")
    );
}

#[test]
fn generated_requirements_agree_with_packaging() {
    assert_agreement(&generated_cases(), false);
}

#[test]
fn real_world_requirements_agree_with_packaging() {
    let cases: Vec<String> = REAL_WORLD.iter().map(|c| c.to_string()).collect();
    assert_agreement(&cases, true);
}

/// Whether curd refused a comparison that packaging parses but cannot evaluate in
/// any environment.
fn undefined_everywhere(error: &impl std::fmt::Display, theirs: &Value) -> bool {
    let undefined = |v: &Value| v.as_str() == Some("UndefinedComparison");
    error
        .to_string()
        .contains("between strings it is undefined")
        && theirs["evaluations"].as_array().is_some_and(|rows| {
            !rows.is_empty()
                && rows
                    .iter()
                    .all(|row| row.as_array().is_some_and(|r| r.iter().all(undefined)))
        })
}

#[test]
fn undefined_comparisons_are_refused_where_packaging_cannot_evaluate_them() {
    let cases: Vec<String> = [
        "name; os_name === 'posix'",
        "name; sys_platform ~= 'linux'",
        "name; python_version ~= '3'",
        "name; extra === 'test'",
        "name; python_version >= '3' and platform_machine === 'x86_64'",
    ]
    .map(String::from)
    .to_vec();
    for case in &cases {
        assert!(case.parse::<Requirement>().is_err(), "{case}");
    }
    let results = disagreements(&cases);
    for (case, problems) in cases.iter().zip(&results) {
        assert!(problems.is_empty(), "{case}: {problems:?}");
    }
}

#[test]
fn divergences_from_packaging_are_real() {
    let cases: Vec<String> = DIVERGENCES.iter().map(|(c, _)| c.to_string()).collect();
    let results = disagreements(&cases);
    let vanished: Vec<String> = DIVERGENCES
        .iter()
        .zip(&results)
        .filter(|(_, problems)| problems.is_empty())
        .map(|((case, reason), _)| format!("{case:?} ({reason})"))
        .collect();
    assert!(
        vanished.is_empty(),
        "listed as divergences but agreeing with packaging:\n{}",
        vanished.join("\n")
    );
}
