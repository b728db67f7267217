//! Requests made to hurt curd-server: each gets a 4xx with a one-line reason, and
//! the server goes on answering.

use crate::support::dists::WheelSpec;
use crate::support::servers::Server;
use crate::support::tmp::{TempDir, mkdir};

#[test]
fn a_requirement_nested_too_deep_is_refused_and_the_server_lives_on() {
    let tmp = TempDir::new("server-deep");
    let wheels = mkdir(tmp.path().join("wheels"));
    WheelSpec::new("alpha", "1.0").build(&wheels);
    let mut server = Server::start(&wheels, &[]);
    // 6.4 KB, under the limit on a request head, and far deeper than any marker
    // (which `/s/` reads as a file format: after `;` comes the format).
    let depth = 3_200;
    let query = format!(
        "/s/alpha;{}python_version%3E%273%27{}",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let reply = server.get(&query);
    assert_eq!(reply.status, 400, "{}", reply.text());
    let reason = reply.text();
    assert_eq!(reason.lines().count(), 1, "{reason}");
    let reply = server.get("/s/alpha%3E%3D%3D");
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.text(),
        "invalid requirement `alpha>==`: expected a version after `>=`, found `=`\n"
    );
    assert!(server.alive());
    let next = server.get("/s/alpha");
    assert_eq!(next.status, 200, "{}", next.text());
}
