//! The import rule of `ARCHITECTURE.md`, read from the source: which of the server's top-level
//! modules may name which. Every `crate::…` path counts, in `use` lists, code and macro bodies.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
    str::FromStr,
};

use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// Modules each layer must never name. The lower a layer, the less it may know: the store knows
/// only the database and the domain; views know rows; services know neither HTTP routes nor
/// pages; the API and the pages do not call each other; `http` is plumbing both share (its
/// error type knows the store's errors, to word them as OnceHub does).
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "store",
        &[
            "api", "app", "cli", "http", "services", "state", "views", "web",
        ],
    ),
    (
        "views",
        &["api", "app", "cli", "http", "services", "state", "web"],
    ),
    ("services", &["api", "app", "cli", "state", "web"]),
    (
        "http",
        &["api", "app", "cli", "services", "state", "views", "web"],
    ),
    ("api", &["app", "cli", "web"]),
    ("web", &["api", "app", "cli"]),
    (
        "delivery",
        &["api", "app", "cli", "http", "services", "web"],
    ),
];

/// Crates a layer must never name (the store and the views know no HTTP framework).
const FORBIDDEN_CRATES: &[(&str, &[&str])] = &[
    ("store", &["axum", "utoipa", "maud"]),
    ("views", &["axum", "maud"]),
];

/// Every top-level module of the server and the modules (and crates) its files name.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = vec![src.clone()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        // In a folder's `mod.rs`, `super::` is the crate root.
        let super_is_root = rel.components().count() == 2 && rel.ends_with("mod.rs");
        let text = std::fs::read_to_string(&path).unwrap();
        let tokens = TokenStream::from_str(&text)
            .unwrap_or_else(|e| panic!("{} does not tokenize: {e}", rel.display()));
        let named = deps.entry(top.clone()).or_default();
        collect(tokens, super_is_root, named);
        named.remove(&top);
    }
    deps
}

/// Adds to `out` the module after each `crate::` (each item of a `crate::{…}` list), and each
/// crate a path starts with (`axum::…`).
fn collect(tokens: TokenStream, super_is_root: bool, out: &mut BTreeSet<String>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, t) in tokens.iter().enumerate() {
        match t {
            // A `use` list after a path (`x::{…}`) holds paths relative to it, not roots.
            TokenTree::Group(_) if i >= 1 && is_punct(&tokens[i - 1], ':') => {}
            TokenTree::Group(g) => collect(g.stream(), super_is_root, out),
            TokenTree::Ident(id) => {
                let root = *id == "crate" || (super_is_root && *id == "super");
                let preceded_by_path = i >= 1 && is_punct(&tokens[i - 1], ':');
                if preceded_by_path || !followed_by_path(&tokens, i) {
                    continue;
                }
                if !root {
                    out.insert(format!("::{id}"));
                    continue;
                }
                match tokens.get(i + 3) {
                    Some(TokenTree::Ident(m)) => {
                        out.insert(m.to_string());
                    }
                    Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => {
                        first_idents(g.stream(), out)
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

/// The first identifier of each comma-separated item of a `use` list.
fn first_idents(list: TokenStream, out: &mut BTreeSet<String>) {
    let mut at_start = true;
    for t in list {
        match &t {
            TokenTree::Ident(id) if at_start => {
                out.insert(id.to_string());
                at_start = false;
            }
            TokenTree::Punct(p) if p.as_char() == ',' => at_start = true,
            _ => at_start = false,
        }
    }
}

fn is_punct(t: &TokenTree, c: char) -> bool {
    matches!(t, TokenTree::Punct(p) if p.as_char() == c)
}

fn followed_by_path(tokens: &[TokenTree], i: usize) -> bool {
    tokens.get(i + 1).is_some_and(|t| is_punct(t, ':'))
        && tokens.get(i + 2).is_some_and(|t| is_punct(t, ':'))
}

#[test]
fn no_layer_names_a_module_its_rule_forbids() {
    let deps = graph();
    assert!(
        deps.contains_key("store") && deps.contains_key("api"),
        "the source tree was read: {:?}",
        deps.keys()
    );
    let mut broken = Vec::new();
    for (layer, forbidden) in FORBIDDEN {
        for m in &deps[*layer] {
            if forbidden.contains(&m.as_str()) {
                broken.push(format!("{layer} names crate::{m}"));
            }
        }
    }
    for (layer, crates) in FORBIDDEN_CRATES {
        for c in *crates {
            if deps[*layer].contains(&format!("::{c}")) {
                broken.push(format!("{layer} names the {c} crate"));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn the_modules_import_no_cycle() {
    let deps = graph();
    let modules: BTreeSet<&String> = deps.keys().collect();
    // Depth-first search; a module met again while still on the path closes a cycle.
    fn visit<'a>(
        m: &'a String,
        deps: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a String>,
        done: &mut BTreeSet<&'a String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| *p == m) {
            let mut cycle: Vec<String> = path[at..].iter().map(|s| s.to_string()).collect();
            cycle.push(m.clone());
            return Some(cycle);
        }
        if !done.insert(m) {
            return None;
        }
        path.push(m);
        for d in deps[m].iter().filter(|d| deps.contains_key(*d)) {
            if let Some(c) = visit(d, deps, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for m in modules {
        if let Some(cycle) = visit(m, &deps, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn the_rule_sees_a_forbidden_import() {
    // The reader itself: grouped, nested and macro-borne paths all count.
    let mut out = BTreeSet::new();
    collect(
        TokenStream::from_str(
            "use crate::{a::b, c::{d, e}}; fn f() { crate::g::h(); m!(crate::i::j); axum::x(); }",
        )
        .unwrap(),
        false,
        &mut out,
    );
    let want: BTreeSet<String> = ["a", "c", "g", "i", "::axum"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(out, want);
}

/// No struct exists only to describe a body in the OpenAPI document while the handler reads the
/// body another way: a body's schema is the type its handler reads (`api::body::Body`).
#[test]
fn no_schema_only_body_structs() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = BTreeSet::new();
    let mut files = vec![src];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if line.trim() == "#[allow(dead_code)]" {
                if let Some(name) = lines
                    .next()
                    .and_then(|l| l.trim().strip_prefix("pub struct "))
                    .and_then(|l| l.split([' ', '{', '(']).next())
                {
                    found.insert(name.to_string());
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "structs under #[allow(dead_code)], schema-only? type the body instead: {found:?}"
    );
}
