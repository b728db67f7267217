//! curd-server, run as a separate process over loopback.

mod checked_uploads;
mod bucket_fleet;
mod curd_server;
mod curdling_api;
mod file_versions;
mod hostile;
mod http_rules;
mod logins;
mod metadata_load;
mod online;
mod pull_through;
mod retention;
mod s3_bucket;
mod slow_clients;
