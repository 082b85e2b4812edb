//! `recaudit keygen`: an Ed25519 key pair for signing the warehouse's chain.

use super::args::KeygenArgs;
use crate::exit_codes;

pub(super) fn run(a: KeygenArgs) -> i32 {
    match crate::chain::sign::generate(&a.out) {
        Ok(public) => {
            println!(
                "recaudit keygen: private key {} (mode 0600), public key {}.pub",
                a.out.display(),
                a.out.display()
            );
            println!("  public key (hex): {public}");
            exit_codes::OK
        }
        Err(e) => {
            eprintln!("recaudit keygen: {e}");
            exit_codes::RUN_FAILED
        }
    }
}
