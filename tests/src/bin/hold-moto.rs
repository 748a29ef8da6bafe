//! Starts moto through the harness, prints `MOTO_PORT=<port>` and waits to be killed.
//! `harness_smoke::moto_dies_with_the_test_process` SIGKILLs it and checks that the
//! watchdog takes moto down with it.

fn main() {
    let moto = tenant_isolation_tests::start_moto();
    println!("MOTO_PORT={}", moto.port());
    std::thread::sleep(std::time::Duration::from_secs(120));
    drop(moto);
    eprintln!("hold-moto was not killed within 120 s");
    std::process::exit(1);
}
