//! The state interfaces the image and layer operations stand on. For now only the
//! content-addressed blob store ([`blobs::BlobStore`]); its filesystem backend is the
//! `storage-fs` crate.

pub mod blobs;
