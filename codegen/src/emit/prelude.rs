//! Emitters write every outside item fully qualified (`::std::option::Option::Some`), so a
//! model shape named `Option` or `Path` can never capture a reference. This pass then
//! shortens the paths whose short name is not taken by a generated item, which is nearly
//! always: prelude items simply lose their path, and a few runtime and std items the code
//! uses often get a `use` at the top of each module that refers to them. The output reads
//! like hand-written code, and stays correct.

use std::collections::BTreeSet;

use syn::visit_mut::VisitMut;

/// Fully qualified prelude paths and the short names they shorten to.
const PRELUDE: &[(&[&str], &str)] = &[
    (&["std", "option", "Option"], "Option"),
    (&["std", "option", "Option", "Some"], "Some"),
    (&["std", "option", "Option", "None"], "None"),
    (&["std", "result", "Result"], "Result"),
    (&["std", "result", "Result", "Ok"], "Ok"),
    (&["std", "result", "Result", "Err"], "Err"),
    (&["std", "string", "String"], "String"),
    (&["std", "vec", "Vec"], "Vec"),
    (&["std", "boxed", "Box"], "Box"),
    (&["std", "default", "Default"], "Default"),
    (&["std", "convert", "From"], "From"),
    (&["std", "convert", "Into"], "Into"),
    (&["std", "marker", "Send"], "Send"),
    (&["std", "marker", "Sync"], "Sync"),
];

/// Items imported with `use` by the modules that refer to them.
const IMPORTS: &[(&[&str], &str)] = &[
    (&["berth_runtime", "validation", "Path"], "Path"),
    (&["berth_runtime", "validation", "Violations"], "Violations"),
    (&["berth_runtime", "RequestContext"], "RequestContext"),
    (&["berth_runtime", "Timestamp"], "Timestamp"),
    (&["berth_runtime", "Blob"], "Blob"),
    (&["berth_runtime", "error", "CommonError"], "CommonError"),
    (
        &["berth_runtime", "error", "ErrorResponse"],
        "ErrorResponse",
    ),
    (&["std", "collections", "BTreeMap"], "BTreeMap"),
    (&["std", "sync", "LazyLock"], "LazyLock"),
    (&["std", "future", "Future"], "Future"),
    (&["regex", "Regex"], "Regex"),
];

/// Shortens paths in `file` (see the module docs), except those whose short name is in
/// `taken`, and adds the `use` items each top-level module then needs.
pub fn shorten(file: &mut syn::File, taken: &BTreeSet<String>) {
    for item in &mut file.items {
        let mut shortener = Shortener {
            taken,
            imported: BTreeSet::new(),
        };
        shortener.visit_item_mut(item);
        if let syn::Item::Mod(syn::ItemMod {
            content: Some((_, items)),
            ..
        }) = item
        {
            let uses = shortener.imported.iter().rev().map(|full| {
                let path = full.join("::");
                syn::parse_str::<syn::Item>(&format!("use ::{path};"))
                    .expect("an import path parses")
            });
            for use_item in uses {
                items.insert(0, use_item);
            }
        }
    }
}

struct Shortener<'a> {
    taken: &'a BTreeSet<String>,
    /// Full paths of the imports this module needs, sorted.
    imported: BTreeSet<&'static [&'static str]>,
}

impl VisitMut for Shortener<'_> {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        if path.leading_colon.is_some() {
            let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
            // The longest matching entry wins: `Option::Some` before `Option`.
            let matched = PRELUDE
                .iter()
                .chain(IMPORTS)
                .filter(|(full, _)| names.len() >= full.len() && names[..full.len()] == full[..])
                .max_by_key(|(full, _)| full.len());
            if let Some((full, short)) = matched.filter(|(_, short)| !self.taken.contains(*short)) {
                if IMPORTS.iter().any(|(import, _)| import == full) {
                    self.imported.insert(full);
                }
                // Keep generic arguments and whatever follows the item (`Option::is_none`).
                let mut segments: syn::punctuated::Punctuated<syn::PathSegment, syn::Token![::]> =
                    std::mem::take(&mut path.segments)
                        .into_iter()
                        .skip(full.len() - 1)
                        .collect();
                if let Some(first) = segments.first_mut() {
                    first.ident = syn::Ident::new(short, first.ident.span());
                }
                path.leading_colon = None;
                path.segments = segments;
            }
        }
        syn::visit_mut::visit_path_mut(self, path);
    }

    /// Paths inside serde's string arguments (`skip_serializing_if = "…"`) too.
    fn visit_attribute_mut(&mut self, attribute: &mut syn::Attribute) {
        if let syn::Meta::List(list) = &mut attribute.meta
            && !self.taken.contains("Option")
        {
            list.tokens = shorten_literals(std::mem::take(&mut list.tokens));
        }
        syn::visit_mut::visit_attribute_mut(self, attribute);
    }
}

const QUALIFIED_IS_NONE: &str = "\"::std::option::Option::is_none\"";

fn shorten_literals(tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    use proc_macro2::{Group, Literal, TokenTree};
    tokens
        .into_iter()
        .map(|token| match token {
            TokenTree::Literal(literal) if literal.to_string() == QUALIFIED_IS_NONE => {
                TokenTree::Literal(Literal::string("Option::is_none"))
            }
            TokenTree::Group(group) => {
                let mut shortened = Group::new(group.delimiter(), shorten_literals(group.stream()));
                shortened.set_span(group.span());
                TokenTree::Group(shortened)
            }
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shortened(code: &str, taken: &[&str]) -> String {
        let mut file: syn::File = syn::parse_str(code).unwrap();
        shorten(&mut file, &taken.iter().map(|s| s.to_string()).collect());
        prettyplease::unparse(&file)
    }

    #[test]
    fn prelude_paths_are_shortened() {
        let code = "fn f(x: ::std::option::Option<::std::vec::Vec<u8>>) -> ::std::option::Option<u8> { ::std::option::Option::Some(1) }";
        assert_eq!(
            shortened(code, &[]),
            "fn f(x: Option<Vec<u8>>) -> Option<u8> {\n    Some(1)\n}\n"
        );
    }

    #[test]
    fn taken_names_stay_qualified() {
        let code = "struct S { a: ::std::option::Option<::std::string::String> }";
        assert_eq!(
            shortened(code, &["String"]),
            "struct S {\n    a: Option<::std::string::String>,\n}\n"
        );
    }

    #[test]
    fn frequent_items_are_imported_by_the_modules_using_them() {
        let code = "mod a { static P: ::std::sync::LazyLock<::regex::Regex> = ::std::sync::LazyLock::new(|| todo()); } mod b { fn f() {} }";
        let out = shortened(code, &[]);
        assert!(out.contains("mod a {\n    use ::regex::Regex;\n    use ::std::sync::LazyLock;\n    static P: LazyLock<Regex> = LazyLock::new"), "{out}");
        assert!(out.contains("mod b {\n    fn f"), "{out}");
    }

    #[test]
    fn other_paths_are_untouched() {
        let code = "static P: ::std::fmt::Result = ::berth_runtime::error::body();";
        let out = shortened(code, &["LazyLock"]);
        assert!(
            out.contains("::std::fmt::Result") && out.contains("::berth_runtime::error::body"),
            "{out}"
        );
    }
}
