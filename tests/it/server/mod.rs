//! curd-server, run as a separate process over loopback.

mod curd_server;
