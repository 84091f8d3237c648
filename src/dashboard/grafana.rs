//! Grafana's dashboard JSON model (schemaVersion 39), as far as `slo` writes it.
//!
//! Fields are declared in the alphabetical order of their JSON names: dashboards used to be
//! built as `serde_json::Value`s, whose maps sort their keys, and the files written then
//! must not change a byte. `fields_are_declared_in_alphabetical_order` guards it.

use serde::Serialize;

/// A list `slo` always leaves empty; typed so that nothing can be put in it by accident.
pub type EmptyList = [(); 0];

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    pub annotations: Annotations,
    pub description: String,
    pub editable: bool,
    /// 1: the crosshair is shared between panels, the tooltip is not.
    pub graph_tooltip: u8,
    /// Grafana's database id, null: an import finds the dashboard by `uid`.
    pub id: (),
    pub links: Vec<DashboardLink>,
    pub panels: Vec<Panel>,
    pub refresh: &'static str,
    pub schema_version: u32,
    pub tags: Vec<String>,
    pub templating: Templating,
    pub time: TimeRange,
    pub timepicker: TimePicker,
    /// Empty: the browser's time zone.
    pub timezone: &'static str,
    pub title: String,
    pub uid: String,
    pub version: u32,
}

/// A header link listing the other dashboards that carry `tags` (Grafana leaves out the
/// dashboard itself), keeping the time range.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DashboardLink {
    pub as_dropdown: bool,
    pub icon: &'static str,
    pub include_vars: bool,
    pub keep_time: bool,
    pub tags: Vec<String>,
    pub target_blank: bool,
    pub title: String,
    pub tooltip: &'static str,
    /// `dashboards`: the link lists dashboards by tag.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub url: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Annotations {
    pub list: EmptyList,
}

#[derive(Debug, Clone, Serialize)]
pub struct Templating {
    pub list: Vec<Variable>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimeRange {
    pub from: String,
    pub to: &'static str,
}

/// Grafana's defaults for the time picker: an empty object.
#[derive(Debug, Clone, Serialize)]
pub struct TimePicker {}

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Panel {
    Row(RowPanel),
    /// Boxed: a data panel is many times the size of a row.
    Data(Box<DataPanel>),
}

impl Panel {
    pub fn place(&mut self, id: usize, at: GridPos) {
        let (panel_id, grid_pos) = match self {
            Panel::Row(row) => (&mut row.id, &mut row.grid_pos),
            Panel::Data(data) => (&mut data.id, &mut data.grid_pos),
        };
        *panel_id = id;
        *grid_pos = at;
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PanelType {
    Row,
    Stat,
    TimeSeries,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct GridPos {
    pub h: u32,
    pub w: u32,
    pub x: u32,
    pub y: u32,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowPanel {
    pub collapsed: bool,
    pub grid_pos: GridPos,
    pub id: usize,
    /// A collapsed row's panels; an open row's follow it at the top level.
    pub panels: EmptyList,
    pub title: String,
    pub r#type: PanelType,
}

/// A panel showing queries: a stat or a time series (`options` and `type` go together).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataPanel {
    pub datasource: DatasourceRef,
    pub description: String,
    pub field_config: FieldConfig,
    pub grid_pos: GridPos,
    pub id: usize,
    pub options: PanelOptions,
    pub targets: Vec<Target>,
    /// Grafana's relative time override, e.g. `now/M` (this month so far).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_from: Option<&'static str>,
    pub title: String,
    pub r#type: PanelType,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatasourceRef {
    pub r#type: &'static str,
    pub uid: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub datasource: DatasourceRef,
    pub expr: String,
    pub instant: bool,
    pub legend_format: String,
    pub range: bool,
    pub ref_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldConfig {
    pub defaults: FieldDefaults,
    pub overrides: Vec<Override>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FieldDefaults {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<Color>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom: Option<CustomFieldConfig>,
    pub decimals: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<Thresholds>,
    pub unit: &'static str,
}

/// A time series' drawing style.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomFieldConfig {
    pub fill_opacity: u32,
    pub line_width: u32,
    pub show_points: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stacking: Option<Mode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thresholds_style: Option<Mode>,
}

/// `{"mode": ...}`, the shape of several of Grafana's settings.
#[derive(Debug, Clone, Serialize)]
pub struct Mode {
    pub mode: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Color {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_color: Option<&'static str>,
    pub mode: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Thresholds {
    pub mode: &'static str,
    pub steps: Vec<ThresholdStep>,
}

/// From `value` up, `color`; the first step's value is null (from minus infinity).
#[derive(Debug, Clone, Serialize)]
pub struct ThresholdStep {
    pub color: &'static str,
    pub value: Option<f64>,
}

/// Field settings for the fields `matcher` selects, over the defaults.
#[derive(Debug, Clone, Serialize)]
pub struct Override {
    pub matcher: Matcher,
    pub properties: Vec<Property>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Matcher {
    pub id: &'static str,
    pub options: String,
}

/// One overridden field setting: `{"id": "decimals", "value": 1}`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "id", content = "value", rename_all = "lowercase")]
pub enum Property {
    Unit(&'static str),
    Decimals(usize),
    Thresholds(Thresholds),
    Color(Color),
}

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum PanelOptions {
    Stat(StatOptions),
    TimeSeries(TimeSeriesOptions),
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatOptions {
    pub color_mode: &'static str,
    pub graph_mode: &'static str,
    pub justify_mode: &'static str,
    pub orientation: &'static str,
    pub reduce_options: ReduceOptions,
    pub text_mode: &'static str,
}

/// How a stat reduces a series to one value.
#[derive(Debug, Clone, Serialize)]
pub struct ReduceOptions {
    pub calcs: Vec<&'static str>,
    /// Empty: every numeric field.
    pub fields: &'static str,
    /// False: one value per series, not one per row.
    pub values: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimeSeriesOptions {
    pub legend: Legend,
    pub tooltip: Tooltip,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Legend {
    pub display_mode: &'static str,
    pub placement: &'static str,
    pub show_legend: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tooltip {
    pub mode: &'static str,
    pub sort: &'static str,
}

/// A template variable: the datasource every panel queries, or the values of a label.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Variable {
    Datasource(DatasourceVariable),
    Query(QueryVariable),
}

#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VariableType {
    Datasource,
    Query,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasourceVariable {
    pub current: Current<&'static str>,
    /// 0: shown with its label.
    pub hide: u8,
    pub include_all: bool,
    pub label: &'static str,
    pub multi: bool,
    pub name: &'static str,
    pub options: EmptyList,
    /// The datasource type offered.
    pub query: &'static str,
    /// 1: the list is read when the dashboard loads.
    pub refresh: u8,
    pub regex: &'static str,
    pub skip_url_sync: bool,
    pub r#type: VariableType,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryVariable {
    /// What "All" stands for in queries.
    pub all_value: &'static str,
    pub current: Current<[&'static str; 1]>,
    pub datasource: DatasourceRef,
    /// 0: shown with its label.
    pub hide: u8,
    pub include_all: bool,
    pub label: String,
    pub multi: bool,
    pub name: String,
    /// Empty: Grafana queries the values.
    pub options: EmptyList,
    pub query: String,
    /// 2: the values are read again when the time range changes.
    pub refresh: u8,
    pub regex: &'static str,
    pub skip_url_sync: bool,
    /// 1: alphabetical, ascending.
    pub sort: u8,
    pub r#type: VariableType,
}

/// A variable's selection when the dashboard opens.
#[derive(Debug, Clone, Serialize)]
pub struct Current<T> {
    pub selected: bool,
    pub text: T,
    pub value: T,
}
