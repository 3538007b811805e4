//! Instruction counts of a child process under callgrind, for the benches that count
//! instructions rather than time (`benches/instructions.rs`, `benches/fast_paths.rs`).

use std::process::Command;

/// Whether valgrind can be run.
pub fn available() -> bool {
    Command::new("valgrind").arg("--version").output().is_ok()
}

/// Total instructions callgrind counts for `exe` run with `args`; `label` names its
/// temporary output file.
///
/// # Panics
///
/// When valgrind or the child fails, or callgrind prints no count: a bench has nothing to
/// report then.
pub fn instructions(exe: &str, args: &[&str], label: &str) -> u64 {
    let out_file = std::env::temp_dir().join(format!("callgrind.{label}"));
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(exe)
        .args(args)
        .output()
        .expect("valgrind runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed: {stderr}");
    let _ = std::fs::remove_file(&out_file);
    // callgrind ends with "==pid== Collected : N".
    stderr
        .lines()
        .find_map(|l| l.split("Collected :").nth(1))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no instruction count in callgrind's output: {stderr}"))
}
