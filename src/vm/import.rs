//! Modules: `import` resolution (script directory, `CON_PATH`, bundled
//! `stdlib/`), loading and running module top levels once.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::error::{Error, ExcType, Res};
use super::frame::{Frame, Resume};
use super::interp::Vm;
use super::object::ModuleObj;
use super::value::*;
use crate::bytecode::Code;

/// Where a module's source was found.
enum Found {
    File(PathBuf, bool),
    Bundled(&'static str, &'static str, bool),
}

impl Vm {
    /// Compiles [text] as a module named [file_name], turning syntax and
    /// compile errors into a SyntaxError exception.
    pub fn compile_module_source(&mut self, file_name: &str, text: String) -> Res<Rc<Code>> {
        match crate::compile_source(file_name, text, false) {
            Ok(code) => Ok(code),
            Err(d) => {
                let cls = self.types.exc_named(d.kind);
                let msg = format!("{} ({}, line {})", d.message, file_name, d.line);
                Err(Error::Raised(
                    self.new_exception(&cls, vec![Value::string(msg)]),
                ))
            }
        }
    }

    /// Runs module-level [code] with [module] as its globals.
    pub fn run_module_code(&mut self, code: Rc<Code>, module: &Rc<ModuleObj>) -> Res<Value> {
        let base = self.stack.len();
        self.stack
            .resize(base + code.nlocals as usize, Value::Undef);
        if self.frames.len() >= self.recursion_limit {
            return Err(Error::new(
                ExcType::RecursionError,
                "maximum recursion depth exceeded",
            ));
        }
        self.frames.push(Frame {
            code,
            ip: 0,
            base,
            floor: base,
            globals: module.clone(),
            blocks: Vec::new(),
            namespace: None,
            generator: None,
            resume: Resume::Normal,
            handled_base: self.handled.len() as u32,
            flags: 0,
        });
        self.run_nested()
    }

    /// A fresh module object with the standard globals.
    pub fn new_module(&mut self, name: &str, file: Option<&str>) -> Rc<ModuleObj> {
        let m = Rc::new(ModuleObj::new(self.intern(name), file.map(Rc::from)));
        m.set_str("__name__", Value::str(name));
        m.set_str("__file__", file.map(Value::str).unwrap_or(Value::None));
        m.set_str("__builtins__", Value::Module(self.builtins.clone()));
        m
    }

    pub fn import_op(
        &mut self,
        fi: usize,
        name: &Sym,
        fromlist: Value,
        level: Value,
    ) -> Res<Value> {
        let level = match level {
            Value::Int(i) => i as usize,
            _ => 0,
        };
        let full = if level > 0 {
            let globals = self.frames[fi].globals.clone();
            let current = globals
                .get_str("__name__")
                .and_then(|v| v.as_str().map(|s| s.to_string()))
                .unwrap_or_default();
            let is_pkg = globals
                .get_str("__file__")
                .and_then(|v| v.as_str().map(|s| s.ends_with("__init__.con")))
                .unwrap_or(false);
            let mut parts: Vec<&str> = current.split('.').collect();
            let drop = if is_pkg { level - 1 } else { level };
            if drop > parts.len() || (drop == parts.len() && !is_pkg && parts.len() <= 1) {
                return Err(Error::new(
                    ExcType::ImportError,
                    "attempted relative import with no known parent package",
                ));
            }
            parts.truncate(parts.len() - drop);
            let mut base = parts.join(".");
            if !name.as_str().is_empty() {
                if !base.is_empty() {
                    base.push('.');
                }
                base.push_str(name.as_str());
            }
            base
        } else {
            name.as_str().to_string()
        };
        let mut top = None;
        let mut leaf = Value::None;
        let mut prefix = String::new();
        for part in full.split('.') {
            if !prefix.is_empty() {
                prefix.push('.');
            }
            prefix.push_str(part);
            let m = self.import_module(&prefix)?;
            if top.is_none() {
                top = Some(m.clone());
            }
            leaf = m;
        }
        if fromlist.is_none() {
            Ok(top.unwrap_or(Value::None))
        } else {
            Ok(leaf)
        }
    }

    /// Imports the module with dotted name [name] (its parents must be
    /// imported already), running its top level on first import.
    /// Records an imported module (also in `sys.modules`).
    pub fn register_module(&mut self, name: &str, m: Value) {
        self.modules.insert(name.to_string(), m.clone());
        if let Some(d) = self.sys_modules.clone() {
            let _ = self.dict_set(&d, Value::str(name), m);
        }
    }

    pub fn import_module(&mut self, name: &str) -> Res<Value> {
        if let Some(m) = self.modules.get(name) {
            return Ok(m.clone());
        }
        if let Some(d) = self.sys_modules.clone() {
            // A script may put its own module objects into sys.modules.
            if let Some(m) = self.dict_get(&d, &Value::str(name))? {
                return Ok(m);
            }
        }
        if let Some(m) = crate::builtins::native_module(self, name)? {
            self.register_module(name, m.clone());
            return Ok(m);
        }
        let Some(found) = self.find_module(name) else {
            let cls = self.types.exc(ExcType::ModuleNotFoundError);
            let exc = self.new_exception(
                &cls,
                vec![Value::string(format!("No module named '{name}'"))],
            );
            if let Value::Instance(i) = &exc {
                i.dict
                    .borrow_mut()
                    .insert(self.intern_static("name"), Value::str(name));
            }
            return Err(Error::Raised(exc));
        };
        let (file_name, text, is_pkg) = match found {
            Found::File(p, pkg) => {
                let bytes = std::fs::read(&p).map_err(|e| {
                    Error::new(
                        ExcType::ImportError,
                        format!("cannot read {}: {e}", p.display()),
                    )
                })?;
                let text = crate::syntax::decode_source(&bytes).map_err(|e| {
                    Error::new(
                        ExcType::SyntaxError,
                        format!("{} ({})", e.message, p.display()),
                    )
                })?;
                (p.display().to_string(), text, pkg)
            }
            Found::Bundled(path, text, pkg) => (path.to_string(), text.to_string(), pkg),
        };
        let code = self.compile_module_source(&file_name, text)?;
        let module = self.new_module(name, Some(&file_name));
        if is_pkg {
            let dir = Path::new(&file_name)
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            module.set_str("__path__", Value::list(vec![Value::string(dir)]));
        }
        let mv = Value::Module(module.clone());
        self.register_module(name, mv.clone());
        if let Err(e) = self.run_module_code(code, &module) {
            self.modules.remove(name);
            if let Some(d) = self.sys_modules.clone() {
                self.dict_remove(&d, &Value::str(name))?;
            }
            return Err(e);
        }
        // Bind the submodule in its parent package.
        if let Some((parent, child)) = name.rsplit_once('.') {
            if let Some(Value::Module(p)) = self.modules.get(parent).cloned() {
                p.set_str(child, mv.clone());
            }
        }
        Ok(mv)
    }

    fn find_module(&self, name: &str) -> Option<Found> {
        let rel: PathBuf = name.split('.').collect();
        let mut dirs: Vec<PathBuf> = Vec::new();
        if let Some((parent, _)) = name.rsplit_once('.') {
            if let Some(Value::Module(p)) = self.modules.get(parent) {
                if let Some(Value::List(l)) = p.get_str("__path__") {
                    for d in l.items.borrow().iter() {
                        if let Some(s) = d.as_str() {
                            dirs.push(PathBuf::from(s));
                        }
                    }
                }
            }
            let leaf = name.rsplit('.').next().unwrap_or(name);
            for d in &dirs {
                let f = d.join(format!("{leaf}.con"));
                if f.is_file() {
                    return Some(Found::File(f, false));
                }
                let f = d.join(leaf).join("__init__.con");
                if f.is_file() {
                    return Some(Found::File(f, true));
                }
            }
        } else {
            for d in &self.path {
                let f = d.join(&rel).with_extension("con");
                if f.is_file() {
                    return Some(Found::File(f, false));
                }
                let f = d.join(&rel).join("__init__.con");
                if f.is_file() {
                    return Some(Found::File(f, true));
                }
            }
        }
        crate::builtins::bundled_source(name)
            .map(|(path, text, pkg)| Found::Bundled(path, text, pkg))
    }

    pub fn import_from(&mut self, module: &Value, name: &Sym) -> Res<Value> {
        if let Value::Module(m) = module {
            if let Some(v) = m.get(name) {
                return Ok(v);
            }
            let sub = format!("{}.{}", m.name.as_str(), name.as_str());
            if m.get_str("__path__").is_some() {
                if let Ok(v) = self.import_module(&sub) {
                    return Ok(v);
                }
            }
            let file = m
                .file
                .as_ref()
                .map(|f| format!(" ({f})"))
                .unwrap_or_else(|| " (unknown location)".into());
            return Err(Error::new(
                ExcType::ImportError,
                format!(
                    "cannot import name '{}' from '{}'{}",
                    name.as_str(),
                    m.name.as_str(),
                    file
                ),
            ));
        }
        self.getattr(module, name)
    }

    pub fn import_star(&mut self, fi: usize, module: &Value) -> Res<()> {
        let Value::Module(m) = module else {
            return Err(Error::type_error("import * from a non-module"));
        };
        let globals = self.frames[fi].globals.clone();
        if let Some(all) = m.get_str("__all__") {
            for n in self.iterate(&all)? {
                if let Value::Str(s) = &n {
                    let v = self.import_from(module, s)?;
                    globals.set(s, v);
                }
            }
            return Ok(());
        }
        for (k, v) in m.items() {
            if !k.as_str().starts_with('_') {
                globals.set(&k, v);
            }
        }
        Ok(())
    }
}
