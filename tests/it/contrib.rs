//! `contrib/`: the production sample config and the systemd unit.
//!
//! The sample config is read by samlgate's own loader, describes every key the config has (a new key
//! without a sample line fails here), and — laid out as the unit lays it out, in a scratch directory —
//! `init` builds an install from it that `samlgate check` finds ready once its placeholders are
//! replaced. The unit is checked by `systemd-analyze verify` (and its sandbox rated by `systemd-analyze
//! security`) when systemd-analyze is installed.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::*;

fn example() -> String {
    std::fs::read_to_string(repo().join("contrib/samlgate.example.toml")).unwrap()
}

/// The sections of the example and the keys written (or commented out) in each: `key = …` and
/// `# key = …` lines count, as do `[[table]]` / `# [[table]]` headers.
fn keys_in_example(text: &str) -> Vec<String> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let l = line.trim_start_matches('#').trim();
        if let Some(h) = l.strip_prefix("[[").and_then(|h| h.strip_suffix("]]")) {
            section = h.trim().to_owned();
            out.push(section.clone());
        } else if let Some(h) = l.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            section = h.trim().to_owned();
        } else if let Some((k, _)) = l.split_once(" = ")
            && !k.is_empty()
            && k.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            // A key shown in the prose (`url = "postgres://…"` in the store's comment) counts too:
            // it is in its section.
            && (line.starts_with('#') || line.starts_with(k))
        {
            out.push(if section.is_empty() { k.to_owned() } else { format!("{section}.{k}") });
        }
    }
    out
}

#[test]
fn the_example_config_describes_every_key() {
    let text = example();
    let found = keys_in_example(&text);
    let all = samlgate::config::all_key_paths();
    assert!(all.len() > 60, "{all:?}");
    let missing: Vec<&String> = all.iter().filter(|k| !found.contains(k)).collect();
    assert!(missing.is_empty(), "keys without a line in contrib/samlgate.example.toml: {missing:?}");
    // Nothing in the sample that the config does not have (a typo would be refused only once uncommented).
    let unknown: Vec<&String> =
        found.iter().filter(|k| !all.contains(k) && !["admin.users", "sps"].contains(&k.as_str())).collect();
    assert!(unknown.is_empty(), "lines naming no config key: {unknown:?}");
}

#[test]
fn the_example_config_loads_with_samlgates_loader() {
    let text = example();
    let s = samlgate::config::parse_with_env(&text, Path::new("/etc/samlgate/samlgate.toml"), &[])
        .unwrap_or_else(|e| panic!("contrib/samlgate.example.toml: {e}"));
    let c = &s.config;
    assert!(c.server.base_url.starts_with("https://"), "{}", c.server.base_url);
    assert!(c.idp.entity_id.starts_with("https://"), "{}", c.idp.entity_id);
    assert_eq!(c.handoff.secret, "", "no secret in the sample");
    assert!(s.secrets_in_file.is_empty());
    assert_eq!(c.handoff.secret_file.as_deref(), Some("/etc/samlgate/handoff.secret"));
    assert!(c.store.url.starts_with("sqlite:///var/lib/samlgate/"), "{}", c.store.url);
    // What the service writes is in its StateDirectory, nothing under the read-only /etc/samlgate.
    for p in [&c.idp.key, &c.idp.cert, &c.idp.metadata_file] {
        assert!(p.starts_with("/var/lib/samlgate/"), "{p}");
    }
    assert!(c.return_urls.order_paid.as_deref().is_some_and(|u| u.starts_with("https://")));
    assert!(!c.admin.allow_minting_for_huawei);
    // Every commented-out key, uncommented, still loads (its sample value is valid) — except the
    // alternatives that exclude a key that is set (one secret source, one metrics token source), the
    // mock SP's auth_base_url and the unfinished placeholders (`…`).
    let excluded = ["secret", "metrics_token", "previous_secret"];
    let path = Path::new("/etc/samlgate/samlgate.toml");
    let mut section = String::new();
    let mut in_commented_table = false;
    for line in text.lines() {
        if let Some(h) = line.strip_prefix('[').filter(|h| !h.starts_with('[')) {
            section = h.trim_end_matches(']').to_owned();
            in_commented_table = false;
        }
        if line.starts_with("# [[") {
            in_commented_table = true;
        }
        let Some(kv) = line.strip_prefix("# ") else { continue };
        let Some((k, v)) = kv.split_once(" = ") else { continue };
        if in_commented_table
            || !k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            || v.contains('…')
            || excluded.contains(&k)
            || k == "tls_key"
        {
            continue;
        }
        let mut one = text.replacen(line, kv, 1);
        if k == "tls_cert" {
            one = one.replacen("# tls_key = ", "tls_key = ", 1);
        }
        if let Err(e) = samlgate::config::parse_with_env(&one, path, &[]) {
            panic!("[{section}] {kv}: {e}");
        }
    }
    // The commented-out arrays of tables (`# [[admin.users]]`, `# [[sps]]`), each uncommented whole.
    let lines: Vec<&str> = text.lines().collect();
    for (n, header) in lines.iter().enumerate().filter(|(_, l)| l.starts_with("# [[")) {
        let mut one: Vec<String> = lines[..n].iter().map(|l| l.to_string()).collect();
        one.push(header[2..].to_owned());
        let mut rest = lines[n + 1..].iter();
        for l in rest.by_ref() {
            if l.starts_with('[') || l.is_empty() {
                one.push(l.to_string());
                break;
            }
            let kv = l.strip_prefix("# ").unwrap_or(l);
            let is_key =
                kv.split_once(" = ").is_some_and(|(k, _)| k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            one.push(if is_key { kv.to_owned() } else { l.to_string() });
        }
        one.extend(rest.map(|l| l.to_string()));
        let one = one.join("\n");
        if let Err(e) = samlgate::config::parse_with_env(&one, path, &[]) {
            panic!("{header} uncommented: {e}");
        }
    }
}

/// The example's two directories inside `root`: `etc` for /etc/samlgate, `var` for /var/lib/samlgate.
fn laid_out(root: &Path, text: &str) -> std::path::PathBuf {
    let etc = root.join("etc");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::create_dir_all(root.join("var")).unwrap();
    let text = text
        .replace("/etc/samlgate/", &format!("{}/", etc.display()))
        .replace("/var/lib/samlgate/", &format!("{}/", root.join("var").display()));
    let config = etc.join("samlgate.toml");
    std::fs::write(&config, text).unwrap();
    config
}

fn run_with(config: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(bin());
    cmd.arg("--config").arg(config).args(args).env_remove("SAMLGATE_CONFIG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn the_example_config_is_ready_for_production_once_its_placeholders_are_replaced() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let config = laid_out(root, &example());
    let etc = root.join("etc");
    // As the unit's install notes say: Huawei's metadata and the secret file in /etc/samlgate.
    std::fs::copy(repo().join("metadata/huawei-sp-metadata.xml"), etc.join("huawei-sp-metadata.xml")).unwrap();
    let secret = etc.join("handoff.secret");
    std::fs::write(&secret, format!("{}\n", samlgate::config::random_secret())).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let before = std::fs::read_to_string(&config).unwrap();
    let o = run_with(&config, &["init"], &[]);
    assert!(o.status.success(), "init: {}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before, "init without options keeps the file as written");
    // Everything written is in the state directory; the config directory only holds what was put there.
    let mut etc_files: Vec<String> =
        std::fs::read_dir(&etc).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    etc_files.sort();
    assert_eq!(etc_files, ["handoff.secret", "huawei-sp-metadata.xml", "samlgate.toml"]);
    let var = root.join("var");
    for f in ["keys/idp.key", "keys/idp.crt", "metadata/idp-metadata.xml", "samlgate.db"] {
        assert!(var.join(f).exists(), "{f}");
    }
    let mode = std::fs::metadata(var.join("keys/idp.key")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // Not ready: exactly the placeholders and the missing admin user.
    let o = run_with(&config, &["check", "--format", "json"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let report: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let mut not_ready: Vec<&str> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["ok"] == false)
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    not_ready.sort();
    assert_eq!(not_ready, ["admin_user", "bp_id", "x_account_type"], "{report:#}");

    // The values a partner fills in, and an admin user: ready.
    let real =
        before.replace("\"CHANGE_ME_IDP\"", "\"acme_IDP\"").replace("bp_id = \"CHANGE_ME\"", "bp_id = \"65432100\"");
    std::fs::write(&config, real).unwrap();
    let o = run_with(&config, &["admin", "add-user", "ops", "--password-env", "PW"], &[("PW", ADMIN_PASSWORD)]);
    assert!(o.status.success(), "add-user: {}", stderr(&o));
    let o = run_with(&config, &["check", "--format", "json"], &[]);
    let report: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(o.status.code(), Some(0), "{report:#}");
    assert_eq!(report["ready"], true);
}

/// `systemd-analyze verify` on the unit (with ExecStart pointing at the built binary, which verify
/// wants to exist, and its man page where `man` finds it), with no warning about the file; and
/// `systemd-analyze security` rates its sandbox at most 2.0 ("OK"). Skipped, saying so, where
/// systemd-analyze is not installed (scripts/test installs Debian's `systemd` package for it).
#[test]
fn the_systemd_unit_verifies() {
    let unit = std::fs::read_to_string(repo().join("contrib/samlgate.service")).unwrap();
    // What the unit promises (issue 16 item 4).
    for line in [
        "User=samlgate",
        "StateDirectory=samlgate",
        "ConfigurationDirectory=samlgate",
        "ExecStart=/usr/local/bin/samlgate --config /etc/samlgate/samlgate.toml serve",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "Restart=on-failure",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "PrivateDevices=yes",
        "CapabilityBoundingSet=",
        "SystemCallFilter=@system-service",
        "SystemCallArchitectures=native",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "LockPersonality=yes",
        "MemoryDenyWriteExecute=yes",
        "RestrictNamespaces=yes",
        "RestrictRealtime=yes",
        "UMask=0077",
    ] {
        assert!(unit.lines().any(|l| l == line), "contrib/samlgate.service lacks `{line}`");
    }
    let Some(analyze) =
        ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].into_iter().find(|p| Path::new(p).exists())
    else {
        eprintln!(
            "note: systemd-analyze is not installed (Debian package systemd); contrib/samlgate.service not verified"
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("samlgate.service");
    std::fs::write(&file, unit.replace("/usr/local/bin/samlgate", bin())).unwrap();
    // Documentation=man:samlgate(1) names the page `samlgate man` writes: verify looks it up with `man`
    // in the pages written here (or, without `man`, is told not to look).
    let mut verify = Command::new(analyze);
    verify.arg("verify");
    if Command::new("man").arg("--version").output().is_ok_and(|o| o.status.success()) {
        let o = Command::new(bin()).arg("man").arg("--dir").arg(tmp.path().join("man/man1")).output().unwrap();
        assert!(o.status.success(), "samlgate man --dir: {}", stderr(&o));
        verify.env("MANPATH", tmp.path().join("man"));
    } else {
        eprintln!("note: man is not installed; Documentation=man:samlgate(1) not looked up");
        verify.arg("--man=no");
    }
    let o = verify.arg(&file).output().unwrap();
    let out = format!("{}{}", stdout(&o), stderr(&o));
    assert!(o.status.success(), "systemd-analyze verify: {out}");
    let about_it: Vec<&str> = out.lines().filter(|l| l.contains("samlgate.service")).collect();
    assert!(about_it.is_empty(), "systemd-analyze verify warns: {about_it:?}");
    let o = Command::new(analyze).args(["security", "--offline=yes", "--threshold=20"]).arg(&file).output().unwrap();
    let out = stdout(&o);
    assert!(o.status.success(), "exposure above 2.0: {}{}", out, stderr(&o));
    let overall = out.lines().find(|l| l.contains("Overall exposure level")).unwrap_or_default();
    eprintln!("systemd-analyze security: {}", overall.trim());
}

/// The files a user looks for: the license Cargo.toml names (the Apache License 2.0 exactly as
/// apache.org publishes it), a changelog section for this version, a security policy with a private
/// reporting channel.
#[test]
fn the_project_files_are_there() {
    let cargo = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    assert!(cargo.lines().any(|l| l == "license = \"Apache-2.0\""));
    let license = std::fs::read(repo().join("LICENSE")).unwrap();
    let digest = openssl::sha::sha256(&license);
    assert_eq!(
        hex::encode(digest),
        "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30",
        "LICENSE is not https://www.apache.org/licenses/LICENSE-2.0.txt"
    );
    let changelog = std::fs::read_to_string(repo().join("CHANGELOG.md")).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        changelog.lines().any(|l| l.starts_with(&format!("## {version}"))),
        "CHANGELOG.md has no section for {version}"
    );
    let security = std::fs::read_to_string(repo().join("SECURITY.md")).unwrap();
    assert!(security.contains("private vulnerability reporting") && security.contains("## Scope"));
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    for f in ["LICENSE", "CHANGELOG.md", "SECURITY.md", "contrib/samlgate.service", "contrib/samlgate.example.toml"] {
        assert!(readme.contains(&format!("]({f})")), "README links {f}");
    }
}
