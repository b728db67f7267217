//! Differential tests of `curd::standards::version` and `curd::standards::specifier` against
//! today's packaging (pinned in `tests/tools.txt`), the reference implementation.
//!
//! Cases come from a fixed seed, so a failure reproduces, plus real-world versions
//! and hand-picked edge cases. `PINNED` keeps the cases where packaging once answered
//! otherwise (21.3, vendored by pip 23), so a return to the old answer
//! fails here even if the random cases miss it. Where curd deliberately refuses
//! what packaging accepts, `REFUSED` lists the cases.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use curd::standards::specifier::{VersionSpecifier, VersionSpecifiers};
use curd::standards::version::{PrereleaseKind, Version};

use crate::support::python::packaging_oracle;
use crate::support::rng::Rng;

/// Python run before every oracle script: case decoding and the answer file.
const PRELUDE: &str = r#"
from packaging.version import Version, InvalidVersion
from packaging.specifiers import Specifier, SpecifierSet, InvalidSpecifier
cases = [bytes.fromhex(l).decode() for l in open(sys.argv[1]).read().split("\n")]
out = []
def done():
    open(sys.argv[2], "w").write("\n".join(out))
def prereleases(p):
    return {"None": None, "True": True, "False": False}[p]
"#;

/// A filter whose answer packaging 21.3 gave otherwise.
struct Pinned {
    set: &'static str,
    candidates: &'static [&'static str],
    /// The indices of the candidates kept by `filter` with the default policy.
    kept: &'static [usize],
    /// Why the old answer was wrong.
    why: &'static str,
}

const fn pinned(
    set: &'static str,
    candidates: &'static [&'static str],
    kept: &'static [usize],
    why: &'static str,
) -> Pinned {
    Pinned {
        set,
        candidates,
        kept,
        why,
    }
}

const PREFIX: &str =
    "prefix matching pads the candidate with zeros and compares normalized epochs and releases";
const COMPATIBLE: &str = "`~=` builds its prefix from the normalized version, ignoring suffixes";
const ONLY_PRERELEASES: &str = "a set that no final release matches keeps its pre-releases";
const NAMES_PRERELEASE: &str =
    "a clause that names a pre-release or dev release admits pre-releases, whatever its operator";
const GREATER_POST: &str =
    "`>V` excludes only the post-releases of V itself, so `>1.0a1` admits `1.0.post1`";

const PINNED: &[Pinned] = &[
    pinned("==1.0.0.*", &["1.post1"], &[0], PREFIX),
    pinned("==1!1.0.*", &["1!1"], &[0], PREFIX),
    pinned("~=1.0.0", &["1.post1"], &[0], PREFIX),
    pinned("==01.0.*", &["1.0"], &[0], PREFIX),
    pinned("~=2.2.c1", &["2.5"], &[0], COMPATIBLE),
    pinned("~=v2.2", &["2.5"], &[0], COMPATIBLE),
    pinned(">=1.2.3", &["1.2", "1.5a1"], &[1], ONLY_PRERELEASES),
    pinned("<=2.0", &["1.0a1"], &[0], ONLY_PRERELEASES),
    pinned(
        ">1.0.post456.dev34",
        &["1.0.15", "2.0b1"],
        &[0, 1],
        NAMES_PRERELEASE,
    ),
    pinned(
        "<0.2.0a2",
        &["0.1.0", "0.2.0", "0.2.0a1", "0.2.0a2", "0.3.0"],
        &[0, 2],
        NAMES_PRERELEASE,
    ),
    pinned(
        ">=1.0,<2.0.dev0",
        &["1.5", "2.0a1", "1.9b1"],
        &[0, 2],
        NAMES_PRERELEASE,
    ),
    pinned(">1.0a1", &["1.0.post1", "1.0a1.post1"], &[0], GREATER_POST),
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
        "\u{a0}1.0",
        "the spec names ASCII whitespace; packaging's `\\s` also strips Unicode spaces",
    ),
];

/// Clauses packaging accepts and curd refuses on purpose.
const REFUSED_SPECIFIERS: &[(&str, &str)] = &[
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
for c in cases:
    s, v, p = c.split("|")
    out.append(str(int(SpecifierSet(s).contains(Version(v), prereleases=prereleases(p)))))
"#,
        &cases,
    );
    let mut mismatches = Vec::new();
    for ((case, got), want) in cases.iter().zip(&ours).zip(&expected) {
        if want != if *got { "1" } else { "0" } {
            mismatches.push(format!("{case:?}: curd {got}, packaging {want}"));
        }
    }
    report("containment", &mismatches, cases.len());
}

const FILTER_SCRIPT: &str = r#"
for c in cases:
    s, vs, p = c.split("|")
    items = [Version(v) for v in vs.split(" ")]
    kept = list(SpecifierSet(s).filter(items, prereleases=prereleases(p)))
    out.append("[" + ",".join(str(i) for i, v in enumerate(items) if any(v is k for k in kept)) + "]")
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
    for ((case, got), want) in cases.iter().zip(&ours).zip(&expected) {
        if *want != format!("[{got}]") {
            mismatches.push(format!("{case:?}: curd [{got}], packaging {want}"));
        }
    }
    report("filter", &mismatches, cases.len());
}

#[test]
fn answers_packaging_once_gave_otherwise_stay_fixed() {
    let mut cases = Vec::new();
    for p in PINNED {
        let specifiers: VersionSpecifiers = p.set.parse().unwrap();
        let versions: Vec<Version> = p.candidates.iter().map(|s| s.parse().unwrap()).collect();
        let kept: Vec<String> = p.kept.iter().map(usize::to_string).collect();
        let got = indices(&specifiers.filter(&versions), &versions);
        assert_eq!(got, kept.join(","), "{}: {}", p.set, p.why);
        cases.push(format!("{}|{}|None", p.set, p.candidates.join(" ")));
    }
    let expected = oracle(FILTER_SCRIPT, &cases);
    for ((case, p), want) in cases.iter().zip(PINNED).zip(&expected) {
        let kept: Vec<String> = p.kept.iter().map(usize::to_string).collect();
        let kept = format!("[{}]", kept.join(","));
        assert_eq!(want, &kept, "{case:?}: packaging answers otherwise now");
    }
}
