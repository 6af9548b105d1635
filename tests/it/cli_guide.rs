//! A CLI that guides (issue 16 item 5): help text everywhere, closed sets as value enums, shell
//! completions, the man page, and a version that names the build's git revision.

use clap::{CommandFactory, Parser};
use samlgate::cli::{AlgorithmArg, Cli, Command, KeysCommand, SiteArg};

use crate::common::*;

/// Every command, subcommand, argument and flag says what it is for (and clap's own checks of the
/// definition hold).
#[test]
fn every_command_and_argument_has_help_text() {
    Cli::command().debug_assert();
    let mut root = Cli::command();
    root.build();
    let mut missing = Vec::new();
    walk(&root, &mut missing);
    assert!(missing.is_empty(), "without help text:\n{}", missing.join("\n"));
}

fn walk(cmd: &clap::Command, missing: &mut Vec<String>) {
    let path = cmd.get_bin_name().unwrap_or(cmd.get_name()).to_string();
    if cmd.get_about().is_none() && cmd.get_long_about().is_none() {
        missing.push(format!("command `{path}`"));
    }
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        if arg.get_help().is_none() && arg.get_long_help().is_none() {
            missing.push(format!("argument `{}` of `{path}`", arg.get_id()));
        }
    }
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        walk(sub, missing);
    }
}

/// A bad value for a closed set is a usage error (exit 2) listing the possible values, before any
/// config is read or written; `--help` lists them too; the old spellings still parse.
#[test]
fn closed_sets_are_value_enums() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["init", "--site", "xx"], "[possible values: cn, intl, eu]"),
        (&["keys", "generate", "--algorithm", "dsa"], "[possible values: rsa2048, rsa3072, rsa4096, ecdsa-p256]"),
        (&["keys", "rollover", "prepare", "--algorithm", "rsa1024"], "rsa2048, rsa3072, rsa4096, ecdsa-p256"),
        (&["admin", "token", "create", "ci", "--scope", "root"], "[possible values: admin, assertions]"),
        (&["assert", "--user", "c", "--format", "pdf"], "[possible values: base64, xml, form]"),
        (&["audit", "export", "--format", "xls"], "[possible values: csv, jsonl]"),
        (&["check", "--format", "yaml"], "[possible values: text, json]"),
        (&["--log-format", "xml", "check"], "[possible values: text, json]"),
        (&["completions", "tcsh"], "bash"),
    ];
    for (args, values) in cases {
        let o = run(tmp.path(), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("invalid value") && stderr(&o).contains(values), "{args:?}: {}", stderr(&o));
    }
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0, "nothing written");

    for (args, values) in [
        (&["init", "--help"][..], ["cn:", "intl:", "eu:"]),
        (&["keys", "generate", "--help"][..], ["rsa2048:", "rsa4096:", "ecdsa-p256:"]),
        (&["admin", "token", "create", "--help"][..], ["admin:", "assertions:", "--scope <SCOPE>"]),
    ] {
        let o = run(tmp.path(), args);
        assert!(o.status.success(), "{args:?}");
        for v in values {
            assert!(stdout(&o).contains(v), "{args:?} lists {v}: {}", stdout(&o));
        }
    }

    // The spellings `keys::KeyAlgorithm` reads (any case) are aliases; `--site` ignores case too.
    for (spelling, want) in
        [("RSA", AlgorithmArg::Rsa2048), ("rsa-4096", AlgorithmArg::Rsa4096), ("EC", AlgorithmArg::EcdsaP256)]
    {
        let cli = Cli::try_parse_from(["samlgate", "keys", "generate", "--algorithm", spelling]).unwrap();
        assert!(
            matches!(cli.command, Some(Command::Keys { command: KeysCommand::Generate { algorithm, .. } }) if algorithm == want),
            "{spelling}"
        );
    }
    let cli = Cli::try_parse_from(["samlgate", "init", "--site", "INTL"]).unwrap();
    assert!(matches!(cli.command, Some(Command::Init { site: Some(SiteArg::Intl), .. })));
}

/// `samlgate completions SHELL` prints a script naming the commands, with no config around.
#[test]
fn completions_print_a_script_for_each_shell() {
    let tmp = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = run(tmp.path(), &["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        assert!(script.contains("samlgate") && script.contains("rollover") && script.contains("bindings"), "{shell}");
        if shell == "bash" {
            assert!(script.contains("complete -F _samlgate"), "{script}");
            assert!(script.contains("rsa2048 rsa3072 rsa4096 ecdsa-p256"), "value enums complete: {script}");
        }
    }
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0, "no config created");
}

/// `samlgate man`: one roff page with every command's synopsis and options (troff reads it without
/// a warning when groff is installed); `--dir` writes a page per command.
#[test]
fn man_prints_the_whole_cli_as_one_page_or_one_per_command() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run(tmp.path(), &["man"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.contains(".TH samlgate 1") && page.contains(".SH NAME"), "{page}");
    for needle in [
        ".SH \"SAMLGATE KEYS ROLLOVER PREPARE\"",
        ".SH \"SAMLGATE CHECK\"",
        ".SH \"SAMLGATE COMPLETIONS\"",
        "\\-\\-algorithm",
        "ecdsa\\-p256",
        "\\-\\-x\\-account\\-type",
    ] {
        assert!(page.contains(needle), "{needle}");
    }
    assert!(page.is_ascii(), "non-ASCII characters are roff escapes");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0, "no config created");
    if let Ok(g) = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-z", "-ww"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        use std::io::Write as _;
        let mut g = g;
        g.stdin.take().unwrap().write_all(page.as_bytes()).unwrap();
        let out = g.wait_with_output().unwrap();
        assert!(out.status.success() && out.stderr.is_empty(), "groff: {}", String::from_utf8_lossy(&out.stderr));
    }

    let dir = tmp.path().join("man1");
    let o = run(tmp.path(), &["man", "--dir", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    for name in ["samlgate.1", "samlgate-keys-generate.1", "samlgate-admin-token-create.1", "samlgate-man.1"] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.contains(".TH samlgate") && text.contains(".SH SYNOPSIS"), "{name}");
    }
    assert!(!dir.join("samlgate-help.1").exists());
    assert!(!tmp.path().join("samlgate.toml").exists());
}

/// `samlgate --version`: `samlgate <Cargo.toml's version> (git <12 hex digits, or unknown>)`.
#[test]
fn version_names_the_git_revision() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run(tmp.path(), &["--version"]);
    assert!(o.status.success());
    let out = stdout(&o);
    let rev = out
        .strip_prefix(&format!("samlgate {} (git ", env!("CARGO_PKG_VERSION")))
        .and_then(|r| r.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("{out:?}"));
    // A packager may set the revision at build time (build.rs reads SAMLGATE_GIT_REV).
    if let Some(given) = std::env::var_os("SAMLGATE_GIT_REV") {
        assert_eq!(rev, given.to_string_lossy().trim(), "{out:?}");
        return;
    }
    assert!(rev == "unknown" || rev.len() == 12 && rev.chars().all(|c| c.is_ascii_hexdigit()), "{out:?}");
    // Built from this checkout: the revision is HEAD's when git can tell.
    if let Ok(head) = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        && head.status.success()
    {
        assert_eq!(rev, String::from_utf8_lossy(&head.stdout).trim(), "{out:?}");
    }
}
