//! SVG plots (plotters, SVG backend only): RFC 2544 rate against frame
//! size, and a latency histogram.
use std::path::Path;

use anyhow::{anyhow, Result};
use hdrhistogram::Histogram;
use plotters::prelude::*;

use crate::rfc2544;

fn err<E: std::fmt::Display>(what: &str, path: &Path) -> impl FnOnce(E) -> anyhow::Error {
    let (what, path) = (what.to_string(), path.display().to_string());
    move |e| anyhow!("plotting {what} into {path}: {e}")
}

/// NDR, PDR and line rate (Mpps) per frame size.
pub fn rate_vs_size(results: &[rfc2544::Result], path: &Path) -> Result<()> {
    let e = || err("rate against frame size", path);
    let root = SVGBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(e())?;
    let max_x = results.iter().map(|r| r.frame_size).fold(64.0, f64::max) * 1.05;
    let max_y = results
        .iter()
        .map(|r| r.line_rate_pps.max(r.pdr.as_ref().map_or(0.0, |f| f.pps)))
        .fold(0.0, f64::max)
        / 1e6
        * 1.1;
    let mut chart = ChartBuilder::on(&root)
        .caption("RFC 2544 throughput", ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..max_x, 0f64..max_y.max(0.001))
        .map_err(e())?;
    chart
        .configure_mesh()
        .x_desc("frame size (bytes)")
        .y_desc("Mpps")
        .draw()
        .map_err(e())?;
    type Pick = fn(&rfc2544::Result) -> f64;
    let series: [(&str, RGBColor, Pick); 3] = [
        ("line rate", BLACK, |r| r.line_rate_pps),
        ("NDR", BLUE, |r| r.ndr.as_ref().map_or(0.0, |f| f.pps)),
        ("PDR", RED, |r| r.pdr.as_ref().map_or(0.0, |f| f.pps)),
    ];
    for (name, color, f) in series {
        let pts: Vec<(f64, f64)> = results.iter().map(|r| (r.frame_size, f(r) / 1e6)).collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
            .map_err(e())?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        chart
            .draw_series(pts.into_iter().map(|p| Circle::new(p, 3, color.filled())))
            .map_err(e())?;
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .draw()
        .map_err(e())?;
    root.present().map_err(e())?;
    Ok(())
}

/// Latency histogram: 60 equal bins from the minimum to the 99.9th
/// percentile (the rest are summed into the last bin).
pub fn latency_histogram(h: &Histogram<u64>, title: &str, path: &Path) -> Result<()> {
    let e = || err("latency histogram", path);
    const BINS: u64 = 60;
    let (lo, hi) = if h.is_empty() {
        (0, 1)
    } else {
        (h.min(), h.value_at_quantile(0.999).max(h.min() + 1))
    };
    let width = ((hi - lo) / BINS).max(1);
    let counts: Vec<(f64, u64)> = (0..BINS)
        .map(|i| {
            let a = lo + i * width;
            let b = if i == BINS - 1 {
                u64::MAX
            } else {
                a + width - 1
            };
            (a as f64 / 1000.0, h.count_between(a, b.min(h.max().max(a))))
        })
        .collect();
    let max_count = counts.iter().map(|c| c.1).max().unwrap_or(1).max(1);
    let root = SVGBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(e())?;
    let x0 = lo as f64 / 1000.0;
    let x1 = (lo + BINS * width) as f64 / 1000.0;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x0..x1, 0u64..max_count + max_count / 10 + 1)
        .map_err(e())?;
    chart
        .configure_mesh()
        .x_desc("latency (µs)")
        .y_desc("packets")
        .draw()
        .map_err(e())?;
    let w = width as f64 / 1000.0;
    chart
        .draw_series(
            counts
                .iter()
                .map(|&(x, c)| Rectangle::new([(x, 0), (x + w * 0.9, c)], BLUE.mix(0.7).filled())),
        )
        .map_err(e())?;
    root.present().map_err(e())?;
    Ok(())
}
