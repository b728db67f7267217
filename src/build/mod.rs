//! Builds wheels from source distributions by running Python: a PEP 517 build frontend.
//!
//! <https://peps.python.org/pep-0517/> (the hooks), <https://peps.python.org/pep-0518/>
//! (`[build-system]`), and
//! <https://packaging.python.org/en/latest/specifications/source-distribution-format/>
//! (the archive, and what unpacking one may do).
//!
//! Each step is a separate function, because the installer runs its own resolver and
//! installer between them: unpack (`crate::archive::unpack`), read the build system
//! (`pyproject`), make an isolated environment (`process`), install `requires` into
//! it, ask the backend for more (`hooks`), install those, then build.
//!
//! An sdist is input from anywhere, so unpacking refuses whatever could write or
//! point outside the destination, and bounds what it writes. A backend is code
//! the user chose to run, so it is trusted to run, but not to be well behaved: its
//! answers come through a JSON file curd names (stdout belongs to whatever the
//! backend prints, which goes to the build log) and are checked before use.
//!
//! Nothing here keeps state between calls, and every temporary file has a unique
//! name, so builds of different projects can run at once.
//!
//! May import: archive, standards, util.

pub mod error;
pub mod process;
pub mod pyproject;
pub mod hooks;
