//! Renderers: each turns a computed result into text for one audience.

pub mod gate;
pub mod github;
pub mod junit;
