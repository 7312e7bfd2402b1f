//! TEMPORARY stub until the formatting module lands.
use super::error::{Error, Res};
use super::value::Value;
use num_bigint::BigInt;
pub fn float_repr(x: f64) -> String {
    if x.is_nan() { return "nan".into(); }
    if x.is_infinite() { return if x > 0.0 { "inf".into() } else { "-inf".into() }; }
    let s = format!("{x:?}");
    s
}
pub struct FormatSpec { pub fill: char, pub align: Option<char>, pub sign: Option<char>, pub alternate: bool, pub zero: bool, pub width: Option<usize>, pub grouping: Option<char>, pub precision: Option<usize>, pub ty: Option<char> }
pub fn parse_spec(spec: &str) -> Res<FormatSpec> { if spec.is_empty() { Ok(FormatSpec{fill:' ',align:None,sign:None,alternate:false,zero:false,width:None,grouping:None,precision:None,ty:None}) } else { Err(Error::value_error("format spec unsupported")) } }
pub fn format_int(v: &BigInt, _spec: &FormatSpec) -> Res<String> { Ok(v.to_string()) }
pub fn format_float(x: f64, _spec: &FormatSpec) -> Res<String> { Ok(float_repr(x)) }
pub fn format_str(s: &str, _spec: &FormatSpec) -> Res<String> { Ok(s.to_string()) }
pub trait FormatHost {
    fn str_of(&mut self, v: &Value) -> Res<String>;
    fn repr_of(&mut self, v: &Value) -> Res<String>;
    fn ascii_of(&mut self, v: &Value) -> Res<String>;
    fn int_of(&mut self, v: &Value, conv: char) -> Res<BigInt>;
    fn float_of(&mut self, v: &Value) -> Res<f64>;
    fn format_of(&mut self, v: &Value, spec: &str) -> Res<String>;
    fn getitem(&mut self, v: &Value, key: &Value) -> Res<Value>;
    fn getattr(&mut self, v: &Value, name: &str) -> Res<Value>;
}
pub fn percent_format(_host: &mut dyn FormatHost, fmt: &str, _args: &Value) -> Res<String> { Ok(fmt.to_string()) }
pub fn str_format(_host: &mut dyn FormatHost, fmt: &str, _args: &[Value], _kwargs: &[(std::rc::Rc<super::value::StrObj>, Value)]) -> Res<String> { Ok(fmt.to_string()) }
