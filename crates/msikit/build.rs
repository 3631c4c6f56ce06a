//! Whether `openssl`, which a few signing tests use to make throwaway certificates, is
//! installed: without it those tests are compiled as ignored (shown as skipped, not passed).

fn main() {
    println!("cargo:rustc-check-cfg=cfg(msikit_no_openssl)");
    println!("cargo:rerun-if-env-changed=PATH");
    println!("cargo:rerun-if-changed=/usr/bin");
    let found = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|folder| folder.join("openssl").is_file())
    });
    if !found {
        println!("cargo:rustc-cfg=msikit_no_openssl");
        println!("cargo:warning=signing tests that need openssl are ignored");
    }
}
