//! Tests of `Code::max_stack`: hand-computed depths for representative
//! constructs, and a consistency check of the stack analysis over every
//! script in the repository (each instruction reached with one depth,
//! nothing popped that is not there).

use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::bytecode::stack::analyze;
use crate::bytecode::Code;
use crate::vm::value::Value;

fn compile(src: &str) -> Rc<Code> {
    match crate::compile_source("<test>", src.to_string(), false) {
        Ok(c) => c,
        Err(d) => panic!("compile error: {}", d.rendered),
    }
}

/// Every code object in [code], depth first.
fn all_codes(code: &Rc<Code>, out: &mut Vec<Rc<Code>>) {
    out.push(code.clone());
    for c in &code.consts {
        if let Value::Code(inner) = c {
            all_codes(inner, out);
        }
    }
}

/// The max_stack of the code object named [qualname] in [src].
fn depth_of(src: &str, qualname: &str) -> u32 {
    let mut codes = Vec::new();
    all_codes(&compile(src), &mut codes);
    for c in &codes {
        let errors = analyze(&c.ops).errors;
        assert!(errors.is_empty(), "{}: {errors:?}", c.qualname.as_str());
    }
    let c = codes
        .iter()
        .find(|c| c.qualname.as_str() == qualname)
        .unwrap_or_else(|| panic!("no code object {qualname}"));
    assert_eq!(c.max_stack, analyze(&c.ops).max);
    c.max_stack
}

// Hand-computed: a call counts its arguments, the callable and the one
// slot the VM may insert for a bound method's receiver.

#[test]
fn simple_bodies() {
    assert_eq!(depth_of("def f(x):\n    return x\n", "f"), 1);
    assert_eq!(depth_of("def f():\n    pass\n", "f"), 1);
    assert_eq!(depth_of("x = 1\n", "<module>"), 1);
    assert_eq!(depth_of("def f():\n    return [1, 2, 3]\n", "f"), 3);
}

#[test]
fn nested_calls() {
    // g a h b c 1 -> Call(3) inserting one: 7.
    let src = "def f(a, b, c):\n    return g(a, h(b, c, 1), 2)\n";
    assert_eq!(depth_of(src, "f"), 7);
    let src = "def f():\n    return g(1, 2, 3, 4, 5, 6, 7, 8)\n";
    assert_eq!(depth_of(src, "f"), 10);
    // Method calls carry their receiver slot already: o.m 1 2.
    assert_eq!(depth_of("def f(o):\n    return o.m(1, 2)\n", "f"), 4);
    // g 1 2 names.
    assert_eq!(depth_of("def f():\n    return g(1, k=2)\n", "f"), 4);
    // g [list] a -> (tuple) {dict} k.
    assert_eq!(depth_of("def f(a, k):\n    return g(*a, **k)\n", "f"), 4);
}

#[test]
fn displays_and_operators() {
    // k v k v, then the dict and the splatted mapping.
    assert_eq!(
        depth_of("def f(a, b):\n    return {a: b, 1: 2, **a}\n", "f"),
        4
    );
    assert_eq!(depth_of("def f(a, b):\n    return {a, b, 3}\n", "f"), 3);
    // a b b (Dup), then [b, result] at the short-circuit.
    assert_eq!(depth_of("def f(a, b, c):\n    return a < b < c\n", "f"), 3);
    // a i a i (DupTwo).
    assert_eq!(depth_of("def f(a, i):\n    a[i] += 1\n", "f"), 4);
    // 'a' x '>' y: the nested spec's field.
    assert_eq!(
        depth_of("def f(x, y):\n    return f'a{x!r:>{y}}b'\n", "f"),
        4
    );
    // (1,) 'b' 2 -> defaults tuple, kw-defaults dict.
    assert_eq!(depth_of("f = lambda a=1, *, b=2: a\n", "<module>"), 3);
}

#[test]
fn unpacking() {
    assert_eq!(depth_of("def f(t):\n    a, b, c = t\n", "f"), 3);
    assert_eq!(depth_of("def f(t):\n    a, *b, c = t\n", "f"), 3);
    assert_eq!(depth_of("def f(t):\n    (a, (b, c)), d = t\n", "f"), 3);
}

#[test]
fn loops_and_comprehensions() {
    // The iterator and the next item.
    assert_eq!(
        depth_of("def f(xs):\n    for x in xs:\n        pass\n", "f"),
        2
    );
    // The comprehension function, the iterable, the call's scratch slot.
    let src = "def f(xs):\n    return [x * 2 for x in xs if x]\n";
    assert_eq!(depth_of(src, "f"), 3);
    // list, iterator, item, then x 2.
    assert_eq!(depth_of(src, "f.<locals>.<listcomp>"), 4);
    let src = "def f(xs):\n    return {k: v for k, v in xs}\n";
    // dict, iterator, then k v: unpacked or reloaded.
    assert_eq!(depth_of(src, "f.<locals>.<dictcomp>"), 4);
    let src = "def f(m):\n    return [a + b for a in m for b in a]\n";
    // list, iterator, iterator, item, a b.
    assert_eq!(depth_of(src, "f.<locals>.<listcomp>"), 5);
}

#[test]
fn generators() {
    // range n (+ scratch), then iterator and item.
    let src = "def g(n):\n    for i in range(n):\n        yield i\n";
    assert_eq!(depth_of(src, "g"), 3);
    // iterator and the value sent in.
    let src = "def g(x):\n    r = yield from x\n    return r\n";
    assert_eq!(depth_of(src, "g"), 2);
    let src = "def f(xs):\n    return sum(x for x in xs)\n";
    // iterator and item; the sent value replaces the yielded one.
    assert_eq!(depth_of(src, "f.<locals>.<genexpr>"), 2);
    // sum, the genexpr's function and iterable (+ scratch).
    assert_eq!(depth_of(src, "f"), 4);
}

#[test]
fn exceptions() {
    // Handler: exc E, then exc exc (Dup for the name).
    let src = "def f():\n    try:\n        g()\n    except E as e:\n        pass\n";
    assert_eq!(depth_of(src, "f"), 2);
    // The pending return value under h() and its scratch slot; the
    // exceptional path holds the exception instead.
    let src = "def f():\n    try:\n        return g()\n    finally:\n        h()\n";
    assert_eq!(depth_of(src, "f"), 3);
    // Inside the handler: exc, then print x (+ scratch).
    let src = "def f():\n    try:\n        pass\n    except:\n        print(1)\n";
    assert_eq!(depth_of(src, "f"), 4);
    let src = "def f(e, c):\n    raise e from c\n";
    assert_eq!(depth_of(src, "f"), 2);
}

#[test]
fn with_blocks() {
    // [exit, exc, suppress] in the handler.
    let src = "def f():\n    with a as b:\n        pass\n";
    assert_eq!(depth_of(src, "f"), 3);
    // exit1 exit2, then the handler of the inner block: exit2 exc flag.
    let src = "def f():\n    with a, b:\n        pass\n";
    assert_eq!(depth_of(src, "f"), 4);
    // The exit under a for loop's iterator and item.
    let src = "def f(xs):\n    with a:\n        for x in xs:\n            break\n";
    assert_eq!(depth_of(src, "f"), 3);
}

#[test]
fn classes() {
    // __build_class__ body 'C' (+ scratch).
    assert_eq!(depth_of("class C:\n    def m(self): pass\n", "<module>"), 4);
    assert_eq!(depth_of("class C:\n    def m(self): pass\n", "C"), 1);
}

/// Collects `*.con` files below [dir].
fn scripts(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() && !name.starts_with('.') {
            scripts(&p, out);
        } else if p.extension().is_some_and(|x| x == "con" || x == "py") {
            out.push(p);
        }
    }
}

/// Every code object of every script that compiles must have a
/// consistent stack. `CON_STACK_CORPUS=dir` checks the `.con`/`.py` files
/// of another tree instead (e.g. CPython's library).
#[test]
fn corpus_is_consistent() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    match std::env::var("CON_STACK_CORPUS") {
        Ok(dir) => scripts(Path::new(&dir), &mut files),
        Err(_) => {
            for d in ["tests", "stdlib", "examples"] {
                scripts(&root.join(d), &mut files);
            }
            files.retain(|p| p.extension().is_some_and(|x| x == "con"));
        }
    }
    let (mut checked, mut compiled) = (0, 0);
    let mut failures = Vec::new();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let Ok(code) = crate::compile_source("<corpus>", text, false) else {
            continue;
        };
        compiled += 1;
        let mut codes = Vec::new();
        all_codes(&code, &mut codes);
        for c in codes {
            checked += 1;
            let errors = analyze(&c.ops).errors;
            if !errors.is_empty() {
                failures.push(format!(
                    "{} {}: {:?}",
                    f.display(),
                    c.qualname.as_str(),
                    errors
                ));
            }
        }
    }
    eprintln!(
        "{checked} code objects in {compiled} of {} files",
        files.len()
    );
    assert!(checked > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
