//! The Python environment a command works on: its interpreter (asked once, then
//! cached), where files go, and what is installed.

use std::path::Path;

use crate::cache::Cache;
use crate::commands::CommandError;
use crate::install::{InstalledDist, Scheme, Target};
use crate::python::{self, Interpreter};

pub struct Environment {
    pub interpreter: Interpreter,
    pub target: Target,
}

impl Environment {
    /// Finds and asks the interpreter. Outside a virtual environment, refuses unless
    /// `system`: installing into the machine's own Python breaks what it runs.
    pub fn open(
        explicit: Option<&Path>,
        system: bool,
        cache: Option<&Cache>,
    ) -> Result<Environment, CommandError> {
        let path = python::find(explicit).map_err(CommandError::new)?;
        // Commands that only read an environment work without a writable cache.
        let cache_dir = match cache {
            Some(cache) => cache.interpreters(),
            None => Cache::open(None, &|name| std::env::var(name).ok())
                .map(|cache| cache.interpreters())
                .unwrap_or_else(|_| std::env::temp_dir()),
        };
        let interpreter = Interpreter::query(&path, &cache_dir).map_err(CommandError::new)?;
        if !system && !interpreter.is_virtualenv() {
            return Err(CommandError::new(format!(
                "`{}` is not a virtual environment, and installing into it could break the system\n\
                 hint: create one with `python3 -m venv .venv`, or pass --system to use this Python anyway",
                interpreter.path.display()
            )));
        }
        let (major, minor) = interpreter.python_version;
        let paths = &interpreter.paths;
        // In a virtual environment sysconfig's include folder is the base Python's;
        // pip puts headers under the environment instead, and so does curd.
        let headers = if interpreter.is_virtualenv() {
            interpreter
                .prefix
                .join(format!("include/site/python{major}.{minor}"))
        } else {
            paths.include.clone()
        };
        let target = Target {
            scheme: Scheme {
                purelib: paths.purelib.clone(),
                platlib: paths.platlib.clone(),
                scripts: paths.scripts.clone(),
                data: paths.data.clone(),
                headers,
            },
            python: interpreter.executable.clone(),
        };
        Ok(Environment {
            interpreter,
            target,
        })
    }

    /// What is installed, by name.
    pub fn installed(&self) -> Result<Vec<InstalledDist>, CommandError> {
        let scheme = &self.target.scheme;
        let inventory =
            crate::install::installed(&[scheme.purelib.clone(), scheme.platlib.clone()])
                .map_err(CommandError::new)?;
        Ok(inventory.dists)
    }
}
