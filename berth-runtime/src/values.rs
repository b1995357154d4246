//! Wire types for Smithy timestamps and blobs.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A point in time with millisecond precision. On the wire: epoch seconds as a JSON number,
/// milliseconds as the fraction (`1690385025.197`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    millis: i64,
}

impl Timestamp {
    pub fn from_epoch_millis(millis: i64) -> Timestamp {
        Timestamp { millis }
    }

    pub fn epoch_millis(self) -> i64 {
        self.millis
    }

    /// The current time, truncated to milliseconds.
    pub fn now() -> Timestamp {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        Timestamp { millis }
    }

    /// Epoch seconds as a float, the wire form.
    pub fn epoch_seconds(self) -> f64 {
        self.millis as f64 / 1000.0
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.millis % 1000 == 0 {
            serializer.serialize_i64(self.millis / 1000)
        } else {
            serializer.serialize_f64(self.epoch_seconds())
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let seconds = f64::deserialize(deserializer)?;
        if !seconds.is_finite() || seconds.abs() > 1e14 {
            return Err(serde::de::Error::custom("timestamp out of range"));
        }
        Ok(Timestamp {
            millis: (seconds * 1000.0).round() as i64,
        })
    }
}

/// Binary data. On the wire: standard base64 in a JSON string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Blob(pub Vec<u8>);

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Decoded straight from the text the deserializer holds: no copy of the base64
        // (a 10 MiB layer part is 13.3 MiB of it) is made first.
        struct Base64;

        impl serde::de::Visitor<'_> for Base64 {
            type Value = Blob;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a base64 string")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Blob, E> {
                base64::engine::general_purpose::STANDARD
                    .decode(text.as_bytes())
                    .map(Blob)
                    .map_err(|e| E::custom(format!("invalid base64: {e}")))
            }
        }

        deserializer.deserialize_str(Base64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_epoch_seconds_with_millisecond_fractions() {
        let t = Timestamp::from_epoch_millis(1_690_385_025_197);
        assert_eq!(serde_json::to_string(&t).unwrap(), "1690385025.197");
        assert_eq!(
            serde_json::to_string(&Timestamp::from_epoch_millis(1_000)).unwrap(),
            "1"
        );
        assert_eq!(
            serde_json::from_str::<Timestamp>("1690385025.197").unwrap(),
            t
        );
        assert_eq!(
            serde_json::from_str::<Timestamp>("12").unwrap(),
            Timestamp::from_epoch_millis(12_000)
        );
        assert!(serde_json::from_str::<Timestamp>("\"x\"").is_err());
    }

    #[test]
    fn blobs_are_base64() {
        let blob = Blob(b"hello".to_vec());
        assert_eq!(serde_json::to_string(&blob).unwrap(), "\"aGVsbG8=\"");
        assert_eq!(serde_json::from_str::<Blob>("\"aGVsbG8=\"").unwrap(), blob);
        assert!(serde_json::from_str::<Blob>("\"***\"").is_err());
    }
}
