//! The `police-api` server: HTTP routes answering police.uk's API from the in-memory
//! snapshot, and the command line (`serve`, `demo`, `import`, `sync`, `migrate`, `generate`).

pub mod access;
pub mod access_control;
pub mod allocator;
pub mod answer_buffers;
pub mod cli;
pub mod compress;
pub mod connection;
pub mod deflate;
pub mod docs;
pub mod error;
pub mod etag;
pub mod frontend;
pub mod in_flight;
pub mod json_writer;
pub mod keys_command;
pub mod logging;
pub mod metrics;
pub mod openapi;
pub mod params;
pub mod progress;
pub mod refresh;
pub mod render;
pub mod routes;
pub mod server;
pub mod signals;
pub mod state;
pub mod store;
pub mod sync;
