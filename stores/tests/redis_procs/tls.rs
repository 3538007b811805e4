//! A CA and a server certificate made with rcgen, and TLS-only `redis-server`s that use
//! them: what the TLS tests share.

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

use super::{Proc, TempDir};

/// A CA: its certificate (PEM) and what signs with it.
pub fn ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let key = KeyPair::generate().expect("a CA key");
    let cert = params.self_signed(&key).expect("the CA certificate");
    (cert.pem(), Issuer::new(params, key))
}

/// A fresh CA and a server certificate (for 127.0.0.1) it signed, as files in a temporary
/// directory.
pub struct Certs {
    pub ca_pem: String,
    dir: TempDir,
}

impl Certs {
    pub fn new() -> Self {
        let dir = TempDir::new("tls");
        let (ca_pem, issuer) = ca("session-stores test CA");
        let params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("server params");
        let key = KeyPair::generate().expect("a server key");
        let cert = params
            .signed_by(&key, &issuer)
            .expect("the server certificate");
        let certs = Self { ca_pem, dir };
        std::fs::write(certs.path("ca.pem"), &certs.ca_pem).unwrap();
        std::fs::write(certs.path("server.pem"), cert.pem()).unwrap();
        std::fs::write(certs.path("server.key"), key.serialize_pem()).unwrap();
        certs
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// A TLS-only `redis-server` on `port`, without persistence, in `dir`.
    pub fn server(&self, port: u16, dir: &str, extra: &[&str]) -> Proc {
        std::fs::create_dir_all(self.path(dir)).unwrap();
        let port_arg = port.to_string();
        let (cert, key, ca, home) = (
            self.path("server.pem"),
            self.path("server.key"),
            self.path("ca.pem"),
            self.path(dir),
        );
        let mut args = vec![
            "--port",
            "0",
            "--bind",
            "127.0.0.1",
            "--tls-port",
            &port_arg,
            "--tls-cert-file",
            &cert,
            "--tls-key-file",
            &key,
            "--tls-ca-cert-file",
            &ca,
            "--tls-auth-clients",
            "no",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            &home,
        ];
        args.extend_from_slice(extra);
        Proc::start(port, args.iter().map(|a| (*a).to_owned()).collect())
    }
}
