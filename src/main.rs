fn main() {
    // SAFETY: restoring the default action for SIGPIPE before any thread starts, so that
    // `recaudit ... | head` ends quietly like other command-line tools instead of panicking.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::process::exit(recaudit::cli::main());
}
