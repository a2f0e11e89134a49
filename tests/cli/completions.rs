//! `nacl-drift completions` and `nacl-drift man`, generated from the clap
//! definitions: each renders, bash, zsh and fish complete every subcommand
//! and a subcommand's flags, and groff reads the manual pages.

use std::process::Command;

use crate::support::{debian_programs, nacl_drift, repo_root, run};

const SUBCOMMANDS: [&str; 7] = [
    "snapshot",
    "diff",
    "apply",
    "lint",
    "validate",
    "completions",
    "man",
];

#[test]
fn bash_completes_every_subcommand_and_each_shell_renders() {
    let bash = run(&mut nacl_drift(), &["completions", "bash"]);
    assert_eq!(bash.code, 0, "{bash:?}");
    let script = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(script.path(), &bash.stdout).expect("write");
    // The function the script registers: `complete -F <function> ... nacl-drift`.
    let function = bash
        .stdout
        .lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with("complete ") && line.ends_with(" nacl-drift"))
        .find_map(|line| {
            line.split_whitespace()
                .skip_while(|word| *word != "-F")
                .nth(1)
        })
        .expect("the script registers a completion function");
    // What bash offers for the last of `words`, as it asks on a tab.
    let complete = |words: &[&str]| -> Vec<String> {
        let line = words.join(" ");
        let quoted: Vec<String> = words.iter().map(|word| format!("'{word}'")).collect();
        let current = words.last().expect("a word");
        let previous = words[words.len() - 2];
        let completed = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source {}; COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE='{line}'; COMP_POINT={}; {function} nacl-drift '{current}' '{previous}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                script.path().display(),
                quoted.join(" "),
                words.len() - 1,
                line.len(),
            ))
            .output()
            .expect("run bash");
        String::from_utf8_lossy(&completed.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let words = complete(&["nacl-drift", ""]);
    for subcommand in SUBCOMMANDS {
        assert!(
            words.iter().any(|w| w == subcommand),
            "bash offers {words:?}"
        );
    }
    // A subcommand's flags (clap_complete's bash script misses them for a
    // hyphenated binary name, clap-rs/clap#6421).
    assert_eq!(complete(&["nacl-drift", "diff", "--for"]), ["--format"]);
    assert_eq!(complete(&["nacl-drift", "apply", "--pru"]), ["--prune"]);
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let result = run(&mut nacl_drift(), &["completions", shell]);
        assert_eq!(result.code, 0, "{result:?}");
        assert!(
            result.stdout.contains("snapshot") && result.stdout.contains("baseline-dir"),
            "{shell}: {result:?}"
        );
    }
    let unknown = run(&mut nacl_drift(), &["completions", "tcsh"]);
    assert_eq!(unknown.code, 1, "{unknown:?}");
    assert!(
        unknown.stderr.contains("invalid value 'tcsh'"),
        "{unknown:?}"
    );
}

/// What zsh and fish offer for the last word of `line`, with nacl-drift's
/// completion script loaded: zsh's completion system in a pseudo-terminal
/// (`tests/tools/zsh-complete.zsh`), fish's `complete --do-complete`.
fn offered(shell: &str, line: &str) -> Vec<String> {
    let script = run(&mut nacl_drift(), &["completions", shell]);
    assert_eq!(script.code, 0, "{script:?}");
    let folder = tempfile::tempdir().expect("temp dir");
    let mut command = Command::new("timeout");
    command.arg("120").env("PATH", path_with(debian_programs()));
    if shell == "zsh" {
        std::fs::write(folder.path().join("_nacl-drift"), &script.stdout).expect("write");
        command
            .args(["zsh", "-f"])
            .arg(repo_root().join("tests/tools/zsh-complete.zsh"))
            .arg(folder.path())
            .arg(line);
    } else {
        let file = folder.path().join("nacl-drift.fish");
        std::fs::write(&file, &script.stdout).expect("write");
        command
            .args(["fish", "--no-config", "--command"])
            .arg(format!(
                "source {}; complete --do-complete '{line}'",
                file.display()
            ));
    }
    let output = command.output().expect("run the shell");
    assert!(output.status.success(), "{shell}: {output:?}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        // fish prints each match with its description after a tab.
        .map(|line| line.split('\t').next().unwrap_or_default().to_owned())
        .collect()
}

/// `PATH` with `folder` first.
fn path_with(folder: &std::path::Path) -> std::ffi::OsString {
    let mut folders = vec![folder.to_owned()];
    folders.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(folders).expect("a PATH")
}

#[test]
fn zsh_and_fish_complete_subcommands_and_their_flags() {
    for shell in ["zsh", "fish"] {
        let subcommands = offered(shell, "nacl-drift ");
        for subcommand in SUBCOMMANDS {
            assert!(
                subcommands.iter().any(|word| word == subcommand),
                "{shell} offers {subcommands:?}"
            );
        }
        assert_eq!(
            offered(shell, "nacl-drift diff --for"),
            ["--format"],
            "{shell}"
        );
        assert_eq!(
            offered(shell, "nacl-drift apply --pru"),
            ["--prune"],
            "{shell}"
        );
    }
}

#[test]
fn man_pages_render_with_groff() {
    for (args, title) in [
        (vec!["man"], "nacl-drift"),
        (vec!["man", "diff"], "nacl-drift-diff"),
        (vec!["man", "apply"], "nacl-drift-apply"),
        (vec!["man", "accounts"], "nacl-drift-accounts"),
        (vec!["man", "watch"], "nacl-drift-watch"),
        (vec!["man", "lambda"], "nacl-drift-lambda"),
    ] {
        let page = run(&mut nacl_drift(), &args);
        assert_eq!(page.code, 0, "{page:?}");
        assert!(page.stdout.contains(&format!(".TH {title} 1")), "{page:?}");
        let file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(file.path(), &page.stdout).expect("write");
        let rendered = Command::new("groff")
            // Plain text: no overstrike for bold and underline.
            .args(["-man", "-Tutf8", "-ww", "-P-cbou"])
            .arg(file.path())
            .output()
            .expect("groff is installed (Debian's groff-base)");
        assert!(rendered.status.success(), "{rendered:?}");
        assert!(
            rendered.stderr.is_empty(),
            "groff warns: {}",
            String::from_utf8_lossy(&rendered.stderr)
        );
        let text = String::from_utf8_lossy(&rendered.stdout);
        assert!(
            text.contains("--role-name") || title == "nacl-drift",
            "{text}"
        );
    }
    let unknown = run(&mut nacl_drift(), &["man", "rollback"]);
    assert_eq!(unknown.code, 1);
    assert_eq!(
        unknown.stderr,
        "error: `rollback` is not a subcommand of nacl-drift: expected one of snapshot, diff, apply, lint, validate, accounts, export, timeline, watch, lambda, completions, man, doctor\n"
    );
    let alias = run(&mut nacl_drift(), &["man", "restore"]);
    assert_eq!(alias.code, 0, "{alias:?}");
    assert!(alias.stdout.contains(".TH nacl-drift-apply 1"), "{alias:?}");
}
