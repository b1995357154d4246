//! OCI image layouts written by the harness (no image can be pulled from anywhere): random
//! layer bytes, a config, a manifest per image, `index.json` naming each image by its tag,
//! and `oci-layout`. The layer is streamed to disk, so a 1 GiB layer never sits in memory.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;
use sha2::{Digest, Sha256};

/// An uncompressed layer: skopeo sends it as it is with `--preserve-digests` (without it,
/// skopeo would gzip it on the way to any registry, and the figure would time gzip).
const LAYER_MEDIA_TYPE: &str = "application/vnd.oci.image.layer.v1.tar";
const CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";
const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// How much of a layer is generated and written at a time.
const CHUNK: usize = 1024 * 1024;

/// A blob in a layout.
#[derive(Debug, Clone)]
pub struct Blob {
    pub digest: String,
    pub size: u64,
}

/// A layout directory under construction; [`Layout::finish`] writes its index.
#[derive(Debug)]
pub struct Layout {
    pub dir: PathBuf,
    /// (manifest, tag) of each image so far.
    images: Vec<(Blob, String)>,
}

impl Layout {
    pub fn new(dir: &Path) -> Result<Layout, String> {
        let blobs = dir.join("blobs/sha256");
        std::fs::create_dir_all(&blobs).map_err(|e| format!("{}: {e}", blobs.display()))?;
        write(
            &dir.join("oci-layout"),
            br#"{"imageLayoutVersion":"1.0.0"}"#,
        )?;
        Ok(Layout {
            dir: dir.to_owned(),
            images: Vec::new(),
        })
    }

    /// A layer of `size` random bytes (xorshift from `seed`: new bytes per seed, so no
    /// registry already holds them and no client's blob cache knows them).
    pub fn layer(&self, size: u64, seed: u64) -> Result<Blob, String> {
        let temporary = self.dir.join(format!("blobs/sha256/.layer-{seed}"));
        let mut file = std::io::BufWriter::with_capacity(
            CHUNK,
            std::fs::File::create(&temporary)
                .map_err(|e| format!("{}: {e}", temporary.display()))?,
        );
        let mut hasher = Sha256::new();
        let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut chunk = vec![0u8; CHUNK];
        let mut left = size;
        while left > 0 {
            let take = left.min(CHUNK as u64) as usize;
            for word in chunk[..take].chunks_mut(8) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
            }
            hasher.update(&chunk[..take]);
            file.write_all(&chunk[..take])
                .map_err(|e| format!("{}: {e}", temporary.display()))?;
            left -= take as u64;
        }
        file.flush().map_err(|e| e.to_string())?;
        let digest = format!("sha256:{}", hex(&hasher.finalize()));
        let path = self.blob_path(&digest);
        std::fs::rename(&temporary, &path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Blob { digest, size })
    }

    /// An image of `layers` (bottom first), named `tag` in the index.
    pub fn image(&mut self, layers: &[Blob], tag: &str) -> Result<Blob, String> {
        let config = json!({
            "architecture": "amd64",
            "os": "linux",
            // Uncompressed layers: each diff ID is the layer's digest.
            "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| &l.digest).collect::<Vec<_>>()},
        });
        let config = self.blob(config.to_string().as_bytes())?;
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": config.digest, "size": config.size},
            "layers": layers.iter().map(|l| json!({
                "mediaType": LAYER_MEDIA_TYPE, "digest": l.digest, "size": l.size,
            })).collect::<Vec<_>>(),
        });
        let manifest = self.blob(manifest.to_string().as_bytes())?;
        self.images.push((manifest.clone(), tag.to_owned()));
        Ok(manifest)
    }

    /// Writes `index.json`.
    pub fn finish(self) -> Result<PathBuf, String> {
        let index = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": self.images.iter().map(|(m, tag)| json!({
                "mediaType": MANIFEST_MEDIA_TYPE, "digest": m.digest, "size": m.size,
                "annotations": {"org.opencontainers.image.ref.name": tag},
            })).collect::<Vec<_>>(),
        });
        write(&self.dir.join("index.json"), index.to_string().as_bytes())?;
        Ok(self.dir)
    }

    fn blob(&self, bytes: &[u8]) -> Result<Blob, String> {
        let digest = format!("sha256:{}", hex(&Sha256::digest(bytes)));
        write(&self.blob_path(&digest), bytes)?;
        Ok(Blob {
            digest,
            size: bytes.len() as u64,
        })
    }

    fn blob_path(&self, digest: &str) -> PathBuf {
        self.dir
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:"))
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layout_names_its_blobs_by_their_digests() {
        let dir = std::env::temp_dir().join(format!("regbench-layout-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut layout = Layout::new(&dir).unwrap();
        let layer = layout.layer(3 * 1024 * 1024 + 5, 7).unwrap();
        let other = layout.layer(3 * 1024 * 1024 + 5, 8).unwrap();
        assert_ne!(layer.digest, other.digest);
        let manifest = layout.image(std::slice::from_ref(&layer), "v1").unwrap();
        let dir = layout.finish().unwrap();
        for blob in [&layer, &manifest] {
            let bytes = std::fs::read(dir.join("blobs/sha256").join(&blob.digest[7..])).unwrap();
            assert_eq!(bytes.len() as u64, blob.size);
            assert_eq!(
                format!("sha256:{}", hex(&Sha256::digest(&bytes))),
                blob.digest
            );
        }
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
        assert_eq!(index["manifests"][0]["digest"], manifest.digest.as_str());
        assert_eq!(
            index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"],
            "v1"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
