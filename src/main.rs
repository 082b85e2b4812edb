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
    // No transparent huge pages for this process. The allocator asks for them, and where the
    // kernel compacts memory to provide them on demand (defrag "madvise", common on servers)
    // a query's first gigabytes stall on compaction: measured on the 10M-file warehouse, the
    // retention analysis ran in 5.0 s with them and 2.6-2.8 s without (README, "Performance").
    // SAFETY: prctl with integer arguments; it only sets a flag on this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    std::process::exit(recaudit::cli::main());
}
