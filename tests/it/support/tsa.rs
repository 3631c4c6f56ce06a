//! A local RFC 3161 time-stamping authority for tests: `openssl ts -reply` behind a tiny
//! HTTP server on 127.0.0.1 that answers a bounded number of requests, then stops.

use super::pki::TestPki;
use super::run;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Writes a TSA certificate (signed by the test CA) and an `openssl ts` configuration.
fn prepare(pki: &TestPki) -> PathBuf {
    let dir = &pki.dir;
    let openssl = |args: &[&str]| {
        let output = run(Command::new("openssl").args(args).current_dir(dir));
        assert!(
            output.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    std::fs::write(
        dir.join("tsa.ext"),
        "extendedKeyUsage=critical,timeStamping\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "tsa.key",
        "-out",
        "tsa.csr",
        "-subj",
        "/CN=sspr-msi test TSA",
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "tsa.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "tsa.pem",
        "-days",
        "30",
        "-extfile",
        "tsa.ext",
    ]);
    std::fs::write(dir.join("tsaserial"), "01\n").unwrap();
    let config = format!(
        "[ tsa ]\ndefault_tsa = test_tsa\n[ test_tsa ]\ndir = {dir}\nserial = $dir/tsaserial\ncrypto_device = builtin\n\
         signer_cert = $dir/tsa.pem\ncerts = $dir/ca.pem\nsigner_key = $dir/tsa.key\nsigner_digest = sha256\n\
         default_policy = 1.2.3.4.1\nother_policies = 1.2.3.4.5\ndigests = sha256\naccuracy = secs:1\nordering = no\n\
         tsa_name = yes\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n",
        dir = dir.display()
    );
    let path = dir.join("ts.cnf");
    std::fs::write(&path, config).unwrap();
    path
}

/// Starts the authority; returns its URL. It serves at most `requests` requests.
pub fn start(pki: &TestPki, requests: usize) -> String {
    let config = prepare(pki);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let dir = pki.dir.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(stream) = stream else { continue };
            let _ = answer(stream, &dir, &config);
        }
    });
    url
}

fn answer(mut stream: std::net::TcpStream, dir: &Path, config: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        if line.trim().is_empty() {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut query = vec![0; length];
    reader.read_exact(&mut query)?;
    std::fs::write(dir.join("query.tsq"), &query)?;
    let output = Command::new("openssl")
        .args(["ts", "-reply", "-config"])
        .arg(config)
        .args(["-queryfile", "query.tsq", "-out", "reply.tsr"])
        .current_dir(dir)
        .output()?;
    let reply = if output.status.success() {
        std::fs::read(dir.join("reply.tsr"))?
    } else {
        Vec::new()
    };
    let status = if reply.is_empty() {
        "500 Internal Server Error"
    } else {
        "200 OK"
    };
    write!(stream, "HTTP/1.1 {status}\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", reply.len())?;
    stream.write_all(&reply)
}
