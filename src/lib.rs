//! flowscope: a terminal explorer for Azure NSG and VNet flow logs.
//!
//! ```text
//!  paths ─> load ─> store ─> filter ─> selection ─> views ─> tui / cli
//! ```
//! The engine (`load`, `store`, `filter`, `views`) never touches the terminal.

pub mod cli;
pub mod field;
pub mod filter;
pub mod gen;
pub mod load;
pub mod model;
pub mod parallel;
pub mod selection;
pub mod store;
pub mod text;
pub mod tui;
pub mod views;
