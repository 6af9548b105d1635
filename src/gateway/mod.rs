pub mod bindings;
pub mod sp;
