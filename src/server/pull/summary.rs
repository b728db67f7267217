//! What pull-through holds and how it has done since start-up, for the home page.

use std::sync::atomic::{AtomicU64, Ordering};

use super::Pull;
use crate::server::pages::{escape, human_size};
use crate::server::storage::Index;

/// A section of the home page: cached beside uploaded, and the hit rates.
pub fn summary(pull: &Pull, uploads: &Index) -> String {
    let cached = pull.store.index();
    let files: Vec<_> = cached.projects.values().flatten().collect();
    let bytes: u64 = files.iter().map(|f| f.size).sum();
    let uploaded: Vec<_> = uploads.projects.values().flatten().collect();
    let uploaded_bytes: u64 = uploaded.iter().map(|f| f.size).sum();
    let load = |n: &AtomicU64| n.load(Ordering::Relaxed);
    let stats = &pull.stats;
    let rate = |hits: u64, misses: u64| match hits + misses {
        0 => "no requests yet".to_string(),
        all => format!("{hits} of {all} hits ({}%)", hits * 100 / all),
    };
    let upstreams: Vec<String> = pull
        .upstreams()
        .iter()
        .map(|u| format!("<code>{}</code>", escape(&u.to_string())))
        .collect();
    let from = if pull.offline() {
        "offline: no upstream is contacted".to_string()
    } else {
        format!("from {}", upstreams.join(", "))
    };
    format!(
        "<h2>Pulled through</h2>\n<p>{from}.</p>\n<p>Cached from upstream: {} files, {}, of {} projects. \
         Uploaded: {} files, {}. Pages: {}. Files: {}. Upstream errors: {}.</p>\n",
        files.len(),
        human_size(bytes),
        cached.projects.len(),
        uploaded.len(),
        human_size(uploaded_bytes),
        rate(load(&stats.page_hits), load(&stats.page_fetches)),
        rate(load(&stats.file_hits), load(&stats.file_pulls)),
        load(&stats.upstream_errors),
    )
}
