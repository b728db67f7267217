//! Removals: `DELETE /p/<file>` and pypiserver's `remove_pkg`, of uploads and of
//! files cached from an upstream.

use std::sync::Arc;

use super::{App, percent_decode};
use crate::server::http::Response;
use crate::server::multipart;
use crate::server::storage::StoredFile;
use crate::server::store::RemoveError;
use crate::standards::filename::{DistFilename, Shown};
use crate::standards::name::PackageName;

impl App {
    /// `DELETE /p/<file>`: removes an upload, else a file cached from an upstream
    /// (which the next request for it fetches again). A download already sending
    /// the file completes.
    pub(super) fn delete(&self, file: &str) -> Response {
        let raw = percent_decode(file);
        let not_found = || Response::text(404, format!("not found: `{}`", Shown(&raw)));
        let Ok(filename) = DistFilename::parse(&raw) else {
            return not_found();
        };
        let mut removed = self.storage.remove(&filename);
        if let (Ok(files), Some(pull)) = (&removed, &self.pull)
            && files.is_empty()
        {
            removed = pull.remove(&filename).map_err(RemoveError::Disk);
        }
        match removed {
            Ok(files) if files.is_empty() => not_found(),
            Ok(files) => self.removed(&files),
            Err(e) => removal_failed(&e),
        }
    }

    /// Forgets removed files' download times, and says what was removed.
    fn removed(&self, files: &[Arc<StoredFile>]) -> Response {
        if let Some(retention) = &self.retention {
            retention
                .access
                .forget(files.iter().map(|f| f.name.as_str()));
        }
        removed_response(files)
    }

    /// pypiserver's `:action=remove_pkg`: every file of one version of a
    /// project, uploaded or cached from an upstream.
    pub(super) fn remove_pkg(&self, form: &multipart::Form) -> Response {
        let field = |name| form.field(name).map(str::trim).filter(|v| !v.is_empty());
        let (Some(project), Some(version)) = (field("name"), field("version")) else {
            return Response::text(400, "remove_pkg needs the fields `name` and `version`");
        };
        let Ok(name) = PackageName::new(project) else {
            return Response::text(404, format!("no project named `{}`", Shown(project)));
        };
        let Ok(parsed) = version.parse() else {
            return Response::text(404, format!("{name} has no version `{}`", Shown(version)));
        };
        let mut removed = match self.storage.remove_version(&name, &parsed) {
            Ok(files) => files,
            Err(e) => return removal_failed(&e),
        };
        if let Some(pull) = &self.pull {
            match pull.store.remove_version(&name, &parsed) {
                Ok(files) => {
                    pull.forget_metadata(&files);
                    removed.extend(files);
                }
                Err(e) => return removal_failed(&RemoveError::Disk(e)),
            }
        }
        if removed.is_empty() {
            return Response::text(404, format!("{name} ({}) not found", Shown(version)));
        }
        self.removed(&removed)
    }
}

/// What a removal answers: the files it removed, also said in the log.
fn removed_response(files: &[Arc<StoredFile>]) -> Response {
    let lines: Vec<String> = files
        .iter()
        .map(|file| format!("removed `{}`", file.name))
        .collect();
    for line in &lines {
        crate::message!("curd-server: {line}");
    }
    Response::text(200, lines.join("\n"))
}

fn removal_failed(e: &RemoveError) -> Response {
    crate::message!("curd-server: {e}");
    Response::text(
        500,
        "the server could not remove the file; its log says why",
    )
}
