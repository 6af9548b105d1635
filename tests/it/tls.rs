//! Native TLS (`server.tls_cert` + `server.tls_key`, rustls): `serve` answers
//! `curl --cacert … https://127.0.0.1:PORT/healthz` with HSTS and Secure cookies, follows a renewed
//! certificate without a restart (file change, SIGHUP), and refuses a key file others can read or a
//! certificate without its key.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// A self-signed certificate for 127.0.0.1 (`name`.crt, `name`.key of mode 0600) in `dir`.
fn self_signed(dir: &Path, name: &str) {
    let o = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(dir.join(format!("{name}.key")))
        .arg("-out")
        .arg(dir.join(format!("{name}.crt")))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.join(format!("{name}.key")), std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// `curl --cacert CA -D - URL`: (exit code, headers and body).
fn curl(ca: &Path, url: &str) -> (i32, String) {
    let o =
        Command::new("curl").args(["-sS", "--max-time", "5", "-D", "-", "--cacert"]).arg(ca).arg(url).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)),
    )
}

fn serve(dir: &Path, port: u16, env: &[(&str, &str)]) -> std::process::Child {
    let log = std::fs::File::create(dir.join("tls-gateway.log")).unwrap();
    let mut cmd = Command::new(bin());
    cmd.arg("--config")
        .arg(dir.join("samlgate.toml"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .current_dir(dir)
        .env_remove("SAMLGATE_CONFIG")
        .stdout(Stdio::null())
        .stderr(log);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

struct Killed(std::process::Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_speaks_https_with_hsts_and_follows_a_renewed_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let port = free_port();
    let base = format!("https://127.0.0.1:{port}");
    assert!(run(dir, &["init", "--base-url", &base]).status.success());
    let o = run_env(dir, &["admin", "add-user", "ops", "--password-env", "PW"], &[("PW", ADMIN_PASSWORD)]);
    assert!(o.status.success(), "{}", stderr(&o));
    self_signed(dir, "tls");
    let env = [("SAMLGATE_SERVER_TLS_CERT", "tls.crt"), ("SAMLGATE_SERVER_TLS_KEY", "tls.key")];
    let mut child = Killed(serve(dir, port, &env));
    let ca = dir.join("tls.crt");
    let url = format!("{base}/healthz");
    let deadline = Instant::now() + Duration::from_secs(30);
    let (code, out) = loop {
        let (code, out) = curl(&ca, &url);
        if code == 0 || Instant::now() > deadline {
            break (code, out);
        }
        if let Ok(Some(st)) = child.0.try_wait() {
            panic!("serve exited {st}: {}", std::fs::read_to_string(dir.join("tls-gateway.log")).unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("HTTP/") && out.contains(" 200"), "{out}");
    assert!(out.to_ascii_lowercase().contains("strict-transport-security: max-age=31536000"), "{out}");
    // Cookies are Secure.
    let (_, login) = curl(&ca, &format!("{base}/admin/login"));
    let cookie =
        login.lines().find(|l| l.to_ascii_lowercase().starts_with("set-cookie:")).unwrap_or_else(|| panic!("{login}"));
    assert!(cookie.contains("Secure"), "{cookie}");
    // Plain HTTP gets no answer on the TLS port.
    let o = Command::new("curl")
        .args(["-sS", "--max-time", "3", &format!("http://127.0.0.1:{port}/healthz")])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&o.stdout).contains("ok"), "plain HTTP answered");

    // A renewed certificate (another key) over the files: picked up without a restart.
    let renew = dir.join("renew");
    std::fs::create_dir(&renew).unwrap();
    self_signed(&renew, "tls");
    std::fs::copy(renew.join("tls.key"), dir.join("tls.key")).unwrap();
    std::fs::copy(renew.join("tls.crt"), dir.join("tls.crt")).unwrap();
    let new_ca = renew.join("tls.crt");
    let deadline = Instant::now() + Duration::from_secs(20);
    while curl(&new_ca, &url).0 != 0 {
        assert!(Instant::now() < deadline, "the renewed certificate was not used: {}", curl(&new_ca, &url).1);
        std::thread::sleep(Duration::from_millis(200));
    }
    let log = std::fs::read_to_string(dir.join("tls-gateway.log")).unwrap();
    assert!(log.contains("re-read the TLS certificate and key"), "{log}");
    // SIGHUP re-reads too (and a broken pair keeps the working one).
    std::fs::write(dir.join("tls.crt"), b"not a certificate").unwrap();
    let _ = Command::new("kill").args(["-HUP", &child.0.id().to_string()]).status();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(curl(&new_ca, &url).0, 0, "the working certificate is kept");
    let log = std::fs::read_to_string(dir.join("tls-gateway.log")).unwrap();
    assert!(log.contains("does not load: kept the old one"), "{log}");
    drop(child);
}

#[test]
fn tls_settings_are_checked_before_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let port = free_port();
    assert!(run(dir, &["init", "--base-url", &format!("https://127.0.0.1:{port}")]).status.success());
    self_signed(dir, "tls");
    // A certificate without its key: a config error naming the key.
    let o =
        run_env(dir, &["serve", "--bind", &format!("127.0.0.1:{port}")], &[("SAMLGATE_SERVER_TLS_CERT", "tls.crt")]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("server.tls_key"), "{}", stderr(&o));
    // A key file others can read: refused, with the fix.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.join("tls.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let env = [("SAMLGATE_SERVER_TLS_CERT", "tls.crt"), ("SAMLGATE_SERVER_TLS_KEY", "tls.key")];
    let o = run_env(dir, &["serve", "--bind", &format!("127.0.0.1:{port}")], &env);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("chmod 600"), "{}", stderr(&o));
    // TLS with an http base URL: a config error.
    let o = run_env(
        dir,
        &["serve", "--bind", &format!("127.0.0.1:{port}")],
        &[
            ("SAMLGATE_SERVER_TLS_CERT", "tls.crt"),
            ("SAMLGATE_SERVER_TLS_KEY", "tls.key"),
            ("SAMLGATE_SERVER_BASE_URL", "http://127.0.0.1:1"),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("server.base_url"), "{}", stderr(&o));
}
