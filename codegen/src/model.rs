//! Stage 1: a plain serde mirror of the Smithy 2.0 JSON AST. No interpretation happens here.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// A whole JSON AST document.
#[derive(Debug, Deserialize)]
pub struct Model {
    #[serde(default)]
    pub smithy: Option<String>,
    #[serde(default)]
    pub shapes: BTreeMap<String, Shape>,
}

/// One shape as written in the AST. Which fields are set depends on `kind`.
#[derive(Debug, Deserialize)]
pub struct Shape {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub traits: BTreeMap<String, Value>,
    /// Service version.
    #[serde(default)]
    pub version: Option<String>,
    /// Structure, union and enum members, in model order.
    #[serde(default)]
    pub members: OrderedMembers,
    #[serde(default)]
    pub member: Option<MemberRef>,
    #[serde(default)]
    pub key: Option<MemberRef>,
    #[serde(default)]
    pub value: Option<MemberRef>,
    #[serde(default)]
    pub input: Option<Target>,
    #[serde(default)]
    pub output: Option<Target>,
    #[serde(default)]
    pub errors: Vec<Target>,
    #[serde(default)]
    pub operations: Vec<Target>,
    #[serde(default)]
    pub resources: Vec<Target>,
    // Resource lifecycle operations, so operations bound through resources are found too.
    #[serde(default)]
    pub create: Option<Target>,
    #[serde(default)]
    pub put: Option<Target>,
    #[serde(default)]
    pub read: Option<Target>,
    #[serde(default)]
    pub update: Option<Target>,
    #[serde(default)]
    pub delete: Option<Target>,
    #[serde(default)]
    pub list: Option<Target>,
    #[serde(rename = "collectionOperations", default)]
    pub collection_operations: Vec<Target>,
    /// Set only in an AST that was not flattened: the generator refuses it rather than
    /// miss the members and traits a mixin would add.
    #[serde(default)]
    pub mixins: Vec<Target>,
}

/// A reference to another shape.
#[derive(Debug, Clone, Deserialize)]
pub struct Target {
    pub target: String,
}

/// A member: its target plus the traits applied at the member.
#[derive(Debug, Clone, Deserialize)]
pub struct MemberRef {
    pub target: String,
    #[serde(default)]
    pub traits: BTreeMap<String, Value>,
}

/// Members in document order: `serde_json::Map` would sort them, and model order is what
/// readers expect in generated structs and what decides which violation is reported first.
#[derive(Debug, Default)]
pub struct OrderedMembers(pub Vec<(String, MemberRef)>);

impl<'de> Deserialize<'de> for OrderedMembers {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = OrderedMembers;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of members")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut members = Vec::new();
                while let Some((name, member)) = map.next_entry::<String, MemberRef>()? {
                    members.push((name, member));
                }
                Ok(OrderedMembers(members))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// Parses a JSON AST document.
pub fn parse(json: &str) -> Result<Model, String> {
    serde_json::from_str(json).map_err(|e| format!("not a Smithy JSON AST model: {e}"))
}
