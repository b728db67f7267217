//! Uploads: Curdling's `PUT /p/<file>` and twine's `POST /`, streamed into the
//! store, validated, then stored whole or not at all.

use std::io::{self, Read, Write};

use super::{App, percent_decode};
use crate::server::http::{Request, Response};
use crate::server::multipart::{self, MultipartError};
use crate::server::storage::{SaveError, Saved, Upload};
use crate::standards::filename::DistFilename;

impl App {
    /// `PUT /p/<file>`: Curdling's upload, multipart with the file in a field, or the raw bytes.
    pub(super) fn put_upload(&self, request: &mut Request<'_>, file: &str) -> Response {
        let raw = percent_decode(file);
        let filename = match DistFilename::parse(&raw) {
            Ok(f) => f,
            Err(e) => return Response::text(400, e),
        };
        let boundary = match multipart::boundary(request.header("content-type").unwrap_or("")) {
            Ok(boundary) => boundary,
            Err(e) => return Response::text(400, e),
        };
        let received = self.receive(request, |body, upload| match &boundary {
            Some(boundary) => match multipart::read_form(body, boundary, upload)?.file {
                Some(_) => Ok(()),
                None => Err(MultipartError::Malformed(
                    "expected a file part in the form",
                )),
            },
            None => copy_body(body, upload),
        });
        match received {
            Ok((upload, ())) => self.finish_upload(upload, &filename, None),
            Err(response) => response,
        }
    }

    /// twine's (the legacy PyPI) upload: `POST /` with `:action=file_upload`.
    pub(super) fn twine_upload(&self, request: &mut Request<'_>) -> Response {
        let boundary = match multipart::boundary(request.header("content-type").unwrap_or("")) {
            Ok(Some(boundary)) => boundary,
            Ok(None) => {
                return Response::text(
                    415,
                    "expected a multipart/form-data upload, as twine sends",
                );
            }
            Err(e) => return Response::text(400, e),
        };
        let received = self.receive(request, |body, upload| {
            multipart::read_form(body, &boundary, upload)
        });
        let (upload, form) = match received {
            Ok(received) => received,
            Err(response) => return response,
        };
        match form.field(":action") {
            Some("file_upload") => {}
            Some("remove_pkg") => return self.remove_pkg(&form),
            Some(other) => {
                return Response::text(
                    400,
                    format!(
                        "unsupported :action `{other}`: expected `file_upload` or `remove_pkg`"
                    ),
                );
            }
            None => {
                return Response::text(
                    400,
                    "missing :action: expected `file_upload` or `remove_pkg`",
                );
            }
        }
        let Some(part) = &form.file else {
            return Response::text(
                400,
                "expected the distribution in a file field named `content`",
            );
        };
        let filename = match DistFilename::parse(&part.filename) {
            Ok(f) => f,
            Err(e) => return Response::text(400, e),
        };
        let digest = form.field("sha256_digest").filter(|d| !d.is_empty());
        self.finish_upload(upload, &filename, digest)
    }

    /// Refuses an upload that sends no body (411) or declares one too large (413).
    pub(super) fn check_upload(&self, request: &Request<'_>) -> Result<(), Response> {
        if !request.has_body() {
            return Err(Response::text(
                411,
                "an upload needs a body, sent with a Content-Length or chunked",
            ));
        }
        if request
            .content_length()
            .is_some_and(|n| n > self.max_upload)
        {
            return Err(save_error(SaveError::TooLarge {
                limit: self.max_upload,
            }));
        }
        Ok(())
    }

    /// Streams a request body into a new upload through `read`; checks the size first.
    fn receive<T>(
        &self,
        request: &mut Request<'_>,
        read: impl FnOnce(&mut dyn Read, &mut Upload) -> Result<T, MultipartError>,
    ) -> Result<(Upload, T), Response> {
        self.check_upload(request)?;
        let mut upload = self
            .storage
            .begin_upload(self.max_upload)
            .map_err(save_error)?;
        match read(request.body(), &mut upload) {
            Ok(value) => Ok((upload, value)),
            Err(MultipartError::Write(e)) => Err(save_error(upload.write_error(e))),
            Err(MultipartError::Read(e)) => Err(save_error(SaveError::Body(e))),
            Err(e) => Err(Response::text(400, e)),
        }
    }

    fn finish_upload(
        &self,
        upload: Upload,
        filename: &DistFilename,
        digest: Option<&str>,
    ) -> Response {
        if let Some(pull) = &self.pull
            && pull.conflicts(filename, &upload.sha256())
        {
            return Response::text(
                409,
                format!(
                    "`{filename}` is served from the upstream with different contents: a file name's bytes never change"
                ),
            );
        }
        match self
            .storage
            .commit(upload, filename, digest, self.overwrite)
        {
            Ok(saved) => {
                if saved != Saved::Unchanged
                    && let Some(retention) = &self.retention
                {
                    retention.poke();
                }
                saved_response(saved, filename)
            }
            Err(e) => save_error(e),
        }
    }
}

fn saved_response(saved: Saved, filename: &DistFilename) -> Response {
    match saved {
        Saved::Created => Response::text(201, format!("stored `{filename}`")),
        Saved::Unchanged => Response::text(
            200,
            format!("`{filename}` is already stored with the same contents"),
        ),
        Saved::Replaced => Response::text(200, format!("replaced `{filename}`")),
    }
}

/// Copies a raw body into an upload, telling the client's failures (400, 408) from
/// the server's (413, 507).
fn copy_body(body: &mut dyn Read, upload: &mut Upload) -> Result<(), MultipartError> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(MultipartError::Read(e)),
        };
        upload.write_all(&buf[..n]).map_err(MultipartError::Write)?;
    }
}

/// The client hears why its upload failed; the server's own trouble (a disk error,
/// with its paths) goes to the log, and the client hears only that it happened.
fn save_error(e: SaveError) -> Response {
    match e {
        SaveError::Disk(_) => {
            crate::message!("curd-server: {e}");
            Response::text(
                500,
                "the server could not store the upload; its log says why",
            )
        }
        e @ (SaveError::Bucket(_) | SaveError::Racing { .. }) => {
            crate::message!("curd-server: {e}");
            Response::text(e.status(), e).header("Retry-After", "1")
        }
        e => Response::text(e.status(), e),
    }
}
