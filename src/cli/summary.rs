//! What a run did, said in one line: how many packages, how fast,
//! and where they came from, so a CI log shows at a glance whether the cache served.

use std::fmt;

use crate::cli::settings::Mode;
use crate::client::find::Origin;

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
}

/// Nothing at all when every planned package failed: the error says it all then.
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.planned == 0 {
            return write!(
                f,
                "Nothing to install: {} packages already satisfied",
                self.satisfied
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
        let earlier = match self.built_earlier {
            0 => String::new(),
            n => format!(" ({n} built earlier)"),
        };
        write!(
            f,
            "{verb} {} packages in {:.2} s: {} from cache, {} from index, {} built{earlier}",
            self.done(),
            self.seconds,
            self.from_cache,
            self.from_index,
            self.built_now,
        )
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
    fn wheel_folders_are_saved() {
        let mut summary = Summary::new(&Mode::Wheel(".".into()), 1, 0);
        summary.count(Origin::Index);
        assert_eq!(
            summary.to_string(),
            "Saved 1 packages in 0.00 s: 0 from cache, 1 from index, 0 built"
        );
    }
}
