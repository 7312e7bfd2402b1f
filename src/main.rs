//! The `con` command line: run a script, a `-c` string or stdin; check or
//! disassemble a file.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use con::vm::{ExcType, Value, Vm};

// Interpreters allocate many small, short-lived objects; mimalloc serves
// them markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: con::alloc::MiAlloc = con::alloc::MiAlloc;

const USAGE: &str = "usage: con [--check | --dis] FILE [ARGS...]
       con -c CODE [ARGS...]
       con - [ARGS...]        (read the program from stdin)";

enum Mode {
    Run,
    Check,
    Dis,
}

enum Source {
    File(String),
    Code(String),
    Stdin,
}

fn main() -> ExitCode {
    con::alloc::configure();
    // Script code never recurses on the Rust stack, but native re-entry
    // (sort keys, __eq__, repr of nested containers) and dropping deep
    // structures do; a large reserved stack keeps those safe.
    let child = std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(real_main);
    match child.map(|h| h.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        _ => ExitCode::from(70),
    }
}

fn real_main() -> u8 {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut mode = Mode::Run;
    let mut i = 0;
    let source = loop {
        let Some(a) = args.get(i) else {
            if std::io::stdin().is_terminal() {
                eprintln!(
                    "con: interactive mode is not available in this build; run a script instead"
                );
                eprintln!("{USAGE}");
                return 2;
            }
            break Source::Stdin;
        };
        match a.as_str() {
            "--check" => mode = Mode::Check,
            "--dis" => mode = Mode::Dis,
            "-h" | "--help" => {
                println!("{USAGE}");
                return 0;
            }
            "-V" | "--version" => {
                println!("con {}", env!("CARGO_PKG_VERSION"));
                return 0;
            }
            "-c" => match args.get(i + 1) {
                Some(code) => {
                    i += 1;
                    break Source::Code(code.clone());
                }
                None => {
                    eprintln!("con: argument expected for the -c option\n{USAGE}");
                    return 2;
                }
            },
            "-" => break Source::Stdin,
            s if s.starts_with('-') && s.len() > 1 => {
                eprintln!("con: unknown option {s}\n{USAGE}");
                return 2;
            }
            _ => break Source::File(a.clone()),
        }
        i += 1;
    };
    let rest: Vec<String> = args[(i + 1).min(args.len())..].to_vec();
    let (name, bytes, argv0) = match &source {
        Source::File(path) => match read_script(path) {
            Ok(b) => (path.clone(), b, path.clone()),
            Err(msg) => {
                eprintln!("con: can't open file '{path}': {msg}");
                return 2;
            }
        },
        Source::Code(code) => (
            "<string>".to_string(),
            code.clone().into_bytes(),
            "-c".to_string(),
        ),
        Source::Stdin => {
            let mut buf = Vec::new();
            if let Err(e) = std::io::stdin().read_to_end(&mut buf) {
                eprintln!("con: can't read stdin: {e}");
                return 2;
            }
            ("<stdin>".to_string(), buf, "-".to_string())
        }
    };
    let text = match con::syntax::decode_source(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let shown = String::from_utf8_lossy(&bytes).into_owned();
            eprint!(
                "{}",
                con::diag::render_syntax_error(&name, &shown, &e, color())
            );
            return 1;
        }
    };
    let code = match con::compile_source(&name, text, false) {
        Ok(c) => c,
        Err(d) => {
            eprint!("{}", d.rendered);
            return 1;
        }
    };
    match mode {
        Mode::Check => return 0,
        Mode::Dis => {
            print!("{}", con::bytecode::disasm::disassemble(&code));
            return 0;
        }
        Mode::Run => {}
    }
    con::vm::interrupt::install_signal_handlers();
    let mut vm = Vm::new();
    vm.argv = std::iter::once(argv0).chain(rest).collect();
    let script_dir = match &source {
        Source::File(p) => Path::new(p)
            .parent()
            .map(|d| {
                if d.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    d.to_path_buf()
                }
            })
            .unwrap_or_else(|| PathBuf::from(".")),
        _ => PathBuf::from("."),
    };
    vm.path.push(script_dir);
    if let Ok(extra) = std::env::var("CON_PATH") {
        vm.path
            .extend(std::env::split_paths(&extra).filter(|p| !p.as_os_str().is_empty()));
    }
    let module = vm.new_module("__main__", Some(&name));
    vm.modules
        .insert("__main__".into(), Value::Module(module.clone()));
    let result = vm.run_module_code(code, &module);
    let status = match result {
        Ok(_) => 0,
        Err(e) => report_uncaught(&mut vm, e),
    };
    vm.flush_out();
    status
}

fn read_script(path: &str) -> Result<Vec<u8>, String> {
    let p = Path::new(path);
    if p.is_dir() {
        return Err("[Errno 21] Is a directory".into());
    }
    std::fs::read(p).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "[Errno 2] No such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "[Errno 13] Permission denied".to_string(),
        _ => e.to_string(),
    })
}

fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Prints an uncaught exception and returns the exit status.
fn report_uncaught(vm: &mut Vm, e: con::vm::Error) -> u8 {
    let exc = vm.materialize(e);
    vm.flush_out();
    let cls = vm.type_of(&exc);
    if cls.is_subclass(&vm.types.exc(ExcType::SystemExit)) {
        let arg = con::vm::exc::with_exc_data(&exc, |d| d.args.borrow().clone());
        let code = match arg {
            Some(Value::Tuple(t)) if !t.items.is_empty() => t.items[0].clone(),
            _ => Value::None,
        };
        return match code {
            Value::None => 0,
            Value::Int(n) => (n & 0xff) as u8,
            Value::Bool(b) => b as u8,
            other => {
                let s = vm.to_str(&other).unwrap_or_default();
                eprintln!("{s}");
                1
            }
        };
    }
    let text = vm.format_exception(&exc);
    let mut err = std::io::stderr();
    let _ = err.write_all(text.as_bytes());
    if cls.is_subclass(&vm.types.exc(ExcType::KeyboardInterrupt)) {
        130
    } else {
        1
    }
}
