//! Response bodies: JSON written byte for byte as `serde_json::to_vec` writes it (compact,
//! the same escapes, the same number formatting), faster where a page spends its time.
//!
//! A page of 100 repositories is ~40 KB of JSON made of short strings (keys, names, ARNs,
//! URIs). `serde_json` escapes a string by looking up each byte in a table; here the bytes
//! are checked a chunk at a time with vector instructions, and a string with nothing to
//! escape (nearly all of them) is copied in one piece. Numbers are still formatted by `serde_json` itself, so they cannot
//! differ. Measured with callgrind on a DescribeRepositories page: escaping was about a
//! third of the handler's instructions (BENCHMARKS.md, issue 10).

use serde::de::DeserializeOwned;
use serde::ser::{self, Serialize};

/// An operation's output as its handler answers it: a value to serialize, or the JSON the
/// handler wrote itself (from parts it keeps ready, so a page of 100 records is mostly
/// copying), which must be byte for byte what [`to_vec`] writes for the value.
#[derive(Debug, Clone, PartialEq)]
pub enum Rendered<T> {
    Value(T),
    Json(Vec<u8>),
}

impl<T> From<T> for Rendered<T> {
    fn from(value: T) -> Rendered<T> {
        Rendered::Value(value)
    }
}

impl<T: Serialize> Rendered<T> {
    /// The response body.
    pub fn into_body(self) -> Result<Vec<u8>, serde_json::Error> {
        match self {
            Rendered::Value(value) => to_vec(&value),
            Rendered::Json(json) => Ok(json),
        }
    }
}

impl<T: DeserializeOwned> Rendered<T> {
    /// The value (read back from its JSON when the handler wrote that: only typed, in-process
    /// calls need this).
    pub fn into_value(self) -> Result<T, serde_json::Error> {
        match self {
            Rendered::Value(value) => Ok(value),
            Rendered::Json(json) => serde_json::from_slice(&json),
        }
    }
}

/// `value` as compact JSON, exactly as `serde_json::to_vec(value)` would write it.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut writer = Writer {
        out: Vec::with_capacity(INITIAL_CAPACITY),
    };
    value.serialize(&mut writer)?;
    Ok(writer.out)
}

/// Enough for most answers at once; a page grows it a few times.
const INITIAL_CAPACITY: usize = 1024;

struct Writer {
    out: Vec<u8>,
}

/// What follows a backslash for each byte that JSON escapes with one letter, as
/// `serde_json` writes them; the other control characters are written `\u00xx`.
fn short_escape(byte: u8) -> Option<u8> {
    match byte {
        b'"' => Some(b'"'),
        b'\\' => Some(b'\\'),
        0x08 => Some(b'b'),
        0x0c => Some(b'f'),
        b'\n' => Some(b'n'),
        b'\r' => Some(b'r'),
        b'\t' => Some(b't'),
        _ => None,
    }
}

fn needs_escape(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// Strings are checked this many bytes at a time, as a fixed-size array checked without
/// an early exit: the compiler turns that into a few vector instructions.
const CHUNK: usize = 16;

fn chunk_needs_escape(chunk: &[u8; CHUNK]) -> bool {
    chunk
        .iter()
        .fold(false, |any, &byte| any | needs_escape(byte))
}

/// Whether any byte of `bytes` needs escaping: most strings are keys and names shorter
/// than a chunk, so those are read as two overlapping words, straight from the string.
fn any_needs_escape(bytes: &[u8]) -> bool {
    let len = bytes.len();
    if len < WORD {
        return bytes.iter().any(|&byte| needs_escape(byte));
    }
    if len < CHUNK {
        return word_needs_escape(&bytes[..WORD]) || word_needs_escape(&bytes[len - WORD..]);
    }
    let mut chunks = bytes.chunks_exact(CHUNK);
    let mut found = false;
    for chunk in &mut chunks {
        found |= chunk_needs_escape(chunk.try_into().expect("a whole chunk"));
    }
    // The rest, read as the last whole chunk of the string (overlapping checked bytes),
    // straight from the string: a padded copy would stall the load on the copy's stores.
    let last = &bytes[len - CHUNK..];
    found | chunk_needs_escape(last.try_into().expect("a whole chunk"))
}

const WORD: usize = 8;

/// Whether any of the eight bytes of `word` needs escaping (control, `"` or `\`), all at
/// once with word arithmetic.
fn word_needs_escape(word: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let word = u64::from_le_bytes(word.try_into().expect("a whole word"));
    // A byte below 0x20 borrows into its high bit when 0x20 is subtracted; bytes with the
    // high bit set (UTF-8, never escaped) are masked out by `!word` below.
    let below_space = word.wrapping_sub(ONES * 0x20);
    // The classic "has a zero byte" test, for the bytes equal to `"` and to `\`.
    let zero = |x: u64| x.wrapping_sub(ONES);
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    (below_space | (zero(quote) & !quote) | (zero(backslash) & !backslash)) & !word & HIGHS != 0
}

impl Writer {
    fn string(&mut self, text: &str) {
        let bytes = text.as_bytes();
        self.out.reserve(bytes.len() + 2);
        self.out.push(b'"');
        if any_needs_escape(bytes) {
            // Clean runs are copied in one piece, from `start` up to the next escape.
            let mut start = 0;
            for (at, &byte) in bytes.iter().enumerate() {
                if needs_escape(byte) {
                    self.out.extend_from_slice(&bytes[start..at]);
                    self.escape(byte);
                    start = at + 1;
                }
            }
            self.out.extend_from_slice(&bytes[start..]);
        } else {
            self.out.extend_from_slice(bytes);
        }
        self.out.push(b'"');
    }

    fn escape(&mut self, byte: u8) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        match short_escape(byte) {
            Some(letter) => self.out.extend_from_slice(&[b'\\', letter]),
            None => self.out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]),
        }
    }

    /// A scalar as `serde_json` formats it (numbers: integers and the shortest float).
    fn scalar<T: Serialize>(&mut self, value: T) -> Result<(), serde_json::Error> {
        serde_json::to_writer(&mut self.out, &value)
    }
}

/// An array, object or variant being written: whether a member was written yet, and what
/// closes it.
struct Compound<'a> {
    writer: &'a mut Writer,
    first: bool,
    close: &'static [u8],
}

impl Compound<'_> {
    fn separate(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.writer.out.push(b',');
        }
    }

    fn member<T: Serialize + ?Sized>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        self.separate();
        self.writer.string(key);
        self.writer.out.push(b':');
        value.serialize(&mut *self.writer)
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), serde_json::Error> {
        self.separate();
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result<(), serde_json::Error> {
        self.writer.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl<'a> Writer {
    fn open(&'a mut self, open: &[u8], close: &'static [u8]) -> Compound<'a> {
        self.out.extend_from_slice(open);
        Compound {
            writer: self,
            first: true,
            close,
        }
    }

    /// `{"variant":` then a compound closed by `close` and the object's `}`.
    fn open_variant(
        &'a mut self,
        variant: &str,
        open: &[u8],
        close: &'static [u8],
    ) -> Compound<'a> {
        self.out.push(b'{');
        self.string(variant);
        self.out.push(b':');
        self.open(open, close)
    }
}

impl<'a> ser::Serializer for &'a mut Writer {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Self::Error> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), Self::Error> {
        self.scalar(v)
    }

    fn serialize_i16(self, v: i16) -> Result<(), Self::Error> {
        self.scalar(v)
    }

    fn serialize_i32(self, v: i32) -> Result<(), Self::Error> {
        self.scalar(v)
    }

    fn serialize_i64(self, v: i64) -> Result<(), Self::Error> {
        self.scalar(v)
    }

    fn serialize_i128(self, v: i128) -> Result<(), Self::Error> {
        self.scalar(v)
    }

    fn serialize_u8(self, v: u8) -> Result<(), Self::Error> {
        self.scalar(v)
    }

    fn serialize_u16(self, v: u16) -> Result<(), Self::Error> {
        self.scalar(v)
    }

    fn serialize_u32(self, v: u32) -> Result<(), Self::Error> {
        self.scalar(v)
    }

    fn serialize_u64(self, v: u64) -> Result<(), Self::Error> {
        self.scalar(v)
    }

    fn serialize_u128(self, v: u128) -> Result<(), Self::Error> {
        self.scalar(v)
    }

    fn serialize_f32(self, v: f32) -> Result<(), Self::Error> {
        self.scalar(v)
    }

    fn serialize_f64(self, v: f64) -> Result<(), Self::Error> {
        self.scalar(v)
    }

    fn serialize_char(self, v: char) -> Result<(), Self::Error> {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), Self::Error> {
        self.string(v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Self::Error> {
        self.scalar(v)
    }

    fn serialize_none(self) -> Result<(), Self::Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Self::Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Self::Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Self::Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Self::Error> {
        self.string(variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        if name == RAW_VALUE_TOKEN {
            // serde_json's RawValue: its own serializer knows how to write it verbatim.
            return serde_json::to_writer(&mut self.out, &RawNewtype(value));
        }
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        let object = self.open_variant(variant, b"", b"}");
        value.serialize(&mut *object.writer)?;
        object.end()
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, Self::Error> {
        Ok(self.open(b"[", b"]"))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a>, Self::Error> {
        Ok(self.open(b"[", b"]"))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Self::Error> {
        Ok(self.open(b"[", b"]"))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Self::Error> {
        Ok(self.open_variant(variant, b"[", b"]}"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, Self::Error> {
        Ok(self.open(b"{", b"}"))
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Self::Error> {
        Ok(self.open(b"{", b"}"))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Self::Error> {
        Ok(self.open_variant(variant, b"{", b"}}"))
    }
}

/// The newtype name serde_json gives its `RawValue`.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// A `RawValue`'s inner value, handed back to serde_json under the name it recognises.
struct RawNewtype<'a, T: ?Sized>(&'a T);

impl<T: Serialize + ?Sized> Serialize for RawNewtype<'_, T> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(RAW_VALUE_TOKEN, self.0)
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Self::Error> {
        Compound::end(self)
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Self::Error> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Self::Error> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        self.element(value)
    }

    fn end(self) -> Result<(), Self::Error> {
        Compound::end(self)
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Self::Error> {
        self.separate();
        // A key is written as serde_json writes it: strings, and numbers and booleans in
        // quotes; anything else is refused.
        key.serialize(MapKey(&mut *self.writer))?;
        self.writer.out.push(b':');
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Self::Error> {
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result<(), Self::Error> {
        Compound::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        self.member(key, value)
    }

    fn end(self) -> Result<(), Self::Error> {
        Compound::end(self)
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        self.member(key, value)
    }

    fn end(self) -> Result<(), Self::Error> {
        Compound::end(self)
    }
}

/// A map key: strings as strings; anything else as serde_json writes it as a key (numbers
/// and booleans quoted, other kinds refused with its error), by asking serde_json itself.
struct MapKey<'a>(&'a mut Writer);

impl MapKey<'_> {
    /// Writes `key` as serde_json writes it as a map key (its own error if it refuses).
    fn delegate<T: Serialize>(self, key: T) -> Result<(), serde_json::Error> {
        let object = serde_json::to_vec(&OneEntry(key))?;
        // `{KEY:null}`: KEY is the quoted text serde_json wrote.
        let key = object
            .strip_prefix(b"{")
            .and_then(|rest| rest.strip_suffix(b":null}"))
            .ok_or_else(key_must_be_a_string)?;
        self.0.out.extend_from_slice(key);
        Ok(())
    }
}

/// A map of one entry, `key` → null.
struct OneEntry<T>(T);

impl<T: Serialize> Serialize for OneEntry<T> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(&self.0, &())?;
        map.end()
    }
}

macro_rules! delegated_keys {
    ($($method:ident($type:ty)),* $(,)?) => {
        $(
            fn $method(self, v: $type) -> Result<(), Self::Error> {
                self.delegate(v)
            }
        )*
    };
}

impl ser::Serializer for MapKey<'_> {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = ser::Impossible<(), serde_json::Error>;
    type SerializeTuple = ser::Impossible<(), serde_json::Error>;
    type SerializeTupleStruct = ser::Impossible<(), serde_json::Error>;
    type SerializeTupleVariant = ser::Impossible<(), serde_json::Error>;
    type SerializeMap = ser::Impossible<(), serde_json::Error>;
    type SerializeStruct = ser::Impossible<(), serde_json::Error>;
    type SerializeStructVariant = ser::Impossible<(), serde_json::Error>;

    fn serialize_str(self, v: &str) -> Result<(), Self::Error> {
        self.0.string(v);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Self::Error> {
        self.0.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Self::Error> {
        self.0.string(variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        value.serialize(self)
    }

    delegated_keys!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
    );

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_none(self) -> Result<(), Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit(self) -> Result<(), Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Self::Error> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Self::Error> {
        Err(key_must_be_a_string())
    }
}

fn key_must_be_a_string() -> serde_json::Error {
    ser::Error::custom("key must be a string")
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use serde::Serialize;

    use super::*;
    use crate::{Blob, Timestamp};

    /// Checks `value` is written exactly as serde_json writes it.
    fn same<T: Serialize + ?Sized + std::fmt::Debug>(value: &T) {
        assert_eq!(
            String::from_utf8(to_vec(value).unwrap()).unwrap(),
            String::from_utf8(serde_json::to_vec(value).unwrap()).unwrap(),
            "{value:?}"
        );
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        // Every ASCII byte, alone and inside runs longer than one eight-byte word.
        for byte in 0u8..=0x7f {
            let c = char::from(byte);
            same(&c.to_string());
            same(&format!("abcdefgh{c}ijklmnopq"));
            // At each place around a word's and a chunk's end, and in a later chunk.
            for at in [
                1,
                WORD - 1,
                WORD,
                WORD + 1,
                CHUNK - 1,
                CHUNK,
                CHUNK + 1,
                3 * CHUNK + 5,
            ] {
                same(&format!("{}{c}{}{c}", "x".repeat(at), "y".repeat(at)));
            }
            same(&c);
        }
        for text in [
            "",
            "team/web",
            "arn:aws:ecr:us-east-1:123456789012:repository/team/web",
            "é日本語🚀 and \u{7f}\u{80}\u{ff}",
            "\"\\\"\\\\\n\r\t\u{8}\u{c}\u{0}\u{1f}",
            "1234567\"",
            "12345678\\",
        ] {
            same(text);
        }
    }

    #[test]
    fn random_strings_of_awkward_bytes_match() {
        const ALPHABET: [char; 12] = [
            'a', '"', '\\', '\n', '\u{1}', '\u{1f}', ' ', '~', 'é', '🚀', '\u{7f}', '/',
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 100) as usize;
            let text: String = (0..len)
                .map(|i| ALPHABET[((state >> (i % 60)) as usize + i) % ALPHABET.len()])
                .collect();
            same(&text);
        }
    }

    #[test]
    fn numbers_are_formatted_by_serde_json() {
        same(&[i64::MIN, -1, 0, 1, i64::MAX]);
        same(&[u64::MAX]);
        same(&[u128::MAX]);
        same(&[i128::MIN]);
        same(&[
            1690385025.197,
            -0.0,
            1e300,
            1e-7,
            0.1,
            f64::NAN,
            f64::INFINITY,
        ]);
        same(&[1.5f32, f32::NAN]);
        same(&[
            Timestamp::from_epoch_millis(1_690_385_025_197),
            Timestamp::from_epoch_millis(1_000),
        ]);
        same(&(
            true,
            false,
            (),
            'x',
            7u8,
            -7i8,
            300u16,
            -300i16,
            70_000u32,
            -70_000i32,
        ));
    }

    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Page {
        repository_name: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        next_token: Option<String>,
        items: Vec<Item>,
        empty: Vec<Item>,
        blob: Blob,
        #[serde(with = "serde_bytes_as_seq")]
        bytes: Vec<u8>,
        tags: BTreeMap<String, String>,
        counts: HashMap<u32, bool>,
        flags: BTreeMap<bool, i8>,
        unit: (),
    }

    /// serde's `serialize_bytes`, which serde_json writes as an array of numbers.
    mod serde_bytes_as_seq {
        pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(v)
        }
    }

    #[derive(Debug, Serialize)]
    enum Item {
        Unit,
        Newtype(String),
        Tuple(u8, String),
        Struct { a: u8, b: Option<u8> },
        Nested(Box<Item>),
    }

    #[derive(Debug, Serialize)]
    struct Wrapper(String);

    #[derive(Debug, Serialize)]
    struct UnitStruct;

    #[test]
    fn structures_sequences_maps_and_enums_match() {
        let page = Page {
            repository_name: Some("team/web".into()),
            next_token: None,
            items: vec![
                Item::Unit,
                Item::Newtype("n\"".into()),
                Item::Tuple(1, "t".into()),
                Item::Struct { a: 2, b: None },
                Item::Nested(Box::new(Item::Struct { a: 3, b: Some(4) })),
            ],
            empty: Vec::new(),
            blob: Blob(b"hello\0".to_vec()),
            bytes: vec![0, 1, 255],
            tags: BTreeMap::from([("k\n".into(), "v".into()), ("a".into(), String::new())]),
            counts: HashMap::from([(7, true)]),
            flags: BTreeMap::from([(false, -1), (true, 1)]),
            unit: (),
        };
        same(&page);
        same(&Wrapper("w".into()));
        same(&UnitStruct);
        same(&None::<u8>);
        same(&Some(Some(1)));
        same(&Vec::<u8>::new());
        same(&BTreeMap::<String, u8>::new());
    }

    #[test]
    fn the_word_test_finds_each_byte_that_needs_escaping_at_each_position() {
        for position in 0..WORD {
            for byte in 0u8..=0xff {
                let mut word = [b'a'; WORD];
                word[position] = byte;
                assert_eq!(
                    word_needs_escape(&word),
                    needs_escape(byte),
                    "byte {byte:#x} at {position}"
                );
            }
        }
        // High bytes (UTF-8) next to low ones neither hide nor fake a match.
        for (word, expected) in [
            ([0xff, 0x1f, 0x80, b'a', b'a', b'a', b'a', b'a'], true),
            ([0xc3, 0xa9, 0xe6, 0x97, 0xa5, 0xf0, 0x9f, 0x9a], false),
            ([0xa2, 0xdc, 0xa2, 0xdc, 0xa2, 0xdc, 0xa2, b'"'], true),
            ([0x80, 0x81, 0x9f, 0xa0, 0xbf, 0xc0, 0xdf, 0xe0], false),
        ] {
            assert_eq!(word_needs_escape(&word), expected, "{word:x?}");
        }
    }

    #[test]
    fn rendered_outputs_give_their_json_or_their_value() {
        let value = BTreeMap::from([("a".to_owned(), 1)]);
        let json = Rendered::<BTreeMap<String, i32>>::Json(br#"{"a":1}"#.to_vec());
        assert_eq!(json.clone().into_body().unwrap(), br#"{"a":1}"#);
        assert_eq!(json.into_value().unwrap(), value);
        let typed = Rendered::from(value.clone());
        assert_eq!(typed.clone().into_body().unwrap(), br#"{"a":1}"#);
        assert_eq!(typed.into_value().unwrap(), value);
        assert!(
            Rendered::<BTreeMap<String, i32>>::Json(b"[".to_vec())
                .into_value()
                .is_err()
        );
    }

    #[test]
    fn keys_serde_json_refuses_are_refused() {
        let map = BTreeMap::from([(vec![1u8], 1)]);
        assert!(serde_json::to_vec(&map).is_err());
        assert!(to_vec(&map).is_err());
    }
}
