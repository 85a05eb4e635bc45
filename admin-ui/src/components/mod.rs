//! Reusable pieces. Components take data and `on<verb>` callbacks; they never call the API.

pub mod chart;
pub mod dialog;
pub mod field;
pub mod layout;
pub mod pagination;
pub mod progress;
pub mod status;
pub mod table;
