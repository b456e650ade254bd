//! One component per file; props are data and callbacks.

pub mod bit_grid;
pub mod capture_diagnosis;
pub mod capture_panel;
pub mod composer;
pub mod diagnosis_panel;
pub mod findings;
pub mod font_warm;
pub mod frame_detail;
pub mod frame_link;
pub mod frame_list;
pub mod handshake_panel;
pub mod hex_view;
pub mod input_panel;
pub mod payload_view;
pub mod proto_picker;
pub mod share_bar;
pub mod unmask_table;
