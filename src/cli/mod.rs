//! The client's commands: what `curd install`, `uninstall`, `freeze`, `list`, `show`
//! and `check` do, in terms
//! of the modules above (find, fetch, resolve, install). Each returns an error whose
//! message is written for the person at the terminal; `main` prints it.

pub mod args;
pub mod check;
pub mod config;
pub mod error;
pub mod install;
pub mod requirements_txt;
pub mod settings;
pub mod report;
pub mod summary;
pub mod uninstall;
pub mod freeze;
pub mod list;
pub mod show;
