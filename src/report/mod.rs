//! Reports for people who read rather than query: the findings list (`recaudit findings`), and
//! the supervisor's page (`recaudit report`): one self-contained HTML file, charts as inline
//! SVG, built from the named analyses and the warehouse tables through the query engine
//! ([`data`]), laid out by [`page`] in Chinese or English ([`text`]), drawn by [`svg`], and
//! printed to PDF by a headless Chromium where one is installed ([`pdf`]).

mod cells;
pub mod data;
pub mod findings;
pub mod page;
pub mod pdf;
pub mod sections;
pub mod svg;
pub mod text;
