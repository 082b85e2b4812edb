//! Ed25519 signatures of manifests (`scan --sign-key`, `verify --public-key`).
//!
//! A signature is over the manifest file's exact bytes and is stored raw (64 bytes) beside it
//! as `<manifest>.sig`, so that OpenSSL checks it without recaudit:
//! `openssl pkeyutl -verify -pubin -inkey key.pub.pem -rawin -in M.json -sigfile M.json.sig`.
//! Keys are PKCS#8 PEM files as `openssl genpkey -algorithm ed25519` (or `recaudit keygen`)
//! writes them, or 32 bytes as 64 hex digits. A key's bytes never reach an error message, a
//! log or `runs.settings`: errors name the file and what is wrong with it, nothing more.

use std::io::Read;
use std::path::Path;

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use super::ChainError;

/// A key file is small; anything larger is not one.
const MAX_KEY_FILE: u64 = 16 << 10;

fn read_small(path: &Path) -> Result<Vec<u8>, ChainError> {
    let f = std::fs::File::open(path).map_err(|source| ChainError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut v = Vec::new();
    f.take(MAX_KEY_FILE + 1)
        .read_to_end(&mut v)
        .map_err(|source| ChainError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if v.len() as u64 > MAX_KEY_FILE {
        return Err(key_error(path, "larger than any key file (16 KiB)"));
    }
    Ok(v)
}

fn key_error(path: &Path, what: &str) -> ChainError {
    ChainError::Key {
        path: path.to_path_buf(),
        message: what.to_string(),
    }
}

fn hex32(text: &[u8]) -> Option<[u8; 32]> {
    let t = std::str::from_utf8(text).ok()?.trim();
    if t.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(t.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Reads a private key: PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) or a 32-byte seed in hex.
pub fn load_signing_key(path: &Path) -> Result<SigningKey, ChainError> {
    let bytes = read_small(path)?;
    if bytes.starts_with(b"-----BEGIN") {
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| key_error(path, "a PEM file that is not text"))?;
        return SigningKey::from_pkcs8_pem(text).map_err(|_| {
            key_error(
                path,
                "not an Ed25519 private key in PKCS#8 PEM (make one with `recaudit keygen` or `openssl genpkey -algorithm ed25519`)",
            )
        });
    }
    hex32(&bytes)
        .map(|seed| SigningKey::from_bytes(&seed))
        .ok_or_else(|| {
            key_error(
                path,
                "not an Ed25519 private key: expected PKCS#8 PEM or 64 hex digits",
            )
        })
}

/// Reads a public key: SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`) or 64 hex digits.
pub fn load_verifying_key(path: &Path) -> Result<VerifyingKey, ChainError> {
    let bytes = read_small(path)?;
    if bytes.starts_with(b"-----BEGIN") {
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| key_error(path, "a PEM file that is not text"))?;
        return VerifyingKey::from_public_key_pem(text).map_err(|_| {
            key_error(
                path,
                "not an Ed25519 public key in PEM (`openssl pkey -in KEY -pubout` writes one)",
            )
        });
    }
    let b = hex32(&bytes).ok_or_else(|| {
        key_error(
            path,
            "not an Ed25519 public key: expected PEM or 64 hex digits",
        )
    })?;
    VerifyingKey::from_bytes(&b).map_err(|_| key_error(path, "not a point of the Ed25519 curve"))
}

pub fn public_hex(key: &VerifyingKey) -> String {
    hex(key.as_bytes())
}

pub fn sign(key: &SigningKey, bytes: &[u8]) -> [u8; 64] {
    key.sign(bytes).to_bytes()
}

/// Whether `sig` is `signer`'s (hex public key) signature of `bytes`.
pub fn check(signer: &str, bytes: &[u8], sig: &[u8]) -> bool {
    let Some(k) = hex32(signer.as_bytes()) else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(&k) else {
        return false;
    };
    let Ok(sig) = Signature::from_slice(sig) else {
        return false;
    };
    key.verify(bytes, &sig).is_ok()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Makes a new key pair from the system's random source: `out` (PKCS#8 PEM, mode 0600, never
/// overwritten) and `out.pub` (the public key, PEM). Returns the public key in hex.
pub fn generate(out: &Path) -> Result<String, ChainError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ChainError::Io { path, source }
    };
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .map_err(io(Path::new("/dev/urandom")))?;
    let key = SigningKey::from_bytes(&seed);
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|_| key_error(out, "could not encode the new key"))?;
    let public = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|_| key_error(out, "could not encode the new public key"))?;
    let pub_path = {
        let mut p = out.as_os_str().to_os_string();
        p.push(".pub");
        std::path::PathBuf::from(p)
    };
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(out)
        .map_err(io(out))?;
    f.write_all(pem.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(io(out))?;
    let mut p = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(&pub_path)
        .map_err(io(&pub_path))?;
    p.write_all(public.as_bytes())
        .and_then(|_| p.sync_all())
        .map_err(io(&pub_path))?;
    Ok(public_hex(&key.verifying_key()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_checks_only_for_its_bytes_and_its_key() {
        let k = SigningKey::from_bytes(&[7u8; 32]);
        let other = SigningKey::from_bytes(&[8u8; 32]);
        let sig = sign(&k, b"manifest");
        let signer = public_hex(&k.verifying_key());
        assert!(check(&signer, b"manifest", &sig));
        assert!(!check(&signer, b"manifesT", &sig));
        assert!(!check(
            &public_hex(&other.verifying_key()),
            b"manifest",
            &sig
        ));
        assert!(!check("zz", b"manifest", &sig));
        assert!(!check(&signer, b"manifest", &sig[..63]));
    }

    #[test]
    fn keys_load_from_pem_and_hex_and_errors_never_show_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("k.pem");
        let public = generate(&out).unwrap();
        let k = load_signing_key(&out).unwrap();
        assert_eq!(public_hex(&k.verifying_key()), public);
        let v = load_verifying_key(&dir.path().join("k.pem.pub")).unwrap();
        assert_eq!(public_hex(&v), public);
        // Never overwritten.
        assert!(generate(&out).is_err());
        let hexfile = dir.path().join("k.hex");
        std::fs::write(&hexfile, format!("{}\n", hex(&[7u8; 32]))).unwrap();
        assert_eq!(load_signing_key(&hexfile).unwrap().to_bytes(), [7u8; 32]);
        let bad = dir.path().join("bad");
        std::fs::write(&bad, "0123456789abcdef-secret-material").unwrap();
        let e = load_signing_key(&bad).unwrap_err().to_string();
        assert!(e.contains("bad") && !e.contains("secret"), "{e}");
    }
}
