//! # hwf-license-server
//!
//! The reference Root and Hub service for hwf-license, and its operator CLI (`hwf-license`).
//! The **Root** (A-Stack) issues CMLs and receives monthly usage manifests; a **Hub** holds a
//! CML, mints site licenses, answers heartbeats, keeps the signed usage ledger and sends the
//! monthly manifest. All signing and verification goes through the `hwf-license` core crate.
//!
//! Layers, each importing only the ones below it (`scripts/check-server-layers.sh` fails on an
//! import that points up, a cycle, or SQL outside [`store`]):
//!
//! | layer | holds | may import |
//! |-------|-------|------------|
//! | [`cli`], [`demo`] | the command line, the end-to-end scenario | everything below |
//! | [`app`] | opening the services, building the router, serving | `http`, `service`, `config`, `tls` |
//! | [`http`] | router, handlers, extractors, problem+json, OpenAPI, metrics, rate limits | `service`, `domain`, `config` |
//! | [`service`] | the Root and Hub use cases, accounts, keys at rest, the clock, the verification pool | `store`, `domain`, `config`, `tls` |
//! | [`store`] | the pool, migrations, one repository per table (all the SQL) | `domain` |
//! | [`tls`] | rustls: the served certificate, the Hub's client to the Root | `config` |
//! | [`config`] | the one configuration struct | `domain` |
//! | [`domain`] | pure rules the server adds on top of core | core only |
//!
//! See `docs/SERVER.md` for the API, the role table and operations.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod http;
pub mod service;
pub mod store;
pub mod tls;
