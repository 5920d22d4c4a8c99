//! One module per subcommand.

pub mod bench;
pub mod catalog;
pub mod fit;
pub mod infer;
pub mod preview;
pub mod run;
pub mod serve;
pub mod validate;
