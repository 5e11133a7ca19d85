//! The layering of src/ holds: each layer uses only those below it, no two
//! modules use each other, clap stays in src/cli, and checks read nothing
//! themselves (`scripts/check-layers` says how it looks).

#[test]
fn the_layers_hold_and_nothing_loops() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("python3")
        .arg(root.join("scripts/check-layers"))
        .output()
        .expect("python3 runs scripts/check-layers");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
