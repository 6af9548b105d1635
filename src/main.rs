fn main() -> std::process::ExitCode {
    samlgate::cli::main()
}
