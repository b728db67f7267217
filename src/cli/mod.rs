//! The client's commands: what `curd install`, `uninstall` and `freeze` do, in terms
//! of the modules above (find, fetch, resolve, install). Each returns an error whose
//! message is written for the person at the terminal; `main` prints it.

pub mod args;
pub mod error;
pub mod install;
pub mod requirements_txt;
pub mod settings;
pub mod report;
pub mod summary;
pub mod uninstall;
pub mod freeze;
