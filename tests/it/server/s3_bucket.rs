//! The S3 client against a real Garage cluster: what it writes is read back whole,
//! listings page, conditional writes keep the first writer's bytes, large files go
//! up in parts, and wrong credentials, a missing bucket or a dead endpoint give a
//! clear error, not a hang.

use std::io::Read;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use curd::server::store::s3::{
    Addressing, Bucket, Config, Credentials, MIN_PART, Overwrite, Payload, S3Error, Written,
};
use curd::util::digest::sha256_hex;

use crate::support::garage::{BUCKET, Garage, KEY_ID, REGION, SECRET};
use crate::support::http;
use crate::support::rng::Rng;
use crate::support::servers::{CannedServer, closed_port, reply};
use crate::support::tmp::TempDir;

pub(super) fn bucket_at(endpoint: &str, bucket: &str, secret: &str, timeout: Duration) -> Bucket {
    Bucket::new(Config {
        endpoint: endpoint.to_string(),
        region: REGION.into(),
        bucket: bucket.into(),
        addressing: Addressing::Path,
        credentials: Credentials::new(KEY_ID.into(), secret.into()),
        timeout,
        part_size: MIN_PART,
    })
    .expect("a valid bucket config")
}

fn read_all(bucket: &Bucket, key: &str) -> Option<Vec<u8>> {
    let mut object = bucket.get(key).expect("get")?;
    let mut bytes = Vec::new();
    object
        .body
        .read_to_end(&mut bytes)
        .expect("read the object");
    assert_eq!(bytes.len() as u64, object.size);
    Some(bytes)
}

fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::seeded(seed);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        out.extend_from_slice(&rng.next().to_le_bytes());
    }
    out.truncate(len);
    out
}

#[test]
fn the_client_writes_reads_lists_and_guards_names_on_garage() {
    let garage = Garage::start();
    let bucket = bucket_at(&garage.endpoint(0), BUCKET, SECRET, Duration::from_secs(30));
    // Another node answers for the same bucket: the cluster is one store.
    let other = bucket_at(&garage.endpoint(2), BUCKET, SECRET, Duration::from_secs(30));

    // Put, read back through another node, look up, overwrite, remove.
    let key = "wheels/demo-1.0+local-py3-none-any.whl";
    bucket
        .put(key, Payload::Bytes(b"first"), Overwrite::Always)
        .unwrap();
    assert_eq!(read_all(&other, key).as_deref(), Some(&b"first"[..]));
    assert_eq!(other.head(key).unwrap().map(|o| o.size), Some(5));
    assert!(bucket.head("wheels/absent").unwrap().is_none());
    assert!(bucket.get("wheels/absent").unwrap().is_none());

    // A conditional write never replaces: where the store honours `If-None-Match`,
    // the second write is refused and the first bytes stay.
    if bucket.honours_if_none_match("probe/if-none-match").unwrap() {
        assert_eq!(
            other
                .put(key, Payload::Bytes(b"second"), Overwrite::IfAbsent)
                .unwrap(),
            Written::Exists
        );
        assert_eq!(read_all(&bucket, key).as_deref(), Some(&b"first"[..]));
    }
    assert!(
        bucket.head("probe/if-none-match").unwrap().is_none(),
        "the probe is removed"
    );

    // A streamed body signed with its sha256; a wrong hash is refused whole.
    let body = random_bytes(300_000, 1);
    let sha = sha256_hex(&body);
    let put_stream = |key: &str, sha: &str| {
        bucket.put(
            key,
            Payload::Stream {
                reader: &mut &body[..],
                len: body.len() as u64,
                sha256: Some(sha),
            },
            Overwrite::Always,
        )
    };
    assert_eq!(
        put_stream("wheels/streamed", &sha).unwrap(),
        Written::Stored
    );
    assert_eq!(read_all(&other, "wheels/streamed"), Some(body.clone()));
    let wrong = sha256_hex(b"other bytes");
    let refused = put_stream("wheels/torn", &wrong).unwrap_err();
    assert!(
        matches!(refused, S3Error::Status { status: 400, .. }),
        "{refused}"
    );
    assert!(
        bucket.head("wheels/torn").unwrap().is_none(),
        "nothing of a refused write"
    );

    // A file larger than a part goes up in parts and reads back whole.
    let dir = TempDir::new("s3-multipart");
    let big = random_bytes(2 * MIN_PART as usize + 12_345, 2);
    let path = dir.path().join("big.whl");
    std::fs::write(&path, &big).unwrap();
    assert_eq!(
        bucket
            .put_file("wheels/big.whl", &path, None, Overwrite::IfAbsent)
            .unwrap(),
        Written::Stored
    );
    let back = read_all(&other, "wheels/big.whl").expect("the multipart object");
    assert_eq!(sha256_hex(&back), sha256_hex(&big));

    // A presigned URL reads the object with no credentials at all.
    let url = bucket.presigned_get(key, Duration::from_secs(60));
    let path_and_query = url.split_once(&garage.endpoint(0)).unwrap().1;
    let reply = http::request(
        None,
        garage.endpoint(0)[7..].parse().unwrap(),
        "GET",
        path_and_query,
        &[],
        b"",
    );
    assert_eq!(
        (reply.status, reply.body.as_slice()),
        (200, &b"first"[..]),
        "{}",
        reply.text()
    );

    // Listings come in pages and in key order; removing twice is no error.
    let names: Vec<String> = (0..23).map(|i| format!("page/{i:03}")).collect();
    for name in &names {
        bucket
            .put(name, Payload::Bytes(name.as_bytes()), Overwrite::Always)
            .unwrap();
    }
    let first = bucket.list_page("page/", None, 10).unwrap();
    assert_eq!(first.objects.len(), 10);
    let next = first.next.expect("a second page");
    let second = bucket.list_page("page/", Some(&next), 10).unwrap();
    assert_eq!(second.objects[0].key, "page/010");
    let all: Vec<String> = other
        .list("page/")
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(all, names);
    bucket.delete("page/000").unwrap();
    bucket.delete("page/000").unwrap();
    assert_eq!(bucket.list("page/").unwrap().len(), 22);
}

#[test]
fn the_client_says_what_is_wrong_instead_of_hanging() {
    let garage = Garage::start();
    let guard = Duration::from_secs(20);

    let started = Instant::now();
    let denied = bucket_at(&garage.endpoint(0), BUCKET, &"0".repeat(64), guard)
        .list("")
        .unwrap_err();
    assert!(matches!(denied, S3Error::Denied { .. }), "{denied}");
    let text = denied.to_string();
    assert!(
        text.starts_with("the store refused access to bucket `curd`"),
        "{text}"
    );
    assert!(
        !text.contains(SECRET) && !text.contains(&"0".repeat(64)),
        "{text}"
    );

    let missing = bucket_at(&garage.endpoint(1), "no-such-bucket", SECRET, guard)
        .head("x")
        .and_then(|_| bucket_at(&garage.endpoint(1), "no-such-bucket", SECRET, guard).list(""))
        .unwrap_err();
    assert!(
        matches!(missing, S3Error::NoBucket { .. } | S3Error::Denied { .. }),
        "{missing}"
    );

    let closed = format!("http://{}", closed_port());
    let down = bucket_at(&closed, BUCKET, SECRET, guard)
        .get("x")
        .unwrap_err();
    assert!(matches!(down, S3Error::Transfer { .. }), "{down}");
    assert!(
        down.to_string()
            .starts_with(&format!("cannot reach the store at `{closed}` to read `x`")),
        "{down}"
    );

    // A store that takes the connection and never answers: the timeout ends it.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let mut held = Vec::new();
    let hold = std::thread::spawn(move || {
        for stream in silent.incoming().take(3).flatten() {
            held.push(stream);
        }
        held
    });
    let stalled = bucket_at(&endpoint, BUCKET, SECRET, Duration::from_secs(1))
        .head("x")
        .unwrap_err();
    assert!(matches!(stalled, S3Error::Transfer { .. }), "{stalled}");
    assert!(
        started.elapsed() < guard,
        "errors came after {:?}",
        started.elapsed()
    );
    drop(hold);

    // A store whose listing never ends (the same page again and again) gets an
    // error, not the server's memory.
    let page = b"<?xml version=\"1.0\"?><ListBucketResult><IsTruncated>true</IsTruncated>\
        <NextContinuationToken>again</NextContinuationToken>\
        <Contents><Key>k</Key><Size>1</Size></Contents></ListBucketResult>";
    let answers = (0..3)
        .map(|_| reply("200 OK", &[("Content-Type", "application/xml")], page))
        .collect();
    let endless = CannedServer::start(answers);
    let looping = bucket_at(&endless.url(), BUCKET, SECRET, guard)
        .list("")
        .unwrap_err();
    assert!(
        looping
            .to_string()
            .contains("gives the same continuation token twice"),
        "{looping}"
    );
}
