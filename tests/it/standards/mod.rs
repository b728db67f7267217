//! The packaging standards, differentially against the reference implementation
//! (today's packaging and pip, pinned in `tests/tools.txt`).

mod filenames;
mod interpreters;
mod machine;
mod pep440;
mod pep508;
mod requirements_txt;
mod tags;
