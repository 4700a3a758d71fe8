// SPDX-License-Identifier: GPL-2.0

//! The figure of `lrn eval-evict`: miss-ratio curves per family, as an SVG file drawn with
//! `plotters` (its SVG backend writes `<text>` elements, so no font library is needed).
//!
//! One panel per family, in order of first appearance in the points. In a panel, x is the
//! cache size in percent of the trace's footprint (log scale) and y the miss ratio, each the
//! mean over the family's traces at one of [`SIZES_PERMILLE`]; one line per policy of
//! [`POLICIES`].
#![allow(clippy::float_arithmetic)]

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::evict_eval::{Point, COLUMNS, MIN_SIZE, SIZES_PERMILLE};
use crate::Error;

/// The policies drawn: name in [`COLUMNS`], legend label, color.
pub const POLICIES: [(&str, &str, RGBColor); 8] = [
    ("lru", "lru", RGBColor(127, 127, 127)),
    ("arc", "arc", RGBColor(31, 119, 180)),
    ("lirs", "lirs", RGBColor(44, 160, 44)),
    ("s3fifo", "s3fifo", RGBColor(148, 103, 189)),
    ("sieve", "sieve", RGBColor(255, 127, 14)),
    ("linux", "linux (stock)", RGBColor(23, 190, 207)),
    ("learned", "learned", RGBColor(214, 39, 40)),
    ("belady", "belady (optimum)", RGBColor(0, 0, 0)),
];

/// The figure's title when every family's learned policy has a model trained without that
/// family (`lrn eval-evict --models DIR`).
pub const TITLE: &str = "held-out miss ratios (mean over each family's traces); learned = the module's policy, leave-one-family-out";

const PANEL_W: u32 = 440;
const PANEL_H: u32 = 330;
const TITLE_H: u32 = 40;
const LEGEND_ROW: u32 = 24;

/// One family's curves.
#[derive(Clone, Debug, PartialEq)]
pub struct Curves {
    /// The family.
    pub family: String,
    /// Its number of traces.
    pub traces: usize,
    /// The x of each size: the mean cache size in percent of the footprint.
    pub x: Vec<f64>,
    /// Per policy of [`POLICIES`], the mean miss ratio at each x.
    pub y: Vec<Vec<f64>>,
}

/// The curves of every family of `points`, in order of first appearance.
///
/// A point belongs to every size of [`SIZES_PERMILLE`] that gives its cache size (several
/// when small sizes are clamped to [`MIN_SIZE`]), so every size averages all the family's
/// traces.
pub fn curves(points: &[Point]) -> Vec<Curves> {
    let mut families: Vec<&str> = Vec::new();
    for p in points {
        if !families.contains(&p.family.as_str()) {
            families.push(&p.family);
        }
    }
    families
        .into_iter()
        .map(|f| {
            let ps: Vec<&Point> = points
                .iter()
                .filter(|p| p.family == f && p.footprint > 0 && p.requests > 0)
                .collect();
            let mut traces: Vec<&str> = ps.iter().map(|p| p.trace.as_str()).collect();
            traces.sort_unstable();
            traces.dedup();
            let mut c = Curves {
                family: f.to_string(),
                traces: traces.len(),
                x: Vec::new(),
                y: vec![Vec::new(); POLICIES.len()],
            };
            for pm in SIZES_PERMILLE {
                let at: Vec<&&Point> = ps
                    .iter()
                    .filter(|p| p.size == (p.footprint * pm / 1000).max(MIN_SIZE))
                    .collect();
                if at.is_empty() {
                    continue;
                }
                let n = at.len() as f64;
                let x = at
                    .iter()
                    .map(|p| 100.0 * p.size as f64 / p.footprint as f64)
                    .sum::<f64>();
                c.x.push(x / n);
                for (y, &(name, _, _)) in c.y.iter_mut().zip(POLICIES.iter()) {
                    let col = COLUMNS.iter().position(|&c| c == name).unwrap_or(0);
                    let s = at
                        .iter()
                        .map(|p| p.misses[col] as f64 / p.requests as f64)
                        .sum::<f64>();
                    y.push(s / n);
                }
            }
            c
        })
        .collect()
}

fn draw_err<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> Error {
    Error(format!("cannot draw the plot: {e}"))
}

/// The figure of `points` as an SVG document, under `title` (e.g. [`TITLE`]).
pub fn svg(points: &[Point], title: &str) -> Result<String, Error> {
    let cs = curves(points);
    let n = cs.len().max(1);
    let cols = if n <= 4 { n.min(2) } else { 3 };
    let rows = n.div_ceil(cols);
    let w = PANEL_W * cols as u32;
    let legend_h = legend_height(w);
    let h = TITLE_H + legend_h + PANEL_H * rows as u32;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let (top, grid) = root.split_vertically(TITLE_H + legend_h);
        let (head, legend) = top.split_vertically(TITLE_H);
        head.titled(title, ("sans-serif", 17)).map_err(draw_err)?;
        draw_legend(&legend, w)?;
        let panels = grid.split_evenly((rows, cols));
        for (c, area) in cs.iter().zip(panels.iter()) {
            draw_panel(area, c)?;
        }
        root.present().map_err(draw_err)?;
    }
    Ok(out)
}

/// The legend's entries: `(row, x)` of each policy's sample line, rows centered in width `w`
/// (labels are estimated at 8 pixels a character).
fn legend_layout(w: u32) -> Vec<(i32, i32)> {
    let width = |label: &str| 34 + 8 * label.len() as i32 + 28;
    let mut rows: Vec<Vec<(usize, i32)>> = vec![Vec::new()];
    let mut x = 0;
    for (k, &(_, label, _)) in POLICIES.iter().enumerate() {
        if x > 0 && x + width(label) > w as i32 - 20 {
            rows.push(Vec::new());
            x = 0;
        }
        if let Some(r) = rows.last_mut() {
            r.push((k, x));
        }
        x += width(label);
    }
    let mut at = vec![(0, 0); POLICIES.len()];
    for (row, entries) in rows.iter().enumerate() {
        let used = entries
            .last()
            .map_or(0, |&(k, x)| x + width(POLICIES[k].1) - 28);
        let left = (w as i32 - used) / 2;
        for &(k, x) in entries {
            at[k] = (row as i32, left + x);
        }
    }
    at
}

/// The legend's height for a figure `w` pixels wide.
fn legend_height(w: u32) -> u32 {
    let rows = legend_layout(w).iter().map(|a| a.0).max().unwrap_or(0) + 1;
    10 + LEGEND_ROW * rows as u32
}

/// The shared legend: a sample line with a marker and the label of each policy.
fn draw_legend(area: &DrawingArea<SVGBackend, Shift>, w: u32) -> Result<(), Error> {
    for (&(name, label, color), (row, x)) in POLICIES.iter().zip(legend_layout(w)) {
        let y = 5 + LEGEND_ROW as i32 * row + LEGEND_ROW as i32 / 2;
        let width = if name == "learned" { 4 } else { 2 };
        area.draw(&PathElement::new(
            vec![(x, y), (x + 28, y)],
            color.stroke_width(width),
        ))
        .map_err(draw_err)?;
        area.draw(&Circle::new((x + 14, y), 3, color))
            .map_err(draw_err)?;
        area.draw(&Text::new(
            label,
            (x + 34, y - 7),
            ("sans-serif", 14).into_font(),
        ))
        .map_err(draw_err)?;
    }
    Ok(())
}

/// The rounding of a y bound to a multiple of 0.05.
fn round_to(v: f64, up: bool) -> f64 {
    let k = v / 0.05;
    let k = if up { k.ceil() } else { k.floor() };
    (k * 0.05).clamp(0.0, 1.0)
}

/// One family's panel.
fn draw_panel(area: &DrawingArea<SVGBackend, Shift>, c: &Curves) -> Result<(), Error> {
    let all = c.y.iter().flatten().copied();
    let (lo, hi) = all.fold((1.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (mut lo, mut hi) = (round_to(lo, false), round_to(hi, true));
    if hi <= lo {
        (lo, hi) = ((lo - 0.05).max(0.0), (hi + 0.05).min(1.0));
    }
    let plural = if c.traces == 1 { "" } else { "s" };
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("{} ({} trace{plural})", c.family, c.traces),
            ("sans-serif", 16),
        )
        .margin(8)
        .margin_right(16)
        .x_label_area_size(36)
        .y_label_area_size(50)
        .build_cartesian_2d((0.05f64..20.0).log_scale(), lo..hi)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_desc("cache size (% of footprint, log scale)")
        .y_desc("miss ratio")
        .x_label_formatter(&|v| {
            if *v >= 1.0 {
                format!("{v:.0}%")
            } else {
                format!("{v}%")
            }
        })
        .y_label_formatter(&|v| format!("{v:.2}"))
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 13))
        .light_line_style(RGBColor(238, 238, 238))
        .y_max_light_lines(1)
        .draw()
        .map_err(draw_err)?;
    for (y, &(name, _, color)) in c.y.iter().zip(POLICIES.iter()) {
        let width = if name == "learned" { 4 } else { 2 };
        chart
            .draw_series(
                LineSeries::new(
                    c.x.iter().copied().zip(y.iter().copied()),
                    color.stroke_width(width),
                )
                .point_size(3),
            )
            .map_err(draw_err)?;
    }
    Ok(())
}

/// Writes the figure of `points`, under `title`, to `path`.
pub fn write_svg(points: &[Point], title: &str, path: &str) -> Result<(), Error> {
    let s = svg(points, title)?;
    std::fs::write(path, s).map_err(|e| Error(format!("cannot write {path}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(family: &str, trace: &str, size: u64, misses: u64) -> Point {
        let mut m = [misses; 10];
        m[7] = misses / 2;
        Point {
            family: family.into(),
            trace: trace.into(),
            requests: 1000,
            footprint: 100_000,
            size,
            misses: m,
        }
    }

    #[test]
    fn one_line_per_policy_per_family() {
        let mut pts = Vec::new();
        for (f, t) in [
            ("alpha", "a1"),
            ("alpha", "a2"),
            ("beta", "b1"),
            ("beta", "b2"),
        ] {
            for (k, s) in [100u64, 1000, 3000, 10_000].into_iter().enumerate() {
                pts.push(point(f, t, s, 900 - 200 * k as u64));
            }
        }
        let cs = curves(&pts);
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0].traces, 2);
        assert_eq!(cs[0].x.len(), 4);
        assert!((cs[0].x[0] - 0.1).abs() < 1e-9 && (cs[0].y[0][3] - 0.3).abs() < 1e-9);

        let dir = std::env::temp_dir().join(format!("lrn-evict-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("eval-evict.svg");
        let path = path.to_str().expect("utf-8 path");
        write_svg(&pts, TITLE, path).expect("draws");
        let s = std::fs::read_to_string(path).expect("written");
        std::fs::remove_dir_all(&dir).ok();
        assert!(s.starts_with("<svg"), "{}", &s[..s.len().min(80)]);
        assert!(s.contains("alpha (2 traces)") && s.contains("beta (2 traces)"));
        // Every policy has a polyline of its own color in each panel, with one marker per
        // size, and one in the legend (the axes and ticks are 1 pixel wide).
        for &(name, _, RGBColor(r, g, b)) in &POLICIES {
            let width = if name == "learned" { 4 } else { 2 };
            let stroke = format!("stroke=\"#{r:02X}{g:02X}{b:02X}\" stroke-width=\"{width}\"");
            let lines = s
                .split("<polyline")
                .skip(1)
                .filter(|e| e.split('>').next().is_some_and(|e| e.contains(&stroke)))
                .count();
            assert_eq!(lines, cs.len() + 1, "{name}: {stroke}");
        }
        let markers = s.matches("<circle").count();
        assert_eq!(markers, POLICIES.len() * (4 * cs.len() + 1));
    }
}
