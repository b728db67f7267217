//! The client side: the index client over loopback, the wheel installer into real
//! venvs, the PEP 517 frontend, and the `curd` binary end to end.

mod bombs;
mod build;
mod commands;
mod configuration;
mod flags;
mod direct;
mod hostile_input;
mod index;
mod interpreters;
mod install;
mod network;
mod schemes;
mod sdist_metadata;
mod online;
mod reporting;
mod resolution;
mod output;
mod pyproject;
mod transaction;
mod unusable;
mod warm_cache;
