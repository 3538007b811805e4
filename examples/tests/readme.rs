//! The README's Rust code is the examples' code. Every ```` ```rust ```` block must appear
//! verbatim in the example file linked just before it (`examples/src/*.rs` or
//! `examples/examples/*.rs`), so that `cargo clippy --all-targets` compiles it and the
//! examples' tests run it. In the Quickstart, each framework's section quotes that framework's
//! files. Every other block names its language (`sh`, `toml`, `text`, `json`).

use std::path::{Path, PathBuf};

/// The Quickstart sections and the example each one quotes.
const QUICKSTART: [(&str, &str); 7] = [
    ("axum", "axum"),
    ("actix-web", "actix"),
    ("Rocket", "rocket"),
    ("warp", "warp"),
    ("poem", "poem"),
    ("salvo", "salvo"),
    ("gRPC (tonic)", "tonic"),
];

/// Fence languages that are not Rust and need no check.
const OTHER_LANGUAGES: [&str; 4] = ["sh", "toml", "text", "json"];

/// A fenced block of the README.
struct Block {
    /// Line number of the opening fence, from 1.
    line: usize,
    /// The `##` and `###` headings it is under.
    section: String,
    subsection: String,
    /// The fence's info string.
    lang: String,
    /// Its text, lines joined with `\n`, without a final newline.
    code: String,
    /// The last `examples/...rs` link in the prose since the previous block.
    source: Option<String>,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .replace("\r\n", "\n")
}

/// The targets of the Markdown links in `text` that name an example file.
fn example_links(text: &str) -> Vec<String> {
    text.split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .filter(|target| target.starts_with("examples/") && target.ends_with(".rs"))
        .map(str::to_owned)
        .collect()
}

fn blocks(readme: &str) -> Vec<Block> {
    let (mut section, mut subsection) = (String::new(), String::new());
    let mut prose = String::new();
    let mut open: Option<Block> = None;
    let mut lines = Vec::new();
    let mut found = Vec::new();
    for (index, line) in readme.lines().enumerate() {
        if let Some(block) = open.as_mut() {
            if line.trim_start() == "```" {
                block.code = lines.join("\n");
                lines.clear();
                found.extend(open.take());
            } else {
                lines.push(line);
            }
            continue;
        }
        if let Some(lang) = line.trim_start().strip_prefix("```") {
            open = Some(Block {
                line: index + 1,
                section: section.clone(),
                subsection: subsection.clone(),
                lang: lang.trim().to_owned(),
                code: String::new(),
                source: example_links(&prose).pop(),
            });
            prose.clear();
        } else if let Some(heading) = line.strip_prefix("## ") {
            section = heading.trim().to_owned();
            subsection.clear();
            prose.clear();
        } else if let Some(heading) = line.strip_prefix("### ") {
            subsection = heading.trim().to_owned();
            prose.clear();
        } else {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    assert!(open.is_none(), "the README ends inside a code block");
    found
}

/// Whether `code` is in `file` as whole lines.
fn quoted(file: &str, code: &str) -> bool {
    file.match_indices(code).any(|(at, _)| {
        let starts_line = at == 0 || file[..at].ends_with('\n');
        let rest = &file[at + code.len()..];
        starts_line && (rest.is_empty() || rest.starts_with('\n'))
    })
}

/// What is wrong with `readme`'s code blocks, one message per problem.
fn problems(readme: &str, root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let blocks = blocks(readme);
    for block in &blocks {
        let at = format!("README.md:{}", block.line);
        if !block.lang.starts_with("rust") {
            if !OTHER_LANGUAGES.contains(&block.lang.as_str()) {
                problems.push(format!(
                    "{at}: a block in {:?}: mark Rust as `rust` (and quote an example) and \
                     anything else as one of {OTHER_LANGUAGES:?}",
                    block.lang
                ));
            }
            continue;
        }
        let Some(source) = &block.source else {
            problems.push(format!(
                "{at}: link the example file this block quotes, e.g. \
                 [`examples/src/axum.rs`](examples/src/axum.rs), in the text before it"
            ));
            continue;
        };
        if !(source.starts_with("examples/src/") || source.starts_with("examples/examples/")) {
            problems.push(format!(
                "{at}: {source} is not in examples/src or examples/examples"
            ));
            continue;
        }
        if block.section == "Quickstart" {
            if let Some((_, stem)) = QUICKSTART.iter().find(|(h, _)| *h == block.subsection) {
                let expected = [
                    format!("examples/src/{stem}.rs"),
                    format!("examples/examples/{stem}.rs"),
                ];
                if !expected.contains(source) {
                    problems.push(format!(
                        "{at}: the {} quickstart quotes {source}, not {expected:?}",
                        block.subsection
                    ));
                    continue;
                }
            }
        }
        let file = read(&root.join(source));
        if !quoted(&file, &block.code) {
            problems.push(format!(
                "{at}: this block is not, line for line, in {source}:\n{}",
                block.code
            ));
        }
    }
    for (heading, _) in QUICKSTART {
        let quotes = blocks
            .iter()
            .filter(|b| b.section == "Quickstart" && b.subsection == heading)
            .filter(|b| b.lang.starts_with("rust"))
            .count();
        if quotes == 0 {
            problems.push(format!(
                "README.md: no `### {heading}` with a rust block under `## Quickstart`"
            ));
        }
    }
    for command in ["cargo run -p session-demo", "bash scripts/test.sh"] {
        if !readme.contains(&format!("```sh\n{command}\n```")) {
            problems.push(format!(
                "README.md: the set-up command `{command}` is missing"
            ));
        }
    }
    problems
}

#[test]
fn readme_rust_blocks_are_the_examples_code() {
    let root = repo_root();
    let readme = read(&root.join("README.md"));
    let problems = problems(&readme, &root);
    assert!(problems.is_empty(), "\n{}", problems.join("\n\n"));
}

#[test]
fn the_check_catches_a_changed_block() {
    let root = repo_root();
    let readme = read(&root.join("README.md"));
    let line = "        .layer(SessionLayer::new(manager))\n";
    assert!(
        readme.contains(line),
        "the axum quickstart layers the router"
    );
    let changed = readme.replacen(
        line,
        "        .layer(SessionLayer::new(manager.clone()))\n",
        1,
    );
    assert_eq!(problems(&changed, &root).len(), 1);

    let unchecked = readme.replacen("```rust\n", "```\n", 1);
    assert_eq!(problems(&unchecked, &root).len(), 1);

    let unlinked = readme.replacen(
        "[`examples/src/warp.rs`](examples/src/warp.rs)",
        "`examples/src/warp.rs`",
        1,
    );
    assert_eq!(problems(&unlinked, &root).len(), 1);

    let misplaced = readme.replacen(
        "[`examples/src/warp.rs`](examples/src/warp.rs)",
        "[`examples/src/axum.rs`](examples/src/axum.rs)",
        1,
    );
    assert_eq!(problems(&misplaced, &root).len(), 1);
}
