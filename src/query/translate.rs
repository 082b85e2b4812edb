//! A query in another engine's SQL: the named analyses are written for DataFusion, and a
//! warehouse is also read by DuckDB (and Spark). The query is planned here, against the same
//! tables, and the plan written back as SQL in the other engine's dialect by DataFusion's
//! unparser, with the few functions whose names differ renamed.

use std::sync::Arc;

use datafusion::logical_expr::Expr;
use datafusion::sql::sqlparser::ast;
use datafusion::sql::unparser::Unparser;
use datafusion::sql::unparser::dialect::{
    CharacterLengthStyle, Dialect, DistinctFromStyle, ScalarFnToSqlHandler,
};

use super::{Engine, QueryError};

/// The engines a query can be written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    DuckDb,
    /// Spark SQL (4.x).
    Spark,
}

fn call(name: &str, args: Vec<ast::Expr>) -> ast::Expr {
    ast::Expr::Function(ast::Function {
        name: ast::ObjectName::from(vec![ast::Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: ast::FunctionArguments::None,
        args: ast::FunctionArguments::List(ast::FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|a| ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(a)))
                .collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

/// `name(args)` written as `to(args)`.
fn renamed(to: &'static str) -> ScalarFnToSqlHandler {
    Box::new(move |u: &Unparser, args: &[Expr]| {
        let args = args
            .iter()
            .map(|a| u.expr_to_sql(a))
            .collect::<datafusion::common::Result<Vec<_>>>()?;
        Ok(Some(call(to, args)))
    })
}

/// The function handlers of a dialect, by DataFusion's function name.
type Renames = Vec<(&'static str, ScalarFnToSqlHandler)>;

/// `func_name(args)` as the dialect's handler for it writes it (none: as DataFusion names it).
fn rename(
    renames: &Renames,
    unparser: &Unparser,
    func_name: &str,
    args: &[Expr],
) -> datafusion::common::Result<Option<ast::Expr>> {
    match renames.iter().find(|(n, _)| *n == func_name) {
        Some((_, handler)) => handler(unparser, args),
        None => Ok(None),
    }
}

/// DuckDB as the unparser's own DuckDB dialect writes it, but for division: that dialect
/// writes every `/` as DuckDB's integer division `//`, which floors doubles too. The named
/// analyses cast to DOUBLE where they want a fraction, and DuckDB's `/` of two integers gives
/// a fraction where DataFusion truncates: the analyses divide integers only after a cast.
struct Duck {
    renames: Renames,
}

impl Dialect for Duck {
    fn identifier_quote_style(&self, _: &str) -> Option<char> {
        Some('"')
    }
    fn character_length_style(&self) -> CharacterLengthStyle {
        CharacterLengthStyle::Length
    }
    fn distinct_from_style(&self) -> DistinctFromStyle {
        DistinctFromStyle::FullText
    }
    fn scalar_function_to_sql_overrides(
        &self,
        unparser: &Unparser,
        func_name: &str,
        args: &[Expr],
    ) -> datafusion::common::Result<Option<ast::Expr>> {
        rename(&self.renames, unparser, func_name, args)
    }
}

fn cast(expr: ast::Expr, to: &str) -> ast::Expr {
    ast::Expr::Cast {
        kind: ast::CastKind::Cast,
        expr: Box::new(expr),
        data_type: ast::DataType::Custom(ast::ObjectName::from(vec![ast::Ident::new(to)]), vec![]),
        array: false,
        format: None,
    }
}

fn unsupported(what: String) -> datafusion::error::DataFusionError {
    datafusion::error::DataFusionError::NotImplemented(what)
}

/// The target's name for an Arrow type named as DataFusion's `arrow_cast` names it.
fn type_in(target: Target, arrow: &str) -> datafusion::common::Result<&'static str> {
    use arrow_schema::DataType as T;
    let t: T = arrow
        .parse()
        .map_err(|e| unsupported(format!("arrow_cast to {arrow:?}: {e}")))?;
    let spark = target == Target::Spark;
    Ok(match t {
        T::Timestamp(_, None) if spark => "TIMESTAMP_NTZ",
        T::Timestamp(_, Some(_)) if spark => "TIMESTAMP",
        T::Timestamp(_, None) => "TIMESTAMP",
        T::Timestamp(_, Some(_)) => "TIMESTAMPTZ",
        T::Int64 => "BIGINT",
        T::Int32 => "INTEGER",
        T::Float64 => "DOUBLE",
        T::Boolean => "BOOLEAN",
        T::Date32 => "DATE",
        T::Utf8 | T::Utf8View | T::LargeUtf8 if spark => "STRING",
        T::Utf8 | T::Utf8View | T::LargeUtf8 => "VARCHAR",
        other => return Err(unsupported(format!("arrow_cast to {other} for {target:?}"))),
    })
}

/// `arrow_cast(x, 'Type')` as `CAST(x AS TYPE)`.
fn arrow_cast(target: Target) -> ScalarFnToSqlHandler {
    Box::new(move |u: &Unparser, args: &[Expr]| {
        let [x, Expr::Literal(ty, _)] = args else {
            return Err(unsupported("arrow_cast without a literal type".into()));
        };
        let ty = ty
            .try_as_str()
            .flatten()
            .ok_or_else(|| unsupported("arrow_cast without a literal type".into()))?;
        Ok(Some(cast(u.expr_to_sql(x)?, type_in(target, ty)?)))
    })
}

/// `to_char(t, '%Y-%m')` as Spark's `date_format(t, 'yyyy-MM')`.
fn spark_date_format() -> ScalarFnToSqlHandler {
    Box::new(|u: &Unparser, args: &[Expr]| {
        let [t, Expr::Literal(f, _)] = args else {
            return Err(unsupported("to_char without a literal format".into()));
        };
        let f = f
            .try_as_str()
            .flatten()
            .ok_or_else(|| unsupported("to_char without a literal format".into()))?;
        let mut java = String::new();
        let mut chars = f.chars();
        while let Some(c) = chars.next() {
            if c != '%' {
                java.push(c);
                continue;
            }
            java.push_str(match chars.next() {
                Some('Y') => "yyyy",
                Some('m') => "MM",
                Some('d') => "dd",
                Some('H') => "HH",
                Some('M') => "mm",
                Some('S') => "ss",
                other => return Err(unsupported(format!("to_char format %{other:?} for Spark"))),
            });
        }
        let fmt = ast::Expr::Value(ast::Value::SingleQuotedString(java).into());
        Ok(Some(call("date_format", vec![u.expr_to_sql(t)?, fmt])))
    })
}

/// Spark SQL: backquoted names, its own function names.
struct Spark {
    renames: Renames,
}

impl Dialect for Spark {
    fn identifier_quote_style(&self, _: &str) -> Option<char> {
        Some('`')
    }
    fn utf8_cast_dtype(&self) -> ast::DataType {
        ast::DataType::String(None)
    }
    fn large_utf8_cast_dtype(&self) -> ast::DataType {
        ast::DataType::String(None)
    }
    fn timestamp_cast_dtype(
        &self,
        _unit: &arrow_schema::TimeUnit,
        tz: &Option<Arc<str>>,
    ) -> ast::DataType {
        let name = if tz.is_some() {
            "TIMESTAMP"
        } else {
            "TIMESTAMP_NTZ"
        };
        ast::DataType::Custom(ast::ObjectName::from(vec![ast::Ident::new(name)]), vec![])
    }
    /// Spark takes no frame on its ranking functions (their frame is fixed).
    fn window_func_support_window_frame(
        &self,
        func_name: &str,
        _start: &ast::WindowFrameBound,
        _end: &ast::WindowFrameBound,
    ) -> bool {
        !matches!(
            func_name,
            "row_number"
                | "rank"
                | "dense_rank"
                | "percent_rank"
                | "cume_dist"
                | "ntile"
                | "lag"
                | "lead"
        )
    }
    fn character_length_style(&self) -> CharacterLengthStyle {
        CharacterLengthStyle::Length
    }
    fn scalar_function_to_sql_overrides(
        &self,
        unparser: &Unparser,
        func_name: &str,
        args: &[Expr],
    ) -> datafusion::common::Result<Option<ast::Expr>> {
        rename(&self.renames, unparser, func_name, args)
    }
}

/// `to_timestamp('2026-03-01')` (text, no format) as `CAST('2026-03-01' AS TIMESTAMP)`:
/// DuckDB's `to_timestamp` takes seconds since the epoch.
fn to_timestamp() -> ScalarFnToSqlHandler {
    Box::new(|u: &Unparser, args: &[Expr]| match args {
        [x] => Ok(Some(cast(u.expr_to_sql(x)?, "TIMESTAMP"))),
        _ => Err(unsupported("to_timestamp with a format in DuckDB".into())),
    })
}

impl Engine {
    /// `sql` (DataFusion's dialect, over this warehouse's tables) as `target` writes it.
    pub fn translate(&self, sql: &str, target: Target) -> Result<String, QueryError> {
        // In a shared warehouse `files` is a view that joins each file's session in; the other
        // engine has its own view of that name (README, "A province"), so the query is planned
        // against the published rows under the name `files`, and the view put back after.
        let err = |e: datafusion::error::DataFusionError| QueryError::Sql(e.to_string());
        let swapped = match &self.published_files {
            Some(p) => {
                let view = self.ctx.deregister_table("files").map_err(err)?;
                self.ctx
                    .register_table("files", Arc::clone(p))
                    .map_err(err)?;
                view
            }
            None => None,
        };
        let plan = self.rt.block_on(async {
            self.ctx
                .state()
                .create_logical_plan(sql)
                .await
                .map_err(|e| QueryError::Sql(e.to_string()))
        });
        if let Some(view) = swapped {
            self.ctx.deregister_table("files").map_err(err)?;
            self.ctx.register_table("files", view).map_err(err)?;
        }
        let plan = plan?;
        let dialect: Box<dyn Dialect> = match target {
            Target::DuckDb => Box::new(Duck {
                renames: vec![
                    ("to_char", renamed("strftime")),
                    ("string_to_array", renamed("string_split")),
                    ("array_has", renamed("list_contains")),
                    ("arrow_cast", arrow_cast(target)),
                    ("to_timestamp", to_timestamp()),
                ],
            }),
            Target::Spark => Box::new(Spark {
                renames: vec![
                    ("to_char", spark_date_format()),
                    ("string_to_array", renamed("split")),
                    ("array_has", renamed("array_contains")),
                    ("array_to_string", renamed("array_join")),
                    ("arrow_cast", arrow_cast(target)),
                    ("to_timestamp", to_timestamp()),
                ],
            }),
        };
        let stmt = Unparser::new(dialect.as_ref())
            .with_pretty(true)
            .plan_to_sql(&plan)
            .map_err(|e| QueryError::Sql(format!("cannot write this query for {target:?}: {e}")))?;
        let text = stmt.to_string();
        Ok(match target {
            // A select-list UNNEST is Spark's `explode` (the unparser writes the SQL keyword).
            Target::Spark => text.replace("UNNEST(", "explode("),
            Target::DuckDb => text,
        })
    }
}
