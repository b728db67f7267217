//! What a run did, said in one line (two with `-u`): how many packages, how fast,
//! and where they came from, so a CI log shows at a glance whether the cache served.

use std::fmt;

use crate::cli::settings::Mode;
use crate::client::find::Origin;
use crate::client::upload::Uploaded;
use crate::standards::url::Url;

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
    built_now: usize,
    built_earlier: usize,
    pub seconds: f64,
    /// `-u`: how many went, and to which cache server's index.
    uploads: Option<(usize, Url)>,
}

impl Summary {
    pub fn new(mode: &Mode, planned: usize, satisfied: usize) -> Summary {
        Summary {
            installing: matches!(mode, Mode::Install),
            planned,
            satisfied,
            from_cache: 0,
            from_index: 0,
            built_now: 0,
            built_earlier: 0,
            seconds: 0.0,
            uploads: None,
        }
    }

    /// One more package placed, from `origin`.
    pub fn count(&mut self, origin: Origin) {
        match origin {
            Origin::CacheServer => self.from_cache += 1,
            Origin::Index => self.from_index += 1,
            Origin::Built { fresh: true } => self.built_now += 1,
            Origin::Built { fresh: false } => self.built_earlier += 1,
        }
    }

    /// How many packages were placed.
    pub fn done(&self) -> usize {
        self.from_cache + self.from_index + self.built_now + self.built_earlier
    }

    pub fn uploaded(&mut self, uploaded: &Uploaded, to: Url) {
        self.uploads = Some((uploaded.count, to));
    }
}

/// Nothing at all when every planned package failed: the error says it all then.
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines = Vec::new();
        if self.planned == 0 {
            lines.push(format!(
                "Nothing to install: {} packages already satisfied",
                self.satisfied
            ));
        } else if self.done() > 0 {
            let verb = if self.installing {
                "Installed"
            } else {
                "Saved"
            };
            let built = self.built_now;
            let earlier = match self.built_earlier {
                0 => String::new(),
                n => format!(" ({n} built earlier)"),
            };
            lines.push(format!(
                "{verb} {} packages in {:.2} s: {} from cache, {} from index, {built} built{earlier}",
                self.done(),
                self.seconds,
                self.from_cache,
                self.from_index,
            ));
        }
        if let Some((count, to)) = &self.uploads {
            lines.push(format!("Uploaded {count} wheels to {to}"));
        }
        f.write_str(&lines.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_where_packages_came_from() {
        let mut summary = Summary::new(&Mode::Install, 4, 1);
        summary.count(Origin::CacheServer);
        summary.count(Origin::Index);
        summary.count(Origin::Built { fresh: true });
        summary.count(Origin::Built { fresh: false });
        summary.seconds = 1.234;
        assert_eq!(
            summary.to_string(),
            "Installed 4 packages in 1.23 s: 1 from cache, 1 from index, 1 built (1 built earlier)"
        );
    }

    #[test]
    fn nothing_to_do_and_nothing_done_read_differently() {
        assert_eq!(
            Summary::new(&Mode::Install, 0, 3).to_string(),
            "Nothing to install: 3 packages already satisfied"
        );
        assert_eq!(Summary::new(&Mode::Install, 2, 0).to_string(), "");
    }

    #[test]
    fn wheel_folders_are_saved_and_uploads_counted() {
        let mut summary = Summary::new(&Mode::Wheel(".".into()), 1, 0);
        summary.count(Origin::Index);
        let to = Url::parse("http://cache:8000/simple/").expect("a valid URL");
        summary.uploaded(
            &Uploaded {
                count: 1,
                failures: Vec::new(),
            },
            to,
        );
        assert_eq!(
            summary.to_string(),
            "Saved 1 packages in 0.00 s: 0 from cache, 1 from index, 0 built\nUploaded 1 wheels to http://cache:8000/simple/"
        );
    }
}
