//! The README and the book under `docs/` (mdBook): every SUMMARY.md entry
//! exists, every page is in SUMMARY.md, and every relative link, with its
//! `#anchor`, resolves. (mdbook itself is not built here: `mdbook build
//! docs` renders the same files.)

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::support::repo_root;

/// Every `[text](target)` of `markdown` outside code blocks and code spans.
fn links(markdown: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        // Code spans hold examples, not links.
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            found.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    found
}

/// The anchors of a page's headings, as GitHub and mdBook make them:
/// lower case, spaces to hyphens, other punctuation dropped.
fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        if in_code || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim().to_lowercase();
        let anchor: String = title
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect();
        found.insert(anchor);
    }
    found
}

fn book_pages() -> Vec<PathBuf> {
    let mut pages = Vec::new();
    let mut folders = vec![repo_root().join("docs/src")];
    while let Some(folder) = folders.pop() {
        for item in std::fs::read_dir(&folder).expect("read docs/src") {
            let path = item.expect("item").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|ext| ext == "md") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    pages
}

#[test]
fn the_book_holds_every_page_of_its_summary_and_no_other() {
    let src = repo_root().join("docs/src");
    let summary = std::fs::read_to_string(src.join("SUMMARY.md")).expect("docs/src/SUMMARY.md");
    let listed: BTreeSet<PathBuf> = links(&summary)
        .iter()
        .map(|entry| src.join(entry))
        .collect();
    for page in &listed {
        assert!(
            page.is_file(),
            "SUMMARY.md lists {}, which does not exist",
            page.display()
        );
    }
    for page in book_pages() {
        let name = page.file_name().expect("a name");
        assert!(
            name == "SUMMARY.md" || listed.contains(&page),
            "{} is not in SUMMARY.md",
            page.display()
        );
    }
    assert!(repo_root().join("docs/book.toml").is_file());
}

#[test]
fn every_relative_link_of_the_readme_and_the_book_resolves() {
    let mut files = vec![repo_root().join("README.md")];
    files.extend(book_pages());
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        for link in links(&text) {
            if link.starts_with("http://")
                || link.starts_with("https://")
                || link.starts_with("mailto:")
            {
                continue;
            }
            let (path, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target: PathBuf = if path.is_empty() {
                file.clone()
            } else {
                file.parent().expect("a folder").join(path)
            };
            assert!(
                target.exists(),
                "{}: the link {link:?} leads nowhere ({})",
                file.display(),
                target.display()
            );
            if !anchor.is_empty() {
                let page = std::fs::read_to_string(&target).unwrap_or_default();
                assert!(
                    anchors(&page).contains(anchor),
                    "{}: the link {link:?}: {} has no heading #{anchor}",
                    file.display(),
                    target.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked} links");
}

#[test]
fn the_readme_is_short() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README");
    let lines = readme.lines().count();
    assert!(
        lines <= 350,
        "the README has {lines} lines; the reference belongs in docs/"
    );
}

/// The incident runbook never removes a responder's fresh emergency deny:
/// none of its commands passes `--prune`.
#[test]
fn the_incident_runbook_never_prunes() {
    let runbook = std::fs::read_to_string(repo_root().join("docs/src/after-an-incident.md"))
        .expect("the runbook");
    for command in runbook
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|code| code.starts_with("nacl-drift "))
    {
        assert!(!command.contains("--prune"), "{command}");
    }
    assert!(runbook.contains("`nacl-drift apply --yes`"), "the restore");
}
