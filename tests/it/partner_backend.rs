//! README "Partner backend: minting the hand-off token": the examples run as written — Python always,
//! Java and PHP where `java` / `php` are installed (skipped with a note otherwise) — against a started
//! gateway, with the secret and the gateway's URL in the environment; the link each prints is followed
//! (302 to Huawei's sign-in with a gateway session) and refused the second time (its `jti` is spent).

use std::path::Path;
use std::process::Command;

use crate::common::*;

/// The first ```LANG block of the README's partner-backend section.
fn example(lang: &str) -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = readme
        .split("\n## Partner backend: minting the hand-off token\n")
        .nth(1)
        .expect("the README section \"Partner backend: minting the hand-off token\"");
    let section = section.split("\n## ").next().unwrap();
    let block = section.split(&format!("\n```{lang}\n")).nth(1).unwrap_or_else(|| panic!("a ```{lang} block"));
    block.split("\n```").next().unwrap().to_owned() + "\n"
}

fn installed(program: &str, version_flag: &str) -> bool {
    Command::new(program).arg(version_flag).output().is_ok_and(|o| o.status.success())
}

/// Runs `program file` in `dir` with HANDOFF_SECRET and SAMLGATE_URL; returns the one line it printed.
fn mint(program: &str, file: &Path, secret: &str, g: &Gateway) -> String {
    let o = Command::new(program)
        .arg(file)
        .current_dir(file.parent().unwrap())
        .env("HANDOFF_SECRET", secret)
        .env("SAMLGATE_URL", &g.base)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(o.status.success(), "{program} {}: {}", file.display(), stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "{program} prints the link: {out}");
    lines[0].to_owned()
}

/// The link takes the customer to Huawei's sign-in with a gateway session, once.
fn follow(g: &Gateway, link: &str) {
    let prefix = format!("{}/console?token=", g.base);
    assert!(link.starts_with(&prefix) && link.ends_with("&service=console"), "{link}");
    let c = client();
    let r = c.get(link).send().unwrap();
    assert_eq!(r.status(), 302, "{link}: {}", r.text().unwrap_or_default());
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        loc.starts_with(
            "https://auth.huaweicloud.com/authui/saml/login?xAccountType=acme_IDP&isFirstLogin=true&service="
        ),
        "{loc}"
    );
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("samlgate_session="), "{cookie}");
    let r = client().get(link).header("accept", "application/json").send().unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<serde_json::Value>().unwrap()["error"], "token_replayed");
}

#[test]
fn the_readme_examples_mint_tokens_the_gateway_accepts() {
    let tmp = tempfile::tempdir().unwrap();
    let g = Gateway::start(tmp.path(), &[]);
    let secret = samlgate::config::load_from(&tmp.path().join("samlgate.toml"), &[]).unwrap().config.handoff.secret;
    let work = tmp.path().join("backend");
    std::fs::create_dir(&work).unwrap();

    let py = work.join("console_link.py");
    std::fs::write(&py, example("python")).unwrap();
    let link = mint("python3", &py, &secret, &g);
    follow(&g, &link);
    // The jump is audited for the example's customer (its name and mobile passed Huawei's rules).
    let o = run(tmp.path(), &["audit", "export", "--kind", "console.jump", "--format", "jsonl"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("cust-1001"), "{}", stdout(&o));

    for (program, version_flag, file) in
        [("java", "-version", "ConsoleLink.java"), ("php", "--version", "console_link.php")]
    {
        if !installed(program, version_flag) {
            eprintln!("note: {program} is not installed; the README's {program} example was not run");
            continue;
        }
        let path = work.join(file);
        std::fs::write(&path, example(program)).unwrap();
        follow(&g, &mint(program, &path, &secret, &g));
    }
}
