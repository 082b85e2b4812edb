//! Printing the report to PDF with a headless Chromium (Debian's `chromium`, or Chrome), when
//! one is installed: recaudit never downloads one. The page is printed as the browser prints it
//! (A4 landscape, a page break before each section, charts kept whole).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error(
        "no Chromium found to print the PDF (looked for --chromium, $RECAUDIT_CHROMIUM, then chromium, chromium-browser, google-chrome on PATH); install Debian's `chromium` or pass --chromium PATH. The HTML report was written."
    )]
    NoBrowser,
    #[error("{browser}: {message}")]
    Failed { browser: PathBuf, message: String },
}

/// The browser to print with: `explicit`, else `$RECAUDIT_CHROMIUM`, else the first of the
/// usual names on `PATH`.
pub fn find_browser(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("RECAUDIT_CHROMIUM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        for dir in std::env::split_paths(&path) {
            let c = dir.join(name);
            if c.is_file() {
                return Some(c);
            }
        }
    }
    None
}

/// The flags every headless run needs here: no sandbox (root in containers), no GPU, no
/// background connections (the machine may have no network), a fresh profile.
pub fn headless_args(profile: &Path) -> Vec<String> {
    vec![
        "--headless".into(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--no-first-run".into(),
        format!("--user-data-dir={}", profile.display()),
    ]
}

/// Prints the HTML file `html` to `pdf` with `browser`, within `timeout`.
pub fn print(browser: &Path, html: &Path, pdf: &Path, timeout: Duration) -> Result<(), PdfError> {
    let fail = |message: String| PdfError::Failed {
        browser: browser.to_path_buf(),
        message,
    };
    let html = std::fs::canonicalize(html).map_err(|e| fail(format!("{}: {e}", html.display())))?;
    let profile =
        Profile::new().map_err(|e| fail(format!("cannot make a browser profile folder: {e}")))?;
    let _ = std::fs::remove_file(pdf);
    let mut child = Command::new(browser)
        .args(headless_args(&profile.0))
        .arg("--no-pdf-header-footer")
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot start: {e}")))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let mut err = String::new();
                if let Some(mut s) = child.stderr.take() {
                    use std::io::Read;
                    let _ = s.read_to_string(&mut err);
                }
                if !status.success() || !pdf.is_file() {
                    let tail: String = err.lines().rev().take(3).collect::<Vec<_>>().join(" | ");
                    return Err(fail(format!("printing failed ({status}): {tail}")));
                }
                return Ok(());
            }
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(fail(format!(
                    "did not finish printing within {} s",
                    timeout.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(fail(e.to_string())),
        }
    }
}

/// A fresh, empty browser profile folder, removed when dropped.
struct Profile(PathBuf);

impl Profile {
    fn new() -> std::io::Result<Profile> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let p =
            std::env::temp_dir().join(format!("recaudit-chromium-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p)?;
        Ok(Profile(p))
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
