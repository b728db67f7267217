//! Multipart uploads: a large file goes up in parts, and the object appears only
//! when the upload is completed, whole; an upload abandoned (aborted, or cut short
//! by a crash) is never visible, and the store's lifecycle rules or a later abort
//! reclaim its parts.
//!
//! Each part is read from the file at its offset, so nothing larger than the
//! HTTP client's buffers is in memory; a part is sent with `UNSIGNED-PAYLOAD`
//! (hashing each part first would read the file twice). Completion carries
//! `If-None-Match: *` when the write is conditional.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::{Bucket, Call, Overwrite, Payload, S3Error, Written, xml};

/// A multipart upload under way.
pub struct PartUpload<'a> {
    bucket: &'a Bucket,
    key: String,
    id: String,
    /// ETags of the parts sent, in order.
    parts: Vec<String>,
}

impl Bucket {
    /// Starts a multipart upload of `key`.
    pub fn start_parts(&self, key: &str) -> Result<PartUpload<'_>, S3Error> {
        let call = Call {
            method: "POST",
            what: "start an upload of",
            key,
            query: &[("uploads", "")],
            headers: &[],
        };
        let answer = self.send_for_xml(&call, Payload::Empty)?;
        let id = xml::first(&answer, "UploadId")
            .filter(|id| !id.is_empty())
            .ok_or_else(|| S3Error::Answer {
                what: call.what,
                key: key.to_string(),
                reason: "has no upload id",
            })?;
        Ok(PartUpload {
            bucket: self,
            key: key.to_string(),
            id,
            parts: Vec::new(),
        })
    }

    /// Writes the file at `path` under `key`: in one request when it fits a part,
    /// else in parts. `sha256` (hex, of the whole file) signs a single request.
    pub fn put_file(
        &self,
        key: &str,
        path: &Path,
        sha256: Option<&str>,
        overwrite: Overwrite,
    ) -> Result<Written, S3Error> {
        let mut file = File::open(path).map_err(S3Error::Local)?;
        let len = file.metadata().map_err(S3Error::Local)?.len();
        if len <= self.part_size {
            let mut reader = (&mut file).take(len);
            return self.put(
                key,
                Payload::Stream {
                    reader: &mut reader,
                    len,
                    sha256,
                },
                overwrite,
            );
        }
        let mut upload = self.start_parts(key)?;
        let sent = (|| {
            let mut offset = 0;
            while offset < len {
                let size = self.part_size.min(len - offset);
                file.seek(SeekFrom::Start(offset)).map_err(S3Error::Local)?;
                upload.send_part(&mut (&mut file).take(size), size)?;
                offset += size;
            }
            Ok(())
        })();
        match sent {
            Ok(()) => upload.complete(overwrite),
            Err(e) => {
                upload.abort();
                Err(e)
            }
        }
    }
}

impl PartUpload<'_> {
    /// Sends the next part, `len` bytes from `reader`.
    pub fn send_part(&mut self, reader: &mut dyn Read, len: u64) -> Result<(), S3Error> {
        let number = (self.parts.len() + 1).to_string();
        let call = Call {
            method: "PUT",
            what: "send a part of",
            key: &self.key,
            query: &[("partNumber", &number), ("uploadId", &self.id)],
            headers: &[],
        };
        let response = self.bucket.send(
            &call,
            Payload::Stream {
                reader,
                len,
                sha256: None,
            },
        )?;
        if response.status().as_u16() != 200 {
            return Err(self.bucket.failure(call.what, &self.key, response));
        }
        let etag = super::header(&response, "etag");
        if etag.is_empty() {
            return Err(S3Error::Answer {
                what: call.what,
                key: self.key.clone(),
                reason: "has no ETag",
            });
        }
        self.parts.push(etag);
        Ok(())
    }

    /// Makes the object of the parts sent visible, whole.
    pub fn complete(self, overwrite: Overwrite) -> Result<Written, S3Error> {
        let mut body = String::from("<CompleteMultipartUpload>");
        for (i, etag) in self.parts.iter().enumerate() {
            body.push_str(&format!(
                "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
                i + 1,
                xml::escape(etag)
            ));
        }
        body.push_str("</CompleteMultipartUpload>");
        let conditional = [("if-none-match", "*")];
        let call = Call {
            method: "POST",
            what: "complete the upload of",
            key: &self.key,
            query: &[("uploadId", &self.id)],
            headers: match overwrite {
                Overwrite::Always => &[],
                Overwrite::IfAbsent => &conditional,
            },
        };
        let result = match self
            .bucket
            .send_for_xml(&call, Payload::Bytes(body.as_bytes()))
        {
            Ok(_) => Ok(Written::Stored),
            Err(S3Error::Status {
                status: 412 | 409, ..
            }) if overwrite == Overwrite::IfAbsent => Ok(Written::Exists),
            Err(e) => Err(e),
        };
        if !matches!(result, Ok(Written::Stored)) {
            self.abort();
        }
        result
    }

    /// Drops the parts sent; a failure leaves them for the store to reclaim.
    pub fn abort(&self) {
        let call = Call {
            method: "DELETE",
            what: "abort the upload of",
            key: &self.key,
            query: &[("uploadId", &self.id)],
            headers: &[],
        };
        if let Ok(response) = self.bucket.send(&call, Payload::Empty)
            && !matches!(response.status().as_u16(), 200 | 204 | 404)
        {
            let e = self.bucket.failure(call.what, &self.key, response);
            crate::debug!("curd-server: {e}");
        }
    }
}
