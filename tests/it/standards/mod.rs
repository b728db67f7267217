//! The packaging standards, differentially against the reference implementation
//! (packaging and pip's own parsers, run by the machine's python3).

mod filenames;
mod machine;
mod pep440;
mod pep508;
mod requirements_txt;
mod tags;
