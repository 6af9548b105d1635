/// jemalloc: the SSO hop allocates and frees many small buffers on several threads (Tokio workers, the
/// SQLite writer); glibc's malloc showed up as ~7 % of the gateway's CPU under load (issue 6).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    samlgate::cli::main()
}
