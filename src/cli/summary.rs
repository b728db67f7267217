//! What a run did: a line per package placed (` + flask==3.1.3 (cache)`) and per
//! version it replaced (` - flask==3.0.0`), as uv prints them, then one line of how
//! many packages, how fast, and where they came from, so a CI log shows at a glance
//! whether the cache served.

use std::fmt;

use crate::cli::settings::Mode;
use crate::client::find::Origin;
use crate::standards::name::PackageName;
use crate::standards::version::Version;
use crate::util::messages::count;

/// The counts behind the summary line.
#[derive(Debug)]
pub struct Summary {
    installing: bool,
    /// Packages the plan changed; zero when everything was installed already.
    planned: usize,
    /// Packages that were installed already.
    satisfied: usize,
    from_cache: usize,
    from_index: usize,
    from_links: usize,
    direct: usize,
    built_now: usize,
    built_earlier: usize,
    /// What was placed, for the lines before the summary.
    changes: Vec<Change>,
    pub seconds: f64,
}

/// One package placed, and the version it replaced.
#[derive(Debug)]
struct Change {
    name: PackageName,
    version: Version,
    replaced: Option<Version>,
    origin: Origin,
}

impl Summary {
    pub fn new(mode: &Mode, planned: usize, satisfied: usize) -> Summary {
        Summary {
            installing: matches!(mode, Mode::Install),
            planned,
            satisfied,
            from_cache: 0,
            from_index: 0,
            from_links: 0,
            direct: 0,
            built_now: 0,
            built_earlier: 0,
            changes: Vec::new(),
            seconds: 0.0,
        }
    }

    /// One more package placed, from `origin`, over the installed `replaced`.
    pub fn count(
        &mut self,
        name: &PackageName,
        version: &Version,
        replaced: Option<&Version>,
        origin: Origin,
    ) {
        self.changes.push(Change {
            name: name.clone(),
            version: version.clone(),
            replaced: replaced.cloned(),
            origin,
        });
        match origin {
            Origin::CacheServer => self.from_cache += 1,
            Origin::Index => self.from_index += 1,
            Origin::Links => self.from_links += 1,
            Origin::Direct => self.direct += 1,
            Origin::Built { fresh: true } => self.built_now += 1,
            Origin::Built { fresh: false } => self.built_earlier += 1,
        }
    }

    /// How many packages were placed.
    pub fn done(&self) -> usize {
        self.from_cache
            + self.from_index
            + self.from_links
            + self.direct
            + self.built_now
            + self.built_earlier
    }

    /// A line per version removed and per package placed, by name, each removal
    /// before what replaces it; a version placed again over itself (`-f`, or found
    /// damaged) is one line, ` ~ `, as in uv.
    pub fn lines(&self) -> Vec<String> {
        let mut changes: Vec<&Change> = self.changes.iter().collect();
        changes.sort_by(|a, b| a.name.cmp(&b.name));
        let mut lines = Vec::new();
        for change in changes {
            let mark = match &change.replaced {
                Some(old) if *old == change.version => "~",
                Some(old) => {
                    lines.push(format!(" - {}=={old}", change.name));
                    "+"
                }
                None => "+",
            };
            let origin = match change.origin {
                Origin::CacheServer => "cache",
                Origin::Index => "index",
                Origin::Links => "find-links",
                Origin::Direct => "direct",
                Origin::Built { fresh: true } => "built",
                Origin::Built { fresh: false } => "built earlier",
            };
            lines.push(format!(
                " {mark} {}=={} ({origin})",
                change.name, change.version
            ));
        }
        lines
    }
}

/// Nothing at all when every planned package failed: the error says it all then.
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.planned == 0 {
            return write!(
                f,
                "Nothing to install: {} already satisfied",
                count(self.satisfied, "package")
            );
        }
        if self.done() == 0 {
            return Ok(());
        }
        let verb = if self.installing {
            "Installed"
        } else {
            "Saved"
        };
        write!(
            f,
            "{verb} {} in {:.2} s: {} from cache, {} from index, ",
            count(self.done(), "package"),
            self.seconds,
            self.from_cache,
            self.from_index,
        )?;
        // The sources most runs never use are named only when they placed something,
        // so the line a CI log is searched for keeps its shape.
        if self.from_links > 0 {
            write!(f, "{} from find-links, ", self.from_links)?;
        }
        if self.direct > 0 {
            write!(f, "{} named directly, ", self.direct)?;
        }
        write!(f, "{} built", self.built_now)?;
        match self.built_earlier {
            0 => Ok(()),
            n => write!(f, " ({n} built earlier)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_where_packages_came_from() {
        let mut summary = Summary::new(&Mode::Install, 7, 1);
        let v = |text: &str| text.parse::<Version>().expect("a version");
        let n = |text: &str| PackageName::new(text).expect("a name");
        summary.count(&n("d"), &v("1.0"), None, Origin::CacheServer);
        summary.count(&n("c"), &v("2.0"), Some(&v("1.0")), Origin::Index);
        summary.count(&n("b"), &v("1.0"), None, Origin::Built { fresh: true });
        summary.count(&n("a"), &v("1.0"), None, Origin::Built { fresh: false });
        summary.count(&n("e"), &v("1.0"), Some(&v("1.0")), Origin::Index);
        summary.count(&n("f"), &v("1.0"), None, Origin::Links);
        summary.count(&n("g"), &v("1.0"), None, Origin::Direct);
        summary.seconds = 1.234;
        assert_eq!(
            summary.to_string(),
            "Installed 7 packages in 1.23 s: 1 from cache, 2 from index, \
             1 from find-links, 1 named directly, 1 built (1 built earlier)"
        );
        assert_eq!(
            summary.lines(),
            [
                " + a==1.0 (built earlier)",
                " + b==1.0 (built)",
                " - c==1.0",
                " + c==2.0 (index)",
                " + d==1.0 (cache)",
                " ~ e==1.0 (index)",
                " + f==1.0 (find-links)",
                " + g==1.0 (direct)",
            ]
        );
    }

    #[test]
    fn nothing_to_do_and_nothing_done_read_differently() {
        assert_eq!(
            Summary::new(&Mode::Install, 0, 3).to_string(),
            "Nothing to install: 3 packages already satisfied"
        );
        assert_eq!(
            Summary::new(&Mode::Install, 0, 1).to_string(),
            "Nothing to install: 1 package already satisfied"
        );
        assert_eq!(Summary::new(&Mode::Install, 2, 0).to_string(), "");
    }

    #[test]
    fn wheel_folders_are_saved() {
        let mut summary = Summary::new(&Mode::Wheel(".".into()), 1, 0);
        let name = PackageName::new("flask").expect("a name");
        let version = "3.1.3".parse().expect("a version");
        summary.count(&name, &version, None, Origin::Index);
        assert_eq!(
            summary.to_string(),
            "Saved 1 package in 0.00 s: 0 from cache, 1 from index, 0 built"
        );
        assert_eq!(summary.lines(), [" + flask==3.1.3 (index)"]);
    }
}
