//! One module per subcommand.

pub mod bench;
pub mod preview;
pub mod run;
pub mod serve;
pub mod validate;
