//! Differential tests of `curd::standards::version` and `curd::standards::specifier` against packaging
//! 21.3, the reference implementation pip vendors.
//!
//! Cases come from a fixed seed, so a failure reproduces, plus real-world versions
//! and hand-picked edge cases. Where packaging 21.3 disagrees with the current
//! spec, the oracle script carries the upstream fix (each listed in `FIXES` with
//! its reason), the test compares against the fixed answer, and `DIVERGENCES`
//! pins concrete cases per fix where 21.3 itself answers otherwise. Where curd
//! deliberately refuses what packaging accepts, `REFUSED` lists the cases.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use curd::standards::specifier::{VersionSpecifier, VersionSpecifiers};
use curd::standards::version::{PrereleaseKind, Version};

use crate::support::python::packaging_oracle;
use crate::support::rng::Rng;

/// Python run before every oracle script: case decoding, and the fixes applied to
/// packaging 21.3 when `fixed(True)` is called, each where 21.3 contradicts the
/// current spec:
///
/// 1. Prefix matching zero-pads the candidate before shortening it, and compares
///    normalized spellings and epochs (pypa/packaging#559, fixed in 22.0 by #564).
/// 2. `~=` builds its prefix from the normalized version, not the raw spelling, so
///    `~=2.2.c1` means `>=2.2rc1,==2.*` as the spec says.
/// 3. `SpecifierSet.filter` keeps pre-releases when no final release matches, as
///    `Specifier.filter` does and the spec asks (pypa/packaging#856, fixed by #897).
const PRELUDE: &str = r#"
import itertools, re
from pip._vendor.packaging.version import Version, InvalidVersion
from pip._vendor.packaging import specifiers as S
from pip._vendor.packaging.specifiers import Specifier, SpecifierSet, InvalidSpecifier
cases = [bytes.fromhex(l).decode() for l in open(sys.argv[1]).read().split("\n")]
out = []
def done():
    open(sys.argv[2], "w").write("\n".join(out))

ORIGINAL_EQUAL = Specifier._compare_equal
ORIGINAL_COMPATIBLE = Specifier._compare_compatible
_prefix = re.compile(r"^([0-9]+)((?:a|b|c|rc)[0-9]+)$")
def _split(version):
    epoch, _, rest = version.rpartition("!")
    result = [epoch or "0"]
    for item in rest.split("."):
        m = _prefix.search(item)
        result.extend(m.groups() if m else [item])
    return result
def _equal(self, prospective, spec):
    if not spec.endswith(".*"):
        return ORIGINAL_EQUAL(self, prospective, spec)
    p = _split(str(Version(prospective.public)))
    s = _split(str(Version(spec[:-2])))
    padded, _ = S._pad_version(p, s)
    return padded[: len(s)] == s
def _compatible(self, prospective, spec):
    spec = str(Version(spec))
    prefix = ".".join(list(itertools.takewhile(S._is_not_suffix, S._version_split(spec)))[:-1])
    return self._get_operator(">=")(prospective, spec) and self._get_operator("==")(prospective, prefix + ".*")
def fixed(on):
    Specifier._compare_equal = _equal if on else ORIGINAL_EQUAL
    Specifier._compare_compatible = _compatible if on else ORIGINAL_COMPATIBLE
def fixed_filter(ss, items, prereleases):
    matched = [i for i, v in enumerate(items) if ss.contains(v, prereleases=True)]
    if (prereleases if prereleases is not None else ss.prereleases):
        return matched
    finals = [i for i in matched if not items[i].is_prerelease]
    return finals if finals or prereleases is not None else matched
def prereleases(p):
    return {"None": None, "True": True, "False": False}[p]
"#;

/// A case where unfixed packaging 21.3 answers otherwise than the spec.
struct Divergence {
    set: &'static str,
    candidates: &'static [&'static str],
    prereleases: Option<bool>,
    /// What the spec answers: the indices of the candidates kept by `filter`.
    kept: &'static [usize],
}

const fn diverges(
    set: &'static str,
    candidate: &'static [&'static str],
    kept: &'static [usize],
) -> Divergence {
    Divergence {
        set,
        candidates: candidate,
        prereleases: None,
        kept,
    }
}

/// Concrete cases per fix of `PRELUDE`.
const DIVERGENCES: &[Divergence] = &[
    // Fix 1: `1.post1` is `1.0.0.post1`, which starts with `1.0.0`.
    diverges("==1.0.0.*", &["1.post1"], &[0]),
    diverges("==1!1.0.*", &["1!1"], &[0]),
    diverges("~=1.0.0", &["1.post1"], &[0]),
    diverges("==01.0.*", &["1.0"], &[0]),
    // Fix 2: the suffix is ignored, so the prefix is `2.*`.
    diverges("~=2.2.c1", &["2.5"], &[0]),
    diverges("~=v2.2", &["2.5"], &[0]),
    // Fix 3: no final release matches, so the pre-release is kept.
    diverges(">=1.2.3", &["1.2", "1.5a1"], &[1]),
    diverges("<=2.0", &["1.0a1"], &[0]),
];

/// Versions packaging accepts and curd refuses on purpose.
const REFUSED: &[(&str, &str)] = &[
    (
        "18446744073709551616",
        "numbers are u64 here; packaging's are unbounded",
    ),
    (
        "1.0.post99999999999999999999",
        "numbers are u64 here; packaging's are unbounded",
    ),
    (
        "1.0+\u{212a}",
        "the spec allows ASCII letters only; packaging's case-insensitive regex folds the Kelvin sign to `k`",
    ),
    (
        "\u{a0}1.0",
        "the spec names ASCII whitespace; packaging's `\\s` also strips Unicode spaces",
    ),
];

/// Clauses packaging accepts and curd refuses on purpose.
const REFUSED_SPECIFIERS: &[(&str, &str)] = &[
    ("===", "PEP 508's grammar requires a version after `===`"),
    (
        ">=1.0,",
        "the spec's grammar has no empty clause; SpecifierSet drops them",
    ),
    (">=1.0,,<2", "the spec's grammar has no empty clause"),
];

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Runs `script` after `PRELUDE` on `cases`, which may hold any characters.
fn oracle(script: &str, cases: &[String]) -> Vec<String> {
    let encoded: Vec<String> = cases.iter().map(|c| hex(c)).collect();
    packaging_oracle(&format!("{PRELUDE}{script}\ndone()\n"), &encoded)
}

/// Fails listing every mismatch (up to a limit) with its case.
fn report(what: &str, mismatches: &[String], total: usize) {
    if mismatches.is_empty() {
        return;
    }
    let shown: Vec<&str> = mismatches.iter().take(60).map(String::as_str).collect();
    panic!(
        "{} of {total} {what} cases disagree with packaging:\n{}",
        mismatches.len(),
        shown.join("\n")
    );
}

/// A version built from parts, to spell in many ways.
#[derive(Clone)]
struct Parts {
    epoch: u64,
    release: Vec<u64>,
    pre: Option<(usize, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
    local: Option<Vec<String>>,
}

fn number(rng: &mut Rng) -> u64 {
    match rng.below(20) {
        0 => rng.next() % 1_000_000,
        1 => rng.next() % 100_000_000,
        2 => rng.next() % 1_000,
        _ => rng.next() % 12,
    }
}

fn random_parts(rng: &mut Rng) -> Parts {
    let len = 1 + rng.below(5);
    Parts {
        epoch: if rng.chance(10) { number(rng) } else { 0 },
        release: (0..len).map(|_| number(rng)).collect(),
        pre: rng.chance(30).then(|| (rng.below(3), number(rng))),
        post: rng.chance(25).then(|| number(rng)),
        dev: rng.chance(25).then(|| number(rng)),
        local: rng.chance(20).then(|| {
            (0..1 + rng.below(3))
                .map(|_| {
                    rng.pick(&[
                        "ubuntu", "1", "01", "cpu", "cu118", "a", "Z9", "0", "abc", "12",
                    ])
                    .to_string()
                })
                .collect()
        }),
    }
}

fn random_case(rng: &mut Rng, s: &str) -> String {
    s.chars()
        .map(|c| {
            if rng.chance(30) {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

/// Spells `p`, normalized or in any of the alternate spellings the spec allows.
fn spell(p: &Parts, rng: &mut Rng, normalized: bool) -> String {
    let mut s = String::new();
    let num = |rng: &mut Rng, n: u64| {
        if !normalized && rng.chance(10) {
            format!("00{n}")
        } else {
            n.to_string()
        }
    };
    let sep = |rng: &mut Rng| -> &'static str {
        if normalized {
            ""
        } else {
            rng.pick(&["", "", ".", "-", "_"])
        }
    };
    if !normalized && rng.chance(10) {
        s.push_str(rng.pick(&["v", "V"]));
    }
    if p.epoch != 0 || (!normalized && rng.chance(5)) {
        s += &format!("{}!", num(rng, p.epoch));
    }
    let release: Vec<String> = p.release.iter().map(|&n| num(rng, n)).collect();
    s += &release.join(".");
    if let Some((kind, n)) = p.pre {
        let labels: &[&str] = match kind {
            0 => &["a", "alpha"],
            1 => &["b", "beta"],
            _ => &["rc", "c", "pre", "preview"],
        };
        let label = if normalized {
            labels[0]
        } else {
            rng.pick(labels)
        };
        s += sep(rng);
        s += &random_case(rng, label);
        if normalized || n != 0 || rng.chance(50) {
            s += sep(rng);
            s += &num(rng, n);
        }
    }
    if let Some(n) = p.post {
        if normalized {
            s += &format!(".post{n}");
        } else if rng.chance(20) {
            s += &format!("-{}", num(rng, n));
        } else {
            s += sep(rng);
            let label = rng.pick(&["post", "rev", "r"]);
            s += &random_case(rng, label);
            if n != 0 || rng.chance(50) {
                s += sep(rng);
                s += &num(rng, n);
            }
        }
    }
    if let Some(n) = p.dev {
        if normalized {
            s += &format!(".dev{n}");
        } else {
            s += sep(rng);
            s += &random_case(rng, "dev");
            if n != 0 || rng.chance(50) {
                s += sep(rng);
                s += &num(rng, n);
            }
        }
    }
    if let Some(local) = &p.local {
        s.push('+');
        for (i, segment) in local.iter().enumerate() {
            if i > 0 {
                s += if normalized {
                    "."
                } else {
                    rng.pick(&[".", "-", "_"])
                };
            }
            s += &if normalized {
                segment.to_ascii_lowercase()
            } else {
                random_case(rng, segment)
            };
        }
    }
    if !normalized && rng.chance(5) {
        s = format!(
            "{}{s}{}",
            rng.pick(&[" ", "\t", "\n"]),
            rng.pick(&["", " ", "\r\n", "\x0b\x0c"])
        );
    }
    s
}

/// Breaks a spelling at one place, to probe what is rejected.
fn mutate(rng: &mut Rng, s: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789.-_+!*abcdeilnoprstvwxyzRCV ";
    let mut b = s.as_bytes().to_vec();
    let at = rng.below(b.len() + 1);
    let c = rng.pick(ALPHABET);
    match rng.below(3) {
        0 => b.insert(at, c),
        1 if at < b.len() => {
            b.remove(at);
        }
        _ if at < b.len() => b[at] = c,
        _ => b.push(c),
    }
    String::from_utf8(b).expect("ASCII stays UTF-8")
}

const REAL_WORLD: &[&str] = &[
    "2.31.0",
    "1.26.4",
    "0.0.1",
    "2023.10.1",
    "1.0.0rc1",
    "3.12.0b4",
    "4.0.0.dev0",
    "1!2.0",
    "0.1.0.post1",
    "2.0.0a1",
    "1.2.3+cpu",
    "2.1.0+cu118",
    "1.13.1+rocm5.2",
    "0.4.2+computecanada",
    "20.2b1",
    "1.0.0-beta.2",
    "1.0.0-rc.1",
    "2.0.0-alpha",
    "v2.3.4",
    "1.0-SNAPSHOT",
    "1.0.0-final",
    "latest",
    "0.9.8-r1",
    "1.2.3.4.5.6",
    "2013b",
    "2013.7",
    "0.1dev",
    "1.0.post1.dev3",
    "19.10b0",
    "1.0.0.dev20230101",
    "3.0.0rc2",
    "1.1.1t",
    "2.0.0-preview.1",
    "5.0.0.0a1",
    "0.0.0",
    "00.01",
    "1.0a2.post3.dev4+ubuntu-1_2.x",
    "0.1.0-dev",
    "1.0.0.Final",
    "2.7.18",
    "3.6.15",
    "1.0c1",
    "1.0C2",
    "1.0.0-1",
    "1.0.0_1",
    "1.0r2",
    "1.0REV3",
    "1.0-post4",
    "1.0..0",
    "1.0.",
    ".1.0",
    "1.0+",
    "1.0+ubuntu..1",
    "1.0+-x",
    "1.0+x-",
    "1!",
    "!1.0",
    "1!!1.0",
    "1.0a1a2",
    "1.0.post1.post2",
    "1.0.dev1.dev2",
    "1.0-dev",
    "1.0-",
    "1.0a.",
    "1.0a..post1",
    "1.0.dev_",
    "1.0a-1",
    "1.0a--1",
    "1.0+00.1",
    "",
    " ",
    "v",
    "V1",
    "vv1",
    "1.0 ",
    "\t1.0\n",
    "1.0\x0b",
    "1 .0",
    "1. 0",
    "18446744073709551615",
    "1.18446744073709551615",
    "0!18446744073709551615",
    "1.0+18446744073709551616",
    "1.0.dev18446744073709551615",
    "0!0",
    "1.0.0.0.0.0.0",
    "1.0b2.post345.dev456",
    "1.0b2-345",
    "1.0-1.dev2",
    "1.0a1-1",
    "1.0.a1",
    "1.0-a-1",
    "1.0_rc_1",
    "1.0.preview-1",
    "1.0pre",
    "1.0prev1",
    "1.0+ABC.Def",
    "1.0+1.0",
    "1.0+a_b-c.d",
    "0.1.0b1.dev5+g1234abc.d20240101",
    "2.0.0+git.abc",
];

fn show(v: &Version) -> String {
    let none = || "None".to_string();
    let pre = v.pre().map_or_else(none, |p| {
        let label = match p.kind {
            PrereleaseKind::Alpha => "a",
            PrereleaseKind::Beta => "b",
            PrereleaseKind::Rc => "rc",
        };
        format!("{label}{}", p.number)
    });
    let release: Vec<String> = v.release().iter().map(u64::to_string).collect();
    format!(
        "{v} {} {} {} {} {} {} {} {} {pre} {} {}",
        u8::from(v.is_prerelease()),
        u8::from(v.is_postrelease()),
        u8::from(v.is_devrelease()),
        v.local().unwrap_or("None"),
        v.public(),
        v.base_version(),
        v.epoch(),
        release.join("."),
        v.post().map_or_else(none, |n| n.to_string()),
        v.dev().map_or_else(none, |n| n.to_string()),
    )
}

const SHOW_SCRIPT: &str = r#"
for s in cases:
    try:
        v = Version(s)
    except InvalidVersion:
        out.append("err")
        continue
    out.append(" ".join(map(str, [v, int(v.is_prerelease), int(v.is_postrelease),
        int(v.is_devrelease), v.local, v.public, v.base_version, v.epoch,
        ".".join(map(str, v.release)), "".join(map(str, v.pre)) if v.pre else None,
        v.post, v.dev])))
"#;

/// Real-world, hand-picked and random spellings, valid and broken.
fn version_cases() -> Vec<String> {
    let mut rng = Rng::seeded(0x5eed_0440);
    let mut cases: Vec<String> = REAL_WORLD.iter().map(|s| s.to_string()).collect();
    for _ in 0..2500 {
        let parts = random_parts(&mut rng);
        let normalized = rng.chance(20);
        let spelled = spell(&parts, &mut rng, normalized);
        cases.push(if rng.chance(25) {
            mutate(&mut rng, &spelled)
        } else {
            spelled
        });
    }
    cases
}

#[test]
fn versions_parse_and_normalize_like_packaging() {
    let cases = version_cases();
    let expected = oracle(SHOW_SCRIPT, &cases);
    let mut mismatches = Vec::new();
    for (case, want) in cases.iter().zip(&expected) {
        let got = case
            .parse::<Version>()
            .map_or_else(|_| "err".to_string(), |v| show(&v));
        if &got != want {
            mismatches.push(format!("{case:?}: curd `{got}`, packaging `{want}`"));
        }
    }
    report("version", &mismatches, cases.len());
    let valid = expected.iter().filter(|e| *e != "err").count();
    eprintln!("{} version cases, {valid} valid", cases.len());
}

#[test]
fn refused_versions_are_listed_on_purpose() {
    let cases: Vec<String> = REFUSED.iter().map(|(s, _)| s.to_string()).collect();
    let expected = oracle(SHOW_SCRIPT, &cases);
    for ((case, reason), want) in REFUSED.iter().zip(&expected) {
        assert_ne!(want, "err", "packaging refuses {case:?} too, unlist it");
        assert!(case.parse::<Version>().is_err(), "{case:?}: {reason}");
    }
}

/// Versions that collide and straddle each other: every suffix combination over
/// a few releases, with locals, in normalized and alternate spellings.
fn ordering_cases(rng: &mut Rng) -> Vec<String> {
    let mut cases = Vec::new();
    let releases: &[&[u64]] = &[&[0], &[1], &[1, 0], &[1, 0, 0], &[1, 0, 1], &[1, 1], &[2]];
    let pres = [
        None,
        Some((0, 0)),
        Some((0, 1)),
        Some((1, 1)),
        Some((2, 0)),
        Some((2, 1)),
    ];
    let locals: &[Option<&[&str]>] = &[
        None,
        Some(&["a"]),
        Some(&["1"]),
        Some(&["a", "1"]),
        Some(&["1", "a"]),
        Some(&["01"]),
        Some(&["b"]),
        Some(&["10"]),
        Some(&["9"]),
    ];
    for release in releases {
        for pre in pres {
            for post in [None, Some(0), Some(1)] {
                for dev in [None, Some(0), Some(2)] {
                    let local = rng.pick(locals);
                    let parts = Parts {
                        epoch: if rng.chance(5) { 1 } else { 0 },
                        release: release.to_vec(),
                        pre,
                        post,
                        dev,
                        local: local.map(|l| l.iter().map(|s| s.to_string()).collect()),
                    };
                    let normalized = rng.chance(50);
                    cases.push(spell(&parts, rng, normalized));
                }
            }
        }
    }
    for _ in 0..120 {
        cases.push(spell(&random_parts(rng), rng, false));
    }
    cases
}

#[test]
fn ordering_matches_packaging_pairwise() {
    let mut rng = Rng::seeded(0x0d3e_0440);
    let mut versions: Vec<Version> = ordering_cases(&mut rng)
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    versions.sort();
    let cases: Vec<String> = versions.iter().map(Version::to_string).collect();
    let expected = oracle(
        r#"
vs = [Version(s) for s in cases]
for a in vs:
    out.append("".join("<" if a < b else ">" if a > b else "=" for b in vs))
"#,
        &cases,
    );
    let hash = |v: &Version| {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    };
    let mut mismatches = Vec::new();
    for (a, row) in versions.iter().zip(&expected) {
        for (b, want) in versions.iter().zip(row.chars()) {
            let got = match a.cmp(b) {
                std::cmp::Ordering::Less => '<',
                std::cmp::Ordering::Equal => '=',
                std::cmp::Ordering::Greater => '>',
            };
            if got != want || (a == b) != (got == '=') {
                mismatches.push(format!("{a} ? {b}: curd `{got}`, packaging `{want}`"));
            }
            if got == '=' && hash(a) != hash(b) {
                mismatches.push(format!("{a} == {b} but their hashes differ"));
            }
        }
    }
    report("ordering", &mismatches, versions.len() * versions.len());
    eprintln!(
        "{} versions, {} ordered pairs",
        versions.len(),
        versions.len() * versions.len()
    );
}

const OPERATORS: &[&str] = &["==", "!=", "<=", ">=", "<", ">", "~=", "==="];

/// A clause over `parts`, valid unless `mutated`, spelled in any way.
fn random_clause(rng: &mut Rng, parts: &Parts, normalized: bool) -> String {
    let op = rng.pick(OPERATORS);
    let mut version = spell(parts, rng, normalized);
    if op != "===" && rng.chance(15) {
        version = spell(
            &Parts {
                dev: None,
                local: None,
                ..parts.clone()
            },
            rng,
            normalized,
        ) + ".*";
    }
    let space = if normalized {
        ""
    } else {
        rng.pick(&["", "", " ", "  "])
    };
    format!("{op}{space}{version}")
}

/// Candidate and clause versions near each other, so boundaries get exercised.
fn nearby_parts(rng: &mut Rng) -> Parts {
    let releases: &[&[u64]] = &[
        &[1],
        &[1, 0],
        &[1, 0, 0],
        &[1, 1],
        &[1, 0, 1],
        &[2],
        &[2, 0],
        &[0, 9],
        &[1, 1, 0],
        &[2, 2],
    ];
    Parts {
        epoch: if rng.chance(6) { 1 } else { 0 },
        release: rng.pick(releases).to_vec(),
        pre: rng.chance(25).then(|| (rng.below(3), rng.below(3) as u64)),
        post: rng.chance(20).then(|| rng.below(3) as u64),
        dev: rng.chance(15).then(|| rng.below(3) as u64),
        local: rng
            .chance(15)
            .then(|| vec![rng.pick(&["local", "1", "a"]).to_string()]),
    }
}

#[test]
fn specifier_validity_matches_packaging() {
    let mut rng = Rng::seeded(0x5bec_0440);
    let mut cases: Vec<String> = [
        "~=1",
        "~=1.0",
        "~=1!1",
        "~=1.0.*",
        "==1.0.*+local",
        "<=1.0.*",
        ">=1.0.*",
        "==1.0.dev1.*",
        "==1.0+l.*",
        "==1.0a.*",
        "==1.0a..*",
        "== 1.0.*",
        "==1.0 .*",
        "===a b",
        "=== foo",
        "===1.0",
        "<1.0+local",
        ">=1.0+local",
        "~=1.0+local",
        "==1.0+local",
        "!=1.0+local",
        "=1.0",
        "1.0",
        ">==1.0",
        "=>1.0",
        "<>1.0",
        "==",
        ">=",
        " >= 1.0 ",
        "==v1.0",
        "==1.*.0",
        "==*",
        "==.*",
        "!=1.0.*",
        "==1.0.post1.*",
        "~=1.0.dev1",
        "~=1.0a1",
        "<1.0.dev1",
        ">1.0a1.post2.dev3",
        "==1!1.0.*",
        "~=0.9",
        "==1.0-1.*",
        "==1.0a1.post1.*",
        "===foo@bar",
        "==1.0.*.*",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for _ in 0..2000 {
        let parts = if rng.chance(50) {
            nearby_parts(&mut rng)
        } else {
            random_parts(&mut rng)
        };
        let normalized = rng.chance(30);
        let clause = random_clause(&mut rng, &parts, normalized);
        let clause = if rng.chance(25) {
            mutate(&mut rng, &clause)
        } else {
            clause
        };
        if REFUSED_SPECIFIERS
            .iter()
            .all(|(s, _)| s.trim() != clause.trim())
        {
            cases.push(clause);
        }
    }
    let expected = oracle(
        r#"
for s in cases:
    try:
        Specifier(s)
        out.append("ok")
    except InvalidSpecifier:
        out.append("err")
"#,
        &cases,
    );
    let mut mismatches = Vec::new();
    for (case, want) in cases.iter().zip(&expected) {
        let got = match case.parse::<VersionSpecifier>() {
            Ok(_) => "ok",
            Err(_) => "err",
        };
        if got != want {
            mismatches.push(format!("{case:?}: curd `{got}`, packaging `{want}`"));
        }
    }
    report("specifier validity", &mismatches, cases.len());
    let valid = expected.iter().filter(|e| *e == "ok").count();
    eprintln!("{} clauses, {valid} valid", cases.len());
}

#[test]
fn refused_specifiers_are_listed_on_purpose() {
    let cases: Vec<String> = REFUSED_SPECIFIERS
        .iter()
        .map(|(s, _)| s.to_string())
        .collect();
    let expected = oracle(
        r#"
for s in cases:
    try:
        SpecifierSet(s)
        out.append("ok")
    except InvalidSpecifier:
        out.append("err")
"#,
        &cases,
    );
    for ((case, reason), want) in REFUSED_SPECIFIERS.iter().zip(&expected) {
        assert_eq!(want, "ok", "packaging refuses {case:?} too, unlist it");
        assert!(
            case.parse::<VersionSpecifiers>().is_err(),
            "{case:?}: {reason}"
        );
    }
}

/// A valid set of one to three clauses over nearby versions.
fn random_set(rng: &mut Rng) -> String {
    let mut clauses = Vec::new();
    while clauses.is_empty() || (clauses.len() < 3 && rng.chance(35)) {
        let (parts, normalized) = (nearby_parts(rng), rng.chance(40));
        let clause = random_clause(rng, &parts, normalized);
        let valid = clause.parse::<VersionSpecifier>().is_ok();
        if valid && !clause.contains(',') {
            clauses.push(clause);
        }
    }
    clauses.join(rng.pick(&[",", ", ", " ,"]))
}

fn prereleases_label(p: Option<bool>) -> &'static str {
    match p {
        None => "None",
        Some(true) => "True",
        Some(false) => "False",
    }
}

#[test]
fn containment_matches_packaging() {
    let mut rng = Rng::seeded(0xc0_0440);
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for _ in 0..700 {
        let set = if rng.chance(5) {
            String::new()
        } else {
            random_set(&mut rng)
        };
        let specifiers: VersionSpecifiers = set.parse().expect("generated set is valid");
        for _ in 0..8 {
            let candidate = spell(&nearby_parts(&mut rng), &mut rng, true);
            let version: Version = candidate.parse().expect("generated version is valid");
            for p in [None, Some(true), Some(false)] {
                cases.push(format!("{set}|{candidate}|{}", prereleases_label(p)));
                ours.push(specifiers.contains_with_prereleases(&version, p));
            }
        }
    }
    let expected = oracle(
        r#"
parsed = [c.split("|") for c in cases]
def run():
    return [SpecifierSet(s).contains(Version(v), prereleases=prereleases(p)) for s, v, p in parsed]
fixed(False)
before = run()
fixed(True)
after = run()
out.extend(f"{int(a)} {int(b)}" for a, b in zip(before, after))
"#,
        &cases,
    );
    let mut mismatches = Vec::new();
    let mut diverged = 0;
    for ((case, got), want) in cases.iter().zip(&ours).zip(&expected) {
        let (before, after) = want.split_once(' ').expect("two answers");
        diverged += usize::from(before != after);
        if after != if *got { "1" } else { "0" } {
            mismatches.push(format!("{case:?}: curd {got}, packaging (fixed) {after}"));
        }
    }
    report("containment", &mismatches, cases.len());
    eprintln!(
        "{} containment cases, {diverged} where unfixed packaging 21.3 differs",
        cases.len()
    );
}

const FILTER_SCRIPT: &str = r#"
parsed = [c.split("|") for c in cases]
def run(fix):
    fixed(fix)
    for s, vs, p in parsed:
        items = [Version(v) for v in vs.split(" ")]
        ss = SpecifierSet(s)
        if fix:
            yield fixed_filter(ss, items, prereleases(p))
        else:
            kept = list(ss.filter(items, prereleases=prereleases(p)))
            yield [i for i, v in enumerate(items) if any(v is k for k in kept)]
before = list(run(False))
after = list(run(True))
show = lambda l: ",".join(map(str, l))
out.extend(f"{show(a)} {show(b)}" for a, b in zip(before, after))
"#;

fn indices(kept: &[&Version], all: &[Version]) -> String {
    let indices: Vec<String> = all
        .iter()
        .enumerate()
        .filter(|(_, v)| kept.iter().any(|k| std::ptr::eq(*k, *v)))
        .map(|(i, _)| i.to_string())
        .collect();
    indices.join(",")
}

#[test]
fn filter_matches_packaging() {
    let mut rng = Rng::seeded(0xf1_0440);
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for _ in 0..800 {
        let set = if rng.chance(8) {
            String::new()
        } else {
            random_set(&mut rng)
        };
        let specifiers: VersionSpecifiers = set.parse().expect("generated set is valid");
        let spelled: Vec<String> = (0..1 + rng.below(7))
            .map(|_| spell(&nearby_parts(&mut rng), &mut rng, true))
            .collect();
        let versions: Vec<Version> = spelled.iter().map(|s| s.parse().unwrap()).collect();
        let p = rng.pick(&[None, None, Some(true), Some(false)]);
        cases.push(format!(
            "{set}|{}|{}",
            spelled.join(" "),
            prereleases_label(p)
        ));
        ours.push(indices(
            &specifiers.filter_with_prereleases(&versions, p),
            &versions,
        ));
    }
    let expected = oracle(FILTER_SCRIPT, &cases);
    let mut mismatches = Vec::new();
    let mut diverged = 0;
    for ((case, got), want) in cases.iter().zip(&ours).zip(&expected) {
        let (before, after) = want.split_once(' ').expect("two answers");
        diverged += usize::from(before != after);
        if after != got {
            mismatches.push(format!(
                "{case:?}: curd [{got}], packaging (fixed) [{after}]"
            ));
        }
    }
    report("filter", &mismatches, cases.len());
    eprintln!(
        "{} filter cases, {diverged} where unfixed packaging 21.3 differs",
        cases.len()
    );
}

#[test]
fn divergences_from_packaging_21_3_are_real() {
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for d in DIVERGENCES {
        let specifiers: VersionSpecifiers = d.set.parse().unwrap();
        let versions: Vec<Version> = d.candidates.iter().map(|s| s.parse().unwrap()).collect();
        let p = prereleases_label(d.prereleases);
        cases.push(format!("{}|{}|{p}", d.set, d.candidates.join(" ")));
        ours.push(indices(
            &specifiers.filter_with_prereleases(&versions, d.prereleases),
            &versions,
        ));
        let kept: Vec<String> = d.kept.iter().map(usize::to_string).collect();
        assert_eq!(ours.last().unwrap(), &kept.join(","), "{}", d.set);
    }
    let expected = oracle(FILTER_SCRIPT, &cases);
    for ((case, got), want) in cases.iter().zip(&ours).zip(&expected) {
        let (before, after) = want.split_once(' ').expect("two answers");
        assert_ne!(before, got, "{case:?}: packaging 21.3 agrees, unlist it");
        assert_eq!(after, got, "{case:?}: the fixed oracle disagrees");
    }
}
