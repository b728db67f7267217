use std::time::{Duration, UNIX_EPOCH};

use super::*;

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// RFC 4231, section 4: test cases 1, 2, 3, 6 and 7 (the truncated case 5 is
/// not how SigV4 uses it).
#[test]
fn hmac_matches_rfc_4231() {
    let cases: [(Vec<u8>, Vec<u8>, &str); 5] = [
        (
            vec![0x0b; 20],
            b"Hi There".to_vec(),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        ),
        (
            b"Jefe".to_vec(),
            b"what do ya want for nothing?".to_vec(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ),
        (
            vec![0xaa; 20],
            vec![0xdd; 50],
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
        ),
        (
            vec![0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        ),
        (
            vec![0xaa; 131],
            b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".to_vec(),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
        ),
    ];
    for (key, data, expected) in cases {
        assert_eq!(
            hmac_sha256(&key, &data).to_vec(),
            unhex(expected),
            "{expected}"
        );
    }
}

const HOST: &str = "examplebucket.s3.amazonaws.com";

fn example() -> (Credentials, Stamp) {
    let credentials = Credentials::new(
        "AKIAIOSFODNN7EXAMPLE".into(),
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
    );
    (
        credentials,
        Stamp::of(UNIX_EPOCH + Duration::from_secs(1_369_353_600)),
    )
}

fn signature(
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    extra: &[(&str, &str)],
    payload: &str,
) -> String {
    let (credentials, stamp) = example();
    let mut headers = vec![
        ("host", HOST),
        ("x-amz-content-sha256", payload),
        ("x-amz-date", stamp.datetime.as_str()),
    ];
    headers.extend_from_slice(extra);
    let query = canonical_query(query);
    let header = authorization(
        &credentials,
        &Scope {
            region: "us-east-1",
            stamp: &stamp,
        },
        &Request {
            method,
            path: &uri_encode(path, true),
            query: &query,
            headers: &headers,
            payload,
        },
    );
    let (head, signature) = header.split_once(", Signature=").unwrap();
    assert!(head.starts_with("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders="), "{head}");
    signature.to_string()
}

/// The four examples of "Signature Calculations for the Authorization Header:
/// Transferring Payload in a Single Chunk" in the S3 API reference.
#[test]
fn header_signatures_match_the_s3_reference_examples() {
    assert_eq!(
        signature(
            "GET",
            "/test.txt",
            &[],
            &[("range", "bytes=0-9")],
            EMPTY_SHA256
        ),
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    );
    assert_eq!(
        signature(
            "PUT",
            "/test$file.text",
            &[],
            &[
                ("date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY")
            ],
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
        ),
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
    );
    assert_eq!(
        signature("GET", "/", &[("lifecycle", "")], &[], EMPTY_SHA256),
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"
    );
    assert_eq!(
        signature(
            "GET",
            "/",
            &[("prefix", "J"), ("max-keys", "2")],
            &[],
            EMPTY_SHA256
        ),
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
    );
}

/// "Authenticating Requests: Using Query Parameters", the S3 API reference's example.
#[test]
fn presigned_url_matches_the_s3_reference_example() {
    let (credentials, stamp) = example();
    let query = presigned_query(
        &credentials,
        &Scope {
            region: "us-east-1",
            stamp: &stamp,
        },
        "GET",
        HOST,
        "/test.txt",
        86_400,
    );
    assert_eq!(
        query,
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    );
}

#[test]
fn encodes_keys_as_s3_reads_them() {
    assert_eq!(uri_encode("a/b c+d~_.-é", true), "a/b%20c%2Bd~_.-%C3%A9");
    assert_eq!(uri_encode("a/b", false), "a%2Fb");
    assert_eq!(
        canonical_query(&[("b", "x y"), ("a", ""), ("A", "1")]),
        "A=1&a=&b=x%20y"
    );
}
