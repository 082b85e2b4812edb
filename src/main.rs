fn main() {
    std::process::exit(recaudit::cli::main());
}
