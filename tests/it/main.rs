//! Integration tests: the real binaries, run as separate processes.
