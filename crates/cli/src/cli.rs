//! The command line's shape: global flags, commands and their `--help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  # What would seeding create for the dev stage? (writes nothing)
  ssmconf --schema config/ --stage dev init --dry-run

  # Seed it, then check every required value resolves and decodes
  ssmconf --stage dev init
  ssmconf --stage dev check

  # Where does this value come from?
  ssmconf --stage dev explain models.default_basic

  # Run a program with the values in its environment; promote dev to staging
  ssmconf --stage dev exec -- python train.py
  ssmconf promote --from dev --to staging --dry-run

  # Local development without AWS: a JSON file as the store
  ssmconf --stage dev --store file:.ssmconf/params.json put models.default_basic GPT_4O

Exit codes: 0 done; 1 a problem found (check, or a value missing);
2 bad usage or a schema error; 3 the store failed.";

/// Seed, check and explain typed configuration in AWS SSM Parameter Store.
///
/// Reads a YAML schema (entries with `ssm_param`, `default`, `description`,
/// ...) and resolves each key through the fallback chain: environment
/// variable, SSM, stale value, schema default. Secure values print as `***`
/// unless `--reveal` is given.
#[derive(Debug, Parser)]
#[command(name = "ssmconf", version, after_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// The schema: a YAML file, or a directory of them (each mounted under
    /// its file stem less `_config`). Default: $SSMCONF_SCHEMA, then ./config.
    #[arg(long, global = true, env = "SSMCONF_SCHEMA", value_name = "PATH")]
    pub schema: Option<PathBuf>,

    /// Fill the placeholder `{K}` in parameter names with V. Repeatable.
    #[arg(long = "var", global = true, value_name = "K=V", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,

    /// Same as `--var stage=S`.
    #[arg(long, global = true, value_name = "S")]
    pub stage: Option<String>,

    /// Where parameters live: `ssm` (AWS, from the standard environment),
    /// `memory` (empty, forgotten at exit) or `file:PATH` (a JSON file).
    #[arg(long, global = true, env = "SSMCONF_STORE", value_name = "STORE", default_value = "ssm", value_parser = parse_store)]
    pub store: StoreArg,

    /// The AWS region (default: the standard AWS environment).
    #[arg(long, global = true, value_name = "R")]
    pub region: Option<String>,

    /// The SSM endpoint, for an SSM-compatible server (default:
    /// $AWS_ENDPOINT_URL_SSM, $AWS_ENDPOINT_URL, then AWS).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// `text` for people (tables; colour on a terminal unless NO_COLOR is
    /// set), `json` for machines (stable; see the README).
    #[arg(long, global = true, value_enum, default_value_t = Output::Text)]
    pub output: Output,

    /// More log lines on stderr (-v info, -vv debug). $SSMCONF_LOG takes a
    /// tracing filter and wins.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Output for people or for machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Aligned tables and words.
    Text,
    /// One JSON document on stdout.
    Json,
}

/// The `--store` flag, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreArg {
    /// AWS SSM Parameter Store.
    Ssm,
    /// An empty in-process store.
    Memory,
    /// A JSON file.
    File(PathBuf),
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the value of KEY (secure values as `***` unless --reveal).
    #[command(after_help = "Exits 1 when nothing in the chain has a value, 3 when that is because the store failed.")]
    Get {
        /// The dotted key, as in the schema (`models.default_basic`).
        key: String,
        /// Print a secure value in clear.
        #[arg(long)]
        reveal: bool,
    },
    /// Show every step of the fallback chain for KEY, and which one answered.
    Explain {
        /// The dotted key.
        key: String,
    },
    /// Print the whole configuration, resolved.
    Export {
        /// `json` and `yaml` nest groups; `env` prints KEY=value lines
        /// (`models.default_basic` becomes MODELS_DEFAULT_BASIC).
        #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
        format: ExportFormat,
        /// Print secure values in clear.
        #[arg(long)]
        reveal: bool,
    },
    /// Create every parameter that has a schema default and does not exist
    /// yet (type, description and tags from the schema).
    #[command(after_help = "Entries without a default are listed as needing manual setup (`ssmconf put`).")]
    Init {
        /// Print the plan and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Replace parameters that exist with the schema default.
        #[arg(long)]
        overwrite: bool,
    },
    /// Write VALUE to KEY's parameter, checked against the schema first.
    #[command(
        after_help = "VALUE is the text SSM stores: `42` for an int, `a,b` for a list, a JSON document for json.\n\
        Pass `-` to read it from stdin (keeps a secret out of the shell history)."
    )]
    Put {
        /// The dotted key.
        key: String,
        /// The value, or `-` for stdin.
        value: String,
    },
    /// Check that every required entry resolves and every value in the store
    /// decodes and is allowed. Exits 1 when a problem is found.
    Check,
    /// Compare each entry's schema default with the value in the store, and
    /// list parameters under the schema's prefixes that no entry names.
    Diff,
    /// List the versions of KEY's parameter, newest first.
    History {
        /// The dotted key.
        key: String,
    },
    /// Run CMD with the resolved values in its environment.
    ///
    /// Each key becomes a variable: the entry's `env` name, else the dotted
    /// key upper-cased with `.` and `-` as `_` (`models.default_basic` is
    /// MODELS_DEFAULT_BASIC). Values as `export --format env` prints them:
    /// strings as they are, lists comma-joined, the rest as JSON. Secure
    /// values go to CMD's environment and nowhere else.
    #[command(after_help = EXEC_HELP, override_usage = "ssmconf exec [OPTIONS] -- <CMD>...")]
    Exec {
        /// Only keys under PREFIX (a dotted key or a group). Repeatable.
        #[arg(long = "only", value_name = "PREFIX")]
        only: Vec<String>,
        /// Start CMD from an empty environment: nothing of ssmconf's own
        /// environment is kept, not even PATH or HOME (CMD itself is still
        /// found on ssmconf's PATH).
        #[arg(long)]
        pristine: bool,
        /// The command and its arguments (after `--`).
        #[arg(required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true, value_name = "CMD")]
        command: Vec<String>,
    },
    /// Write values for schema keys from a JSON, YAML or dotenv file, each
    /// checked like `put`, with a plan like `init`'s.
    #[command(after_help = IMPORT_HELP)]
    Import {
        /// The file: `.json`, `.yml`/`.yaml`, or `.env` (also `.env.*`).
        file: PathBuf,
        /// The file's format (default: from its name).
        #[arg(long, value_enum)]
        format: Option<ExportFormat>,
        /// Print the plan and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Replace parameters that exist (the same value is still skipped).
        #[arg(long)]
        overwrite: bool,
        /// Write the good values even when some keys or values are refused.
        #[arg(long)]
        skip_invalid: bool,
    },
    /// Copy the stored values of one stage's parameters to another's,
    /// writing only the values that differ.
    #[command(after_help = PROMOTE_HELP)]
    Promote {
        /// The source stage (`--var stage=FROM`).
        #[arg(long, value_name = "STAGE")]
        from: String,
        /// The target stage (`--var stage=TO`).
        #[arg(long, value_name = "STAGE")]
        to: String,
        /// Only keys under PREFIX (a dotted key or a group). Repeatable.
        #[arg(long = "only", value_name = "PREFIX")]
        only: Vec<String>,
        /// Print the plan and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write to a stage named `prod` without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Write an earlier version's value of KEY as a new version (default:
    /// the version before the current one).
    #[command(after_help = "The current description is kept. Read-only names (selectors, /aws/...) are refused.")]
    Rollback {
        /// The dotted key.
        key: String,
        /// The version whose value to restore.
        #[arg(long, value_name = "VERSION")]
        to: Option<i64>,
    },
}

const EXEC_HELP: &str = "\
Examples:
  ssmconf --stage dev exec -- python train.py
  ssmconf --stage dev exec --only models --pristine -- env

A required value that resolves to nothing stops ssmconf before CMD starts
(exit 1, naming the keys). Otherwise ssmconf replaces itself with CMD (exec):
CMD keeps ssmconf's process id, so signals sent to it (SIGINT, SIGTERM, a
Ctrl-C) reach CMD itself, and CMD's exit status is ssmconf's, death by a
signal included. Values never appear on a command line; CMD not found exits
127, not executable 126.";

const IMPORT_HELP: &str = "\
Keys: nested mappings or dotted keys (JSON, YAML); in a dotenv file, the
variable names `exec` sets (MODELS_DEFAULT_BASIC) or dotted keys. The output
of `export --reveal` imports back.

A key the schema does not have, or a value `put` would refuse, writes
nothing (exit 2, naming the key, why, and the line) unless --skip-invalid.
Parameters that exist are skipped unless --overwrite.";

const PROMOTE_HELP: &str = "\
Example:
  ssmconf promote --from dev --to staging --dry-run

Reads each entry's parameter with stage=FROM and with stage=TO and writes
the values that differ, with the source's type (a SecureString stays one)
and description. Secure values show as ***. Writing to a stage named `prod`
asks for confirmation on a terminal, and is refused without one, unless
--yes. A source value the schema does not accept writes nothing (exit 2).";

/// Formats of `export` and `import`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Nested JSON objects.
    Json,
    /// Nested YAML mappings.
    Yaml,
    /// `KEY=value` lines, shell-quoted.
    Env,
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("`{text}` is not K=V (for example `--var stage=dev`)")),
    }
}

fn parse_store(text: &str) -> Result<StoreArg, String> {
    match text {
        "ssm" => Ok(StoreArg::Ssm),
        "memory" => Ok(StoreArg::Memory),
        _ => match text.strip_prefix("file:") {
            Some(path) if !path.is_empty() => Ok(StoreArg::File(PathBuf::from(path))),
            _ => Err(format!("`{text}` is not a store: use `ssm`, `memory` or `file:PATH`")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn vars_and_stores_parse_or_explain() {
        assert_eq!(parse_var("stage=dev").unwrap(), ("stage".into(), "dev".into()));
        assert_eq!(parse_var("url=a=b").unwrap(), ("url".into(), "a=b".into()));
        assert!(parse_var("stage").unwrap_err().contains("--var stage=dev"));
        assert_eq!(parse_store("file:/tmp/p.json").unwrap(), StoreArg::File("/tmp/p.json".into()));
        assert_eq!(parse_store("memory").unwrap(), StoreArg::Memory);
        assert!(parse_store("file:").is_err());
        assert!(parse_store("s3").unwrap_err().contains("file:PATH"));
    }
}
