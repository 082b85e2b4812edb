// A general-purpose allocator that handles many small allocations freed on other threads well
// (each file's row and facts are built on a worker and dropped elsewhere); measured faster than
// the system allocator on trees of many small files.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // SAFETY: restoring the default action for SIGPIPE before any thread starts, so that
    // `recaudit ... | head` ends quietly like other command-line tools instead of panicking.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::process::exit(recaudit::cli::main());
}
