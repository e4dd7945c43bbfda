//! The one flow record every decoder fills and every sink reads.
//!
//! `docs/record.md` is the reference for each field; [`FieldId::ALL`] is the
//! same list in code, in output order.

mod batch;
mod counters;
mod drop_reason;
mod endpoint;
mod extended;
mod field;
mod names;
mod record;
mod render;

pub use batch::RecordBatch;
pub use counters::{
    AppResources, CounterRecord, EthernetInterface, GenericInterface, OpenflowPort, OvsDpStats,
    Processor, VlanCounters,
};
pub use drop_reason::drop_reason_name;
pub use endpoint::{EndpointMeta, EndpointRef};
pub use extended::{Ext, Extended};
pub use field::{FieldId, Value};
pub use names::{etype_name, proto_name};
pub use record::{ExtraField, FlowRecord, FlowType};
/// The previous renderer, the oracle of the differential tests and benches.
#[cfg(any(test, feature = "reference-renderer"))]
#[doc(hidden)]
pub use render::reference as render_reference;
pub use render::{OutputFormat, RenderOptions, Renderer};
