use std::fmt::Write;

fn main() {
    lalrpop::Configuration::new()
        .set_in_dir("grammar")
        .set_out_dir(std::env::var("OUT_DIR").unwrap())
        .process()
        .unwrap();
    println!("cargo:rerun-if-changed=grammar/con.lalrpop");
    bundle_stdlib();
}

/// Embeds every `stdlib/**/*.con` file into the binary.
fn bundle_stdlib() {
    println!("cargo:rerun-if-changed=stdlib");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("stdlib");
    let mut entries = Vec::new();
    collect(&root, &root, &mut entries);
    entries.sort();
    let mut out = String::from("static BUNDLED: &[(&str, &str, &str, bool)] = &[\n");
    for (module, path, is_pkg) in entries {
        println!("cargo:rerun-if-changed={path}");
        let shown = format!(
            "<stdlib>/{}",
            path.strip_prefix(&format!("{}/", root.display()))
                .unwrap_or(&path)
        );
        let _ = writeln!(
            out,
            "    ({module:?}, {shown:?}, include_str!({path:?}), {is_pkg}),"
        );
    }
    out.push_str("];\n");
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("stdlib_bundle.rs");
    std::fs::write(dest, out).unwrap();
}

fn collect(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<(String, String, bool)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            println!("cargo:rerun-if-changed={}", p.display());
            collect(root, &p, out);
        } else if p.extension().is_some_and(|x| x == "con") {
            let rel = p.strip_prefix(root).unwrap().with_extension("");
            let parts: Vec<String> = rel
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect();
            let is_pkg = parts.last().is_some_and(|l| l == "__init__");
            let module = if is_pkg {
                parts[..parts.len() - 1].join(".")
            } else {
                parts.join(".")
            };
            out.push((module, p.display().to_string(), is_pkg));
        }
    }
}
