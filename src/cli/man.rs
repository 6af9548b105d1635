//! `samlgate completions SHELL` and `samlgate man [--dir DIR]`: the CLI describing itself (clap_complete,
//! clap_mangen). Neither reads nor creates a config.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use super::{Cli, CliError, CliResult};

/// The shell completion script on standard output.
pub fn completions(shell: clap_complete::Shell) -> CliResult<()> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "samlgate", &mut out);
    write_stdout(&out)
}

/// The man page of the whole CLI on standard output, or one page per command in `dir`.
pub fn man(dir: Option<&Path>) -> CliResult<()> {
    let rendering = |e: std::io::Error| CliError::failure(format!("cannot render the man page: {e}"));
    let root = built();
    match dir {
        None => write_stdout(&page(&root).map_err(rendering)?),
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| CliError::failure(format!("cannot create {}: {e}", dir.display())))?;
            let mut pages = Vec::new();
            per_command(&root, &mut pages).map_err(rendering)?;
            for (name, text) in &pages {
                let path = dir.join(name);
                std::fs::write(&path, text)
                    .map_err(|e| CliError::failure(format!("cannot write {}: {e}", path.display())))?;
            }
            eprintln!("{} man pages written to {}", pages.len(), dir.display());
            Ok(())
        }
    }
}

/// The command tree as the pages show it (no `help` pseudo-command; bin names filled in).
fn built() -> clap::Command {
    let mut root = Cli::command().disable_help_subcommand(true);
    root.build();
    root
}

/// One page: `samlgate`'s own sections (name, synopsis, description, global options, the command
/// list, version), then a section per command, depth first, with its synopsis, description and
/// options (their headings one level down).
fn page(root: &clap::Command) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    new_man(root).render(&mut out)?;
    for sub in visible_subcommands(root) {
        command_sections(sub, &mut out)?;
    }
    Ok(ascii(&out))
}

/// `samlgate.1`, `samlgate-keys.1`, `samlgate-keys-generate.1`, …: file name and text of a page per
/// command.
fn per_command(cmd: &clap::Command, pages: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
    let man = new_man(cmd);
    let mut out = Vec::new();
    man.render(&mut out)?;
    pages.push((man.get_filename(), ascii(&out)));
    for sub in visible_subcommands(cmd) {
        per_command(sub, pages)?;
    }
    Ok(())
}

/// A page whose footer names samlgate's version (a subcommand has none of its own).
fn new_man(cmd: &clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(cmd.clone()).source(format!("samlgate {}", super::args::VERSION))
}

fn visible_subcommands(cmd: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cmd.get_subcommands().filter(|s| !s.is_hide_set())
}

fn command_sections(cmd: &clap::Command, out: &mut Vec<u8>) -> std::io::Result<()> {
    let name = cmd.get_bin_name().unwrap_or_else(|| cmd.get_name()).to_uppercase();
    writeln!(out, ".SH \"{}\"", name.replace('"', ""))?;
    let man = clap_mangen::Man::new(cmd.clone());
    let mut body = Vec::new();
    man.render_synopsis_section(&mut body)?;
    man.render_description_section(&mut body)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut body)?;
    }
    // Within this command's section, its own headings are subsections.
    for line in String::from_utf8_lossy(&body).lines() {
        match line.strip_prefix(".SH ") {
            Some(heading) => writeln!(out, ".SS {heading}")?,
            None => writeln!(out, "{line}")?,
        }
    }
    for sub in visible_subcommands(cmd) {
        command_sections(sub, out)?;
    }
    Ok(())
}

/// The page in ASCII: every other character (—, →, ✓, ↔ of the help texts) as a roff `\[uXXXX]`
/// escape, so that troff renders it whatever the locale (without preconv).
fn ascii(roff: &[u8]) -> Vec<u8> {
    let mut out = String::new();
    for c in String::from_utf8_lossy(roff).chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\[u{:04X}]", c as u32));
        }
    }
    out.into_bytes()
}

/// Writes `bytes` to standard output; a closed pipe (`samlgate man | head`) is not an error.
fn write_stdout(bytes: &[u8]) -> CliResult<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError::failure(format!("cannot write to standard output: {e}")))
        }
        _ => Ok(()),
    }
}
