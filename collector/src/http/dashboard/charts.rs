//! The dashboard's charts, as inline SVG strings the templates put in the page as they are:
//! no script, no second request, and the same bytes for the same numbers.
//!
//! Drawn with `plotters` (SVG backend only, no default features) rather than `charts-rs`,
//! measured on the 12-week NPS trend (2 shared cores, release, while another build ran):
//! - compile cost: plotters, plotters-backend and plotters-svg build in 1.8 s of CPU and add
//!   three small crates (num-traits is already in the tree); charts-rs alone takes 38 s of CPU
//!   and embeds a 168 KB Roboto font to measure text, which the binary would carry
//!   (a trial program: 0.6 MB with plotters, 1.4 MB with charts-rs).
//! - what it can draw: plotters is a coordinate system plus shapes, so the interval band with
//!   gaps, the hollow low-n markers, the forest plot and the importance–performance quadrant
//!   are each a few elements; charts-rs has fixed chart types (its line chart has a band, but
//!   not per-point markers, and no forest or quadrant chart).
//! - bytes: charts-rs was smaller out of the box (3.3 KB against 14.6 KB), all of which was
//!   plotters' fine mesh; without it, and with `opacity="1"` dropped (see [`finish`]), the
//!   charts here are 5.3 KB (12-week trend), 5.3 KB (histogram), 6.0 KB (8 reasons) and
//!   7.2 KB (6 aspects); `sizes_stay_small` keeps each under 12 KB. A 200-day trend is 28 KB.
//!
//! plotters' SVG root has a fixed pixel size and no accessible name; [`finish`] swaps that
//! one tag for a responsive one with `role="img"`, `<title>` and `<desc>`. Everything else,
//! including the escaping of labels from data, is plotters' own output.
//!
//! Every chart is 640 units wide and scales to its container (`width="100%"`); text is 20
//! units, so 10 px on a 320 px phone, and the container (`main`, 72rem) decides how large it
//! gets on a wide screen. No data (nothing to plot) gives a small chart that says so rather
//! than `None`: the page keeps its layout and the screen reader still hears the chart's name.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::fmt::Write as _;
use tenpoint_shared::stats::{Interval, LOW_N};

const WIDTH: u32 = 640;
const FONT: &str = "system-ui, sans-serif";
/// plotters writes a text's size divided by 1.24; 24.8 is 20 units, the smallest that is
/// still 10 px when the chart is shown 320 px wide.
const TEXT: f64 = 24.8;
/// The width of one character of [`TEXT`], for laying out legends and labels (a sans-serif
/// averages about 0.55 em).
const CHAR_WIDTH: f64 = 11.0;
const EMPTY: &str = "No answers in this period";

// Text colours are the stylesheet's (`--ink`, `--muted`), both above 4.5:1 on white; marks
// are at least 3:1 (tested in `colours_contrast_with_white`).
const INK: RGBColor = RGBColor(0x1b, 0x1f, 0x24);
const MUTED: RGBColor = RGBColor(0x4a, 0x52, 0x60);
const GRID: RGBColor = RGBColor(0xd5, 0xd9, 0xe0);
const ACCENT: RGBColor = RGBColor(0x0b, 0x57, 0xd0);
const DETRACTOR: RGBColor = RGBColor(0xb3, 0x26, 0x1e);
const PASSIVE: RGBColor = RGBColor(0x6b, 0x72, 0x80);
const PROMOTER: RGBColor = RGBColor(0x1b, 0x7a, 0x3a);
/// The interval band: light enough that the line and points over it keep their contrast.
const BAND_OPACITY: f64 = 0.18;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Drawn = Result<(), Box<dyn std::error::Error>>;
/// A value and its interval as drawn: finite and clipped to the axis; `None` is not drawn.
type Estimate = Option<(f64, Option<(f64, f64)>)>;

/// One period of the NPS trend.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct TrendPoint {
    /// "2026-11", "2026-11-02": shown as it is.
    pub label: String,
    /// `None` (or not finite) leaves a gap in the line.
    pub nps: Option<f64>,
    pub ci95: Option<Interval>,
    pub n: u64,
}

/// One row of the forest plot: a difference in percentage points with its interval.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DifferenceRow {
    pub label: String,
    pub estimate: Option<f64>,
    pub ci95: Option<Interval>,
}

/// One GAP aspect on the importance–performance grid (both on the 1–7 scale).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct AspectPoint {
    pub aspect: String,
    /// The mean expectation.
    pub importance: Option<f64>,
    /// The mean experience.
    pub performance: Option<f64>,
    pub n: u64,
}

/// The NPS per period, its 95% interval as a band, periods under [`LOW_N`] answers hollow.
/// `unit` names a period in the text alternative: "day", "week" or "month".
pub(super) fn nps_trend(id: &str, unit: &str, points: &[TrendPoint]) -> String {
    let title = format!("NPS by {unit}");
    let clean: Vec<Estimate> = points
        .iter()
        .map(|p| {
            let v = finite(p.nps)?.clamp(-100.0, 100.0);
            Some((v, interval(p.ci95, -100.0, 100.0)))
        })
        .collect();
    let scored: Vec<(usize, f64)> = clean
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.map(|(v, _)| (i, v)))
        .collect();
    let (Some(&first), Some(&last)) = (scored.first(), scored.last()) else {
        return no_data(id, &title);
    };
    let low_n = |i: usize| points[i].n < LOW_N;

    let mut desc = if scored.len() == 1 {
        format!(
            "NPS in {unit} {}: {}.",
            points[first.0].label,
            fmt1(first.1)
        )
    } else {
        let lowest = extreme(&scored, |a, b| a < b);
        let highest = extreme(&scored, |a, b| a > b);
        format!(
            "NPS by {unit} from {} to {}, from {} to {}; lowest {} in {unit} {}, highest {} in {unit} {}.",
            points[first.0].label,
            points[last.0].label,
            fmt1(first.1),
            fmt1(last.1),
            fmt1(lowest.1),
            points[lowest.0].label,
            fmt1(highest.1),
            points[highest.0].label,
        )
    };
    let few = scored.iter().filter(|(i, _)| low_n(*i)).count();
    if few > 0 {
        if scored.len() == 1 {
            desc.push_str(" Fewer than 30 answers.");
        } else {
            let _ = write!(
                desc,
                " {few} of the {} {unit}s had fewer than 30 answers.",
                scored.len()
            );
        }
    }
    if scored.len() < points.len() {
        let missing = points.len() - scored.len();
        let plural = if missing == 1 { "" } else { "s" };
        let _ = write!(desc, " {missing} {unit}{plural} without a score.");
    }

    let (lo, hi) = span(
        clean
            .iter()
            .flatten()
            .flat_map(|(v, ci)| [Some(*v), ci.map(|c| c.0), ci.map(|c| c.1)])
            .flatten(),
        (5.0, 10.0),
        (-100.0, 100.0),
        20.0,
    );
    let n = points.len() as f64;
    let size = (WIDTH, 400);
    render(id, &title, &desc, size, |root| {
        let mut legend = vec![(Swatch::Line, "NPS"), (Swatch::Band, "95% interval")];
        if few > 0 {
            legend.push((Swatch::Ring, "under 30 answers"));
        }
        let top = draw_legend(root, &legend)?;
        let mut chart = ChartBuilder::on(root)
            .margin_top(top)
            .margin_right(20)
            .margin_left(4)
            .x_label_area_size(40)
            .y_label_area_size(52)
            .build_cartesian_2d(-0.5..n - 0.5, lo..hi)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(6)
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .axis_style(MUTED)
            .label_style(text(INK, HPos::Right, VPos::Center))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()?;
        if lo < 0.0 && hi > 0.0 {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(-0.5, 0.0), (n - 0.5, 0.0)],
                MUTED.stroke_width(1),
            )))?;
        }
        // The band and the line each break where a period has no score (or no interval).
        for run in runs(&clean, |c| c.is_some_and(|(_, ci)| ci.is_some())) {
            let bounds: Vec<(f64, f64, f64)> = run
                .iter()
                .filter_map(|&i| {
                    clean[i]
                        .and_then(|(_, ci)| ci)
                        .map(|(l, h)| (i as f64, l, h))
                })
                .collect();
            let mut outline: Vec<(f64, f64)> = Vec::with_capacity(bounds.len() * 2 + 2);
            if let [(x, l, h)] = bounds[..] {
                outline.extend([(x - 0.2, h), (x + 0.2, h), (x + 0.2, l), (x - 0.2, l)]);
            } else {
                outline.extend(bounds.iter().map(|&(x, _, h)| (x, h)));
                outline.extend(bounds.iter().rev().map(|&(x, l, _)| (x, l)));
            }
            chart.draw_series(std::iter::once(Polygon::new(
                outline,
                ACCENT.mix(BAND_OPACITY).filled(),
            )))?;
        }
        for run in runs(&clean, Option::is_some) {
            if run.len() > 1 {
                let line: Vec<(f64, f64)> = run
                    .iter()
                    .filter_map(|&i| clean[i].map(|(v, _)| (i as f64, v)))
                    .collect();
                chart.draw_series(std::iter::once(PathElement::new(
                    line,
                    ACCENT.stroke_width(2),
                )))?;
            }
        }
        // Marks shrink when they would touch (a daily trend over months).
        let plot_width = chart.plotting_area().dim_in_pixel().0 as i32;
        let r = if plot_width / (points.len() as i32).max(1) >= 16 {
            6
        } else {
            3
        };
        for &(i, v) in &scored {
            mark(root, chart.backend_coord(&(i as f64, v)), r, low_n(i))?;
        }
        // As many period labels as fit side by side, evenly spaced.
        let widest = points
            .iter()
            .map(|p| text_width(&p.label))
            .max()
            .unwrap_or(0);
        let fit = usize::try_from(plot_width / (widest + 24))
            .unwrap_or(1)
            .max(1);
        for i in (0..points.len()).step_by(points.len().div_ceil(fit)) {
            let (x, y) = chart.backend_coord(&(i as f64, lo));
            label_below(root, &points[i].label, x, y + 8)?;
        }
        Ok(())
    })
}

/// How many answers gave each score, 0 to 10, coloured and grouped by NPS category.
pub(super) fn score_histogram(id: &str, counts: &[u64; 11]) -> String {
    let title = "Scores 0 to 10";
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return no_data(id, title);
    }
    let group = |r: std::ops::RangeInclusive<usize>| counts[r].iter().sum::<u64>();
    let (d, p, r) = (group(0..=6), group(7..=8), group(9..=10));
    let pct = |k: u64| (k as f64 * 100.0 / total as f64).round();
    let (mode, most) =
        counts.iter().enumerate().fold(
            (0, 0),
            |best, (s, &c)| if c > best.1 { (s, c) } else { best },
        );
    let desc = format!(
        "{total} answers: {d} detractors scoring 0 to 6 ({}%), {p} passives scoring 7 or 8 ({}%), \
         {r} promoters scoring 9 or 10 ({}%); the most common score is {mode}, given {most} times.",
        pct(d),
        pct(p),
        pct(r),
    );
    // The categories are apart on the axis too, so colour is not the only thing that tells.
    let x = |s: usize| {
        s as f64
            + match s {
                0..=6 => 0.0,
                7..=8 => 0.6,
                _ => 1.2,
            }
    };
    let most = most as f64;
    let top = (most * 1.1).ceil().max(5.0);
    render(id, title, &desc, (WIDTH, 360), |root| {
        let margin = draw_legend(
            root,
            &[
                (Swatch::Bar(DETRACTOR), "Detractors 0–6"),
                (Swatch::Bar(PASSIVE), "Passives 7–8"),
                (Swatch::Bar(PROMOTER), "Promoters 9–10"),
            ],
        )?;
        let mut chart = ChartBuilder::on(root)
            .margin_top(margin)
            .margin_right(12)
            .margin_left(4)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.6..x(10) + 0.6, 0.0..top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(6)
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .axis_style(MUTED)
            .label_style(text(INK, HPos::Right, VPos::Center))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()?;
        for (s, &c) in counts.iter().enumerate() {
            let colour = match s {
                0..=6 => DETRACTOR,
                7..=8 => PASSIVE,
                _ => PROMOTER,
            };
            if c > 0 {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x(s) - 0.4, 0.0), (x(s) + 0.4, c as f64)],
                    colour.filled(),
                )))?;
            }
            let (px, py) = chart.backend_coord(&(x(s), 0.0));
            label_below(root, &s.to_string(), px, py + 8)?;
        }
        Ok(())
    })
}

/// A forest plot: each row's difference in percentage points with its 95% interval, and the
/// line at 0 that an interval must not cross for the difference to be clear. `title` is the
/// chart's name, e.g. "Share among detractors minus share among promoters".
pub(super) fn difference_forest(id: &str, title: &str, rows: &[DifferenceRow]) -> String {
    let clean: Vec<Estimate> = rows
        .iter()
        .map(|r| {
            let v = finite(r.estimate)?.clamp(-100.0, 100.0);
            Some((v, interval(r.ci95, -100.0, 100.0)))
        })
        .collect();
    let known: Vec<(usize, f64)> = clean
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.map(|(v, _)| (i, v)))
        .collect();
    if known.is_empty() {
        return no_data(id, title);
    }
    let with_ci = |i: usize| match clean[i] {
        Some((_, Some((l, h)))) => format!(" (95% interval {} to {})", signed(l), signed(h)),
        _ => String::new(),
    };
    let mut desc = if let [(i, v)] = known[..] {
        format!(
            "{title}: {} percentage points for {}{}.",
            signed(v),
            rows[i].label,
            with_ci(i)
        )
    } else {
        let highest = extreme(&known, |a, b| a > b);
        let lowest = extreme(&known, |a, b| a < b);
        format!(
            "{title}, in percentage points, for {} rows: highest {} for {}{}, lowest {} for {}{}.",
            known.len(),
            signed(highest.1),
            rows[highest.0].label,
            with_ci(highest.0),
            signed(lowest.1),
            rows[lowest.0].label,
            with_ci(lowest.0),
        )
    };
    let clear = clean
        .iter()
        .flatten()
        .filter(|(_, ci)| ci.is_some_and(|(l, h)| l > 0.0 || h < 0.0))
        .count();
    let _ = write!(desc, " {clear} of the intervals exclude 0.");

    let (lo, hi) = span(
        clean
            .iter()
            .flatten()
            .flat_map(|(v, ci)| [Some(*v), ci.map(|c| c.0), ci.map(|c| c.1), Some(0.0)])
            .flatten(),
        (5.0, 10.0),
        (-100.0, 100.0),
        20.0,
    );
    const ROW: u32 = 56;
    let count = rows.len();
    let height = 8 + ROW * u32::try_from(count).unwrap_or(u32::MAX / ROW / 2) + 72;
    let max_chars = ((f64::from(WIDTH) - 24.0) / CHAR_WIDTH) as usize;
    render(id, title, &desc, (WIDTH, height), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin_top(8)
            .margin_right(20)
            .margin_left(12)
            .x_label_area_size(72)
            .y_label_area_size(0)
            .build_cartesian_2d(lo..hi, 0.0..count as f64)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .disable_y_mesh()
            .x_labels(5)
            .y_labels(0)
            .axis_style(MUTED)
            .label_style(text(INK, HPos::Center, VPos::Top))
            .axis_desc_style(text(INK, HPos::Center, VPos::Top))
            .x_label_formatter(&|v| signed0(*v))
            .x_desc("percentage points")
            .draw()?;
        let left = chart.plotting_area().get_pixel_range().0.start;
        for (i, row) in rows.iter().enumerate() {
            // Row i (from the top) spans y = count - i down to count - i - 1: its label in the
            // upper half, its mark in the lower, and the zero line only beside the mark so it
            // never runs through a label.
            let bottom = (count - i - 1) as f64;
            let (_, label_y) = chart.backend_coord(&(lo, bottom + 1.0));
            root.draw(&Text::new(
                shorten(&row.label, max_chars),
                (left, label_y + 6),
                text(INK, HPos::Left, VPos::Top),
            ))?;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.0, bottom), (0.0, bottom + 0.5)],
                MUTED.stroke_width(2),
            )))?;
            let y = bottom + 0.28;
            match clean[i] {
                Some((v, ci)) => {
                    if let Some((l, h)) = ci {
                        let (l, y_px) = chart.backend_coord(&(l, y));
                        let (h, _) = chart.backend_coord(&(h, y));
                        root.draw(&PathElement::new(
                            vec![(l, y_px), (h, y_px)],
                            ACCENT.stroke_width(3),
                        ))?;
                        for x in [l, h] {
                            root.draw(&PathElement::new(
                                vec![(x, y_px - 7), (x, y_px + 7)],
                                ACCENT.stroke_width(3),
                            ))?;
                        }
                    }
                    mark(root, chart.backend_coord(&(v, y)), 7, false)?;
                }
                None => {
                    let (x, y_px) = chart.backend_coord(&(0.0, y));
                    root.draw(&Text::new(
                        "no estimate",
                        (x + 8, y_px),
                        text(MUTED, HPos::Left, VPos::Center),
                    ))?;
                }
            }
        }
        Ok(())
    })
}

/// Martilla & James's importance–performance grid for the GAP aspects. The crosshairs are at
/// the means of the aspects shown, not at the scale's midpoint 4: expectations sit high on the
/// 1–7 scale, so at 4 nearly every aspect would be "important" and the grid would sort
/// nothing. The axes zoom to the data for the same reason; their ticks show where they are.
pub(super) fn importance_performance(id: &str, aspects: &[AspectPoint]) -> String {
    let title = "Importance and performance";
    let shown: Vec<(&AspectPoint, f64, f64)> = aspects
        .iter()
        .filter_map(|a| {
            let x = finite(a.importance)?.clamp(1.0, 7.0);
            let y = finite(a.performance)?.clamp(1.0, 7.0);
            Some((a, x, y))
        })
        .collect();
    if shown.is_empty() {
        return no_data(id, title);
    }
    let count = shown.len() as f64;
    let mx = shown.iter().map(|s| s.1).sum::<f64>() / count;
    let my = shown.iter().map(|s| s.2).sum::<f64>() / count;
    let quadrant = |x: f64, y: f64| match (x >= mx, y >= my) {
        (true, false) => 0,
        (true, true) => 1,
        (false, false) => 2,
        (false, true) => 3,
    };
    const NAMES: [&str; 4] = [
        "Concentrate here",
        "Keep up the good work",
        "Low priority",
        "Possible overkill",
    ];
    let mut desc = format!(
        "Importance (mean expectation) against performance (mean experience), on the 1 to 7 \
         scale, for {} aspects; the lines are at their means, {:.1} and {:.1}.",
        shown.len(),
        mx,
        my
    );
    for (q, name) in NAMES.iter().enumerate() {
        let members: Vec<String> = shown
            .iter()
            .filter(|s| quadrant(s.1, s.2) == q)
            .map(|s| format!("{} ({:.1}, {:.1})", s.0.aspect, s.1, s.2))
            .collect();
        if !members.is_empty() {
            let _ = write!(desc, " {name}: {}.", members.join(", "));
        }
    }
    let few = shown.iter().any(|s| s.0.n < LOW_N);
    let (x_lo, x_hi) = centred(shown.iter().map(|s| s.1), mx);
    let (y_lo, y_hi) = centred(shown.iter().map(|s| s.2), my);
    render(id, title, &desc, (WIDTH, 480), |root| {
        let top = if few {
            draw_legend(root, &[(Swatch::Ring, "under 30 answers")])?
        } else {
            12
        };
        let mut chart = ChartBuilder::on(root)
            .margin_top(top)
            .margin_right(16)
            .margin_left(4)
            .x_label_area_size(68)
            .y_label_area_size(80)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)?;
        chart
            .configure_mesh()
            .x_labels(7)
            .y_labels(7)
            .light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .axis_style(MUTED)
            .label_style(text(INK, HPos::Center, VPos::Top))
            .axis_desc_style(text(INK, HPos::Center, VPos::Top))
            .x_label_formatter(&|v| format!("{v:.1}"))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .x_desc("Importance (expectation)")
            .y_desc("Performance (experience)")
            .draw()?;
        chart.draw_series([
            PathElement::new(vec![(mx, y_lo), (mx, y_hi)], MUTED.stroke_width(2)),
            PathElement::new(vec![(x_lo, my), (x_hi, my)], MUTED.stroke_width(2)),
        ])?;
        let (xs, ys) = chart.plotting_area().get_pixel_range();
        let corner = ("system-ui, sans-serif", TEXT, FontStyle::Italic).into_font();
        for (name, at, h, v) in [
            (
                NAMES[0],
                (xs.end - 8, ys.end - 6),
                HPos::Right,
                VPos::Bottom,
            ),
            (NAMES[1], (xs.end - 8, ys.start + 6), HPos::Right, VPos::Top),
            (
                NAMES[2],
                (xs.start + 8, ys.end - 6),
                HPos::Left,
                VPos::Bottom,
            ),
            (
                NAMES[3],
                (xs.start + 8, ys.start + 6),
                HPos::Left,
                VPos::Top,
            ),
        ] {
            root.draw(&Text::new(
                name,
                at,
                corner.color(&MUTED).pos(Pos::new(h, v)),
            ))?;
        }
        // Points first, then their labels: right of the point unless that runs off the plot,
        // moved down a line while it would overlap a label already placed.
        let mut at: Vec<(i32, i32, &AspectPoint)> = shown
            .iter()
            .map(|s| {
                let (x, y) = chart.backend_coord(&(s.1, s.2));
                (x, y, s.0)
            })
            .collect();
        for &(x, y, a) in &at {
            mark(root, (x, y), 7, a.n < LOW_N)?;
        }
        at.sort_by(|a, b| (a.1, a.0, &a.2.aspect).cmp(&(b.1, b.0, &b.2.aspect)));
        let mut placed: Vec<(i32, i32, i32, i32)> = Vec::new();
        for (x, y, a) in at {
            let name = shorten(&a.aspect, 26);
            let w = text_width(&name);
            let right = x + 12 + w <= xs.end;
            let (x0, x1) = if right {
                (x + 12, x + 12 + w)
            } else {
                (x - 12 - w, x - 12)
            };
            let mut ty = y;
            for _ in 0..8 {
                let overlaps = placed
                    .iter()
                    .any(|&(a0, b0, a1, b1)| x0 < a1 && a0 < x1 && ty - 11 < b1 && b0 < ty + 11);
                if !overlaps {
                    break;
                }
                ty += 24;
            }
            placed.push((x0, ty - 11, x1, ty + 11));
            let (ax, h) = if right {
                (x0, HPos::Left)
            } else {
                (x1, HPos::Right)
            };
            root.draw(&Text::new(name, (ax, ty), text(INK, h, VPos::Center)))?;
        }
        Ok(())
    })
}

/// The chart for nothing to plot: its name, and the sentence in place of the picture.
fn no_data(id: &str, title: &str) -> String {
    render(id, title, &format!("{EMPTY}."), (WIDTH, 100), |root| {
        root.draw(&Text::new(
            EMPTY,
            (WIDTH as i32 / 2, 50),
            text(MUTED, HPos::Center, VPos::Center),
        ))?;
        Ok(())
    })
}

/// Draws on a fresh SVG and [`finish`]es it. plotters only fails on a write error, which a
/// `String` never has; should it fail anyway, the chart says so instead of half a picture.
fn render(
    id: &str,
    title: &str,
    desc: &str,
    size: (u32, u32),
    draw: impl FnOnce(&Area) -> Drawn,
) -> String {
    let mut buf = String::new();
    let drawn = {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        root.fill(&WHITE)
            .map_err(Into::into)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().map_err(Into::into))
    };
    match drawn {
        Ok(()) => finish(&buf, id, title, desc, size),
        Err(e) => {
            tracing::error!(chart = title, error = %e, "chart not drawn");
            finish(
                "<svg>\n</svg>\n",
                id,
                title,
                "The chart could not be drawn.",
                size,
            )
        }
    }
}

/// plotters' root tag has a fixed pixel size and no name; this one scales with the page and
/// is an image named by its `<title>` and described by its `<desc>` for screen readers.
/// `id` prefixes the two element ids (so a page with several charts has unique ids); only
/// ASCII letters, digits, `-` and `_` are kept. `opacity="1"`, plotters' default on every
/// element, goes (a fifth of the bytes); it cannot be inside a text, whose quotes are escaped.
fn finish(svg: &str, id: &str, title: &str, desc: &str, (w, h): (u32, u32)) -> String {
    let body = svg.split_once('>').map_or("", |(_, rest)| rest);
    let mut id: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    if id.is_empty() {
        id.push_str("chart");
    }
    let mut out = String::with_capacity(body.len() + desc.len() + 256);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"100%\" \
         role=\"img\" aria-labelledby=\"{id}-title {id}-desc\">\n\
         <title id=\"{id}-title\">{}</title>\n<desc id=\"{id}-desc\">{}</desc>",
        escape(title),
        escape(desc)
    );
    out.push_str(&body.replace(" opacity=\"1\"", ""));
    out
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[derive(Clone, Copy)]
enum Swatch {
    Line,
    Band,
    Ring,
    Bar(RGBColor),
}

/// A legend row along the top (wrapping if it must); returns the height it took.
fn draw_legend(root: &Area, items: &[(Swatch, &str)]) -> Result<u32, Box<dyn std::error::Error>> {
    let (mut x, mut y) = (12, 20);
    for &(swatch, label) in items {
        let w = 28 + 8 + text_width(label);
        if x > 12 && x + w > WIDTH as i32 - 12 {
            (x, y) = (12, y + 30);
        }
        match swatch {
            Swatch::Line => {
                root.draw(&PathElement::new(
                    vec![(x, y), (x + 28, y)],
                    ACCENT.stroke_width(2),
                ))?;
                mark(root, (x + 14, y), 6, false)?;
            }
            Swatch::Band => root.draw(&Rectangle::new(
                [(x, y - 10), (x + 28, y + 10)],
                ACCENT.mix(BAND_OPACITY).filled(),
            ))?,
            Swatch::Ring => mark(root, (x + 14, y), 6, true)?,
            Swatch::Bar(colour) => {
                root.draw(&Rectangle::new(
                    [(x + 4, y - 10), (x + 24, y + 10)],
                    colour.filled(),
                ))?;
            }
        }
        root.draw(&Text::new(
            label,
            (x + 36, y),
            text(INK, HPos::Left, VPos::Center),
        ))?;
        x += w + 24;
    }
    Ok(u32::try_from(y + 24).unwrap_or(44))
}

/// A data point: filled, or hollow (a white disc in a ring, so a line under it does not show
/// through) when it rests on fewer than [`LOW_N`] answers.
fn mark(root: &Area, at: (i32, i32), r: i32, hollow: bool) -> Drawn {
    if hollow {
        root.draw(&Circle::new(at, r, WHITE.filled()))?;
        root.draw(&Circle::new(at, r - 1, ACCENT.stroke_width(3)))?;
    } else {
        root.draw(&Circle::new(at, r, ACCENT.filled()))?;
    }
    Ok(())
}

/// A category label centred under the axis, kept inside the chart at either end.
fn label_below(root: &Area, label: &str, x: i32, y: i32) -> Drawn {
    let label = shorten(label, 16);
    let half = text_width(&label) / 2;
    let (x, h) = if x - half < 2 {
        (2, HPos::Left)
    } else if x + half > WIDTH as i32 - 2 {
        (WIDTH as i32 - 2, HPos::Right)
    } else {
        (x, HPos::Center)
    };
    root.draw(&Text::new(label, (x, y), text(INK, h, VPos::Top)))?;
    Ok(())
}

fn text(colour: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    (FONT, TEXT).into_font().color(&colour).pos(Pos::new(h, v))
}

fn text_width(s: &str) -> i32 {
    (s.chars().count() as f64 * CHAR_WIDTH).ceil() as i32
}

/// At most `max` characters, the last an ellipsis when cut (the table beside the chart has
/// the whole text).
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|v| v.is_finite())
}

/// An interval clipped to `[min, max]`, or `None` if either end is not a number.
fn interval(ci: Option<Interval>, min: f64, max: f64) -> Option<(f64, f64)> {
    let ci = ci?;
    if !(ci.low.is_finite() && ci.high.is_finite()) {
        return None;
    }
    let (l, h) = (ci.low.min(ci.high), ci.low.max(ci.high));
    Some((l.clamp(min, max), h.clamp(min, max)))
}

/// Consecutive indices where `keep` holds: the pieces a line or band is drawn in.
fn runs<T>(items: &[T], keep: impl Fn(&T) -> bool) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut current = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if keep(item) {
            current.push(i);
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The first of the values that `better` prefers to all others.
fn extreme(values: &[(usize, f64)], better: impl Fn(f64, f64) -> bool) -> (usize, f64) {
    values
        .iter()
        .copied()
        .reduce(|best, v| if better(v.1, best.1) { v } else { best })
        .unwrap_or((0, 0.0))
}

/// An axis range around `values`: padded, out to whole `step`s, inside `bounds`, at least
/// `min_span` wide (a flat line still gets a readable axis).
fn span(
    values: impl Iterator<Item = f64>,
    (pad, step): (f64, f64),
    (min, max): (f64, f64),
    min_span: f64,
) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !(lo.is_finite() && hi.is_finite()) {
        return (min, max);
    }
    let mut lo = ((lo - pad) / step).floor() * step;
    let mut hi = ((hi + pad) / step).ceil() * step;
    if hi - lo < min_span {
        let mid = ((lo + hi) / 2.0 / step).round() * step;
        (lo, hi) = (mid - min_span / 2.0, mid + min_span / 2.0);
    }
    if lo < min {
        (lo, hi) = (min, (hi + min - lo).min(max));
    }
    if hi > max {
        (lo, hi) = ((lo - (hi - max)).max(min), max);
    }
    (lo, hi)
}

/// A 1–7 axis range with `mean` in its middle where the scale allows, so the four quadrants
/// are about equal and each has room for its name.
fn centred(values: impl Iterator<Item = f64>, mean: f64) -> (f64, f64) {
    let half = values.fold(0.8_f64, |h, v| h.max((v - mean).abs() + 0.3));
    let (lo, hi) = (mean - half, mean + half);
    if lo < 1.0 {
        (1.0, (hi + 1.0 - lo).min(7.0))
    } else if hi > 7.0 {
        ((lo - (hi - 7.0)).max(1.0), 7.0)
    } else {
        (lo, hi)
    }
}

/// One decimal, never "-0.0".
fn fmt1(v: f64) -> String {
    format!("{:.1}", v + 0.0).replace("-0.0", "0.0")
}

/// One decimal with its sign: a difference.
fn signed(v: f64) -> String {
    let s = fmt1(v);
    if s.starts_with('-') || s == "0.0" {
        s
    } else {
        format!("+{s}")
    }
}

/// A tick on a difference axis: whole points with their sign.
fn signed0(v: f64) -> String {
    let s = format!("{:.0}", v + 0.0);
    match s.as_str() {
        "0" | "-0" => "0".to_owned(),
        _ if s.starts_with('-') => s,
        _ => format!("+{s}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVIL: [&str; 2] = [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
    ];

    fn ci(low: f64, high: f64) -> Option<Interval> {
        Some(Interval { low, high })
    }

    /// 12 weeks, the 6th without a score, every 4th under 30 answers.
    fn weeks(count: usize) -> Vec<TrendPoint> {
        (0..count)
            .map(|i| {
                let v = 31.2 - i as f64 * 1.1;
                TrendPoint {
                    label: format!("2026-W{:02}", (i % 52) + 1),
                    nps: (i != 5).then_some(v),
                    ci95: (i != 5).then_some(Interval {
                        low: v - 14.0,
                        high: v + 12.0,
                    }),
                    n: if i % 4 == 0 { 18 } else { 64 },
                }
            })
            .collect()
    }

    fn reasons() -> Vec<DifferenceRow> {
        [
            ("Delivery was slow", 23.1, 10.2, 36.0),
            ("Price", 12.0, -1.5, 25.5),
            ("The product broke", 8.4, 1.0, 15.8),
            ("Support did not answer", 4.0, -6.0, 14.0),
            ("Hard to find what I wanted", -2.5, -12.0, 7.0),
            ("Website was slow", -5.0, -15.0, 5.0),
            ("Packaging", 0.0, -4.0, 4.0),
            ("Other", -9.5, -20.0, 1.0),
        ]
        .into_iter()
        .map(|(l, e, lo, hi)| DifferenceRow {
            label: l.to_owned(),
            estimate: Some(e),
            ci95: ci(lo, hi),
        })
        .collect()
    }

    fn aspects() -> Vec<AspectPoint> {
        [
            ("Delivery speed", 6.4, 4.1, 120),
            ("Price", 6.1, 4.8, 118),
            ("Product quality", 6.2, 5.9, 121),
            ("Website", 4.9, 5.6, 119),
            ("Packaging", 4.2, 5.8, 25),
            ("Returns", 5.0, 4.4, 90),
        ]
        .into_iter()
        .map(|(a, x, y, n)| AspectPoint {
            aspect: a.to_owned(),
            importance: Some(x),
            performance: Some(y),
            n,
        })
        .collect()
    }

    const SCORES: [u64; 11] = [12, 4, 6, 9, 11, 20, 31, 48, 77, 102, 95];

    /// Parses the chart and checks what every chart must have; returns the parsed text of
    /// the title and the description.
    fn check(svg: &str, id: &str) -> (String, String) {
        let doc = roxmltree::Document::parse(svg).expect("well-formed XML");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.attribute("role"), Some("img"));
        assert_eq!(root.attribute("width"), Some("100%"));
        assert_eq!(root.attribute("height"), None);
        assert!(root.attribute("viewBox").is_some());
        let labelled = format!("{id}-title {id}-desc");
        assert_eq!(root.attribute("aria-labelledby"), Some(labelled.as_str()));
        let by_id = |want: String| {
            doc.descendants()
                .find(|n| n.attribute("id") == Some(want.as_str()))
                .unwrap_or_else(|| panic!("no element {want}"))
        };
        let title = by_id(format!("{id}-title"));
        let desc = by_id(format!("{id}-desc"));
        assert_eq!(title.tag_name().name(), "title");
        assert_eq!(desc.tag_name().name(), "desc");
        // The text alternative comes first, as a screen reader meets it.
        assert_eq!(root.first_element_child(), Some(title));
        let text = |n: roxmltree::Node| n.text().unwrap_or_default().to_owned();
        assert!(!text(title).is_empty() && !text(desc).is_empty());
        (text(title), text(desc))
    }

    /// Filled marks and rings (hollow marks) in the accent colour.
    fn marks(svg: &str) -> (usize, usize) {
        let doc = roxmltree::Document::parse(svg).expect("well-formed XML");
        let circles: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("circle"))
            .collect();
        let filled = circles
            .iter()
            .filter(|c| c.attribute("fill") == Some("#0B57D0"))
            .count();
        let rings = circles
            .iter()
            .filter(|c| {
                c.attribute("fill") == Some("none") && c.attribute("stroke") == Some("#0B57D0")
            })
            .count();
        (filled, rings)
    }

    fn texts(svg: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).expect("well-formed XML");
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or_default().trim().to_owned())
            .collect()
    }

    #[test]
    fn trend_draws_one_mark_per_scored_period_and_hollows_the_low_n_ones() {
        let points = weeks(12);
        let svg = nps_trend("t", "week", &points);
        let (title, desc) = check(&svg, "t");
        assert_eq!(title, "NPS by week");
        assert_eq!(
            desc,
            "NPS by week from 2026-W01 to 2026-W12, from 31.2 to 19.1; lowest 19.1 in week \
             2026-W12, highest 31.2 in week 2026-W01. 3 of the 11 weeks had fewer than 30 answers. 1 week \
             without a score."
        );
        // 11 scored weeks, of which weeks 1, 5 and 9 (indexes 0, 4, 8) are under 30; the
        // legend adds one of each.
        assert_eq!(marks(&svg), (8 + 1, 3 + 1));
        // The gap at week 6 splits the line and the band in two.
        let lines = svg
            .lines()
            .filter(|l| l.starts_with("<polyline") && l.contains("stroke=\"#0B57D0\""))
            .count();
        assert_eq!(lines, 2 + 1, "two line pieces and the legend's");
        assert_eq!(svg.matches("<polygon").count(), 2);
        assert!(texts(&svg).contains(&"under 30 answers".to_owned()));
    }

    #[test]
    fn trend_without_low_n_has_no_hollow_legend() {
        let mut points = weeks(12);
        points.iter_mut().for_each(|p| p.n = 100);
        let svg = nps_trend("t", "week", &points);
        assert_eq!(marks(&svg), (11 + 1, 0));
        assert!(!texts(&svg).contains(&"under 30 answers".to_owned()));
    }

    #[test]
    fn trend_handles_one_point_many_points_and_nan() {
        let one = nps_trend("a", "month", &weeks(1));
        let (_, desc) = check(&one, "a");
        assert_eq!(desc, "NPS in month 2026-W01: 31.2. Fewer than 30 answers.");
        assert_eq!(marks(&one), (1, 1 + 1));
        assert_eq!(
            one.matches("<polygon").count(),
            1,
            "a lone interval is still drawn"
        );

        let many = nps_trend("b", "day", &weeks(200));
        check(&many, "b");
        let (filled, rings) = marks(&many);
        assert_eq!(filled + rings, 199 + 2);

        let mut odd = weeks(4);
        odd[1].nps = Some(f64::NAN);
        odd[2].ci95 = ci(f64::NEG_INFINITY, f64::NAN);
        odd[3].nps = Some(1e9);
        let svg = nps_trend("c", "week", &odd);
        check(&svg, "c");
        assert_eq!(marks(&svg).0 + marks(&svg).1, 3 + 2);
        assert!(
            svg.contains("100."),
            "an NPS out of range is drawn at the edge"
        );
    }

    #[test]
    fn histogram_draws_a_bar_per_score_given_with_a_legend() {
        let svg = score_histogram("h", &SCORES);
        let (title, desc) = check(&svg, "h");
        assert_eq!(title, "Scores 0 to 10");
        assert_eq!(
            desc,
            "415 answers: 93 detractors scoring 0 to 6 (22%), 125 passives scoring 7 or 8 (30%), \
             197 promoters scoring 9 or 10 (47%); the most common score is 9, given 102 times."
        );
        let doc = roxmltree::Document::parse(&svg).expect("XML");
        let count = |colour: &str| {
            doc.descendants()
                .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(colour))
                .count()
        };
        // Bars plus one legend swatch per category.
        assert_eq!(count("#B3261E"), 7 + 1);
        assert_eq!(count("#6B7280"), 2 + 1);
        assert_eq!(count("#1B7A3A"), 2 + 1);
        let t = texts(&svg);
        for want in [
            "Detractors 0–6",
            "Passives 7–8",
            "Promoters 9–10",
            "0",
            "10",
        ] {
            assert!(t.contains(&want.to_owned()), "{want}");
        }

        let mut sparse = [0; 11];
        sparse[10] = 1;
        let svg = score_histogram("h", &sparse);
        let doc = roxmltree::Document::parse(&svg).expect("XML");
        let bars = doc
            .descendants()
            .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some("#1B7A3A"))
            .count();
        assert_eq!(bars, 1 + 1, "a score nobody gave has no bar");
    }

    #[test]
    fn forest_draws_a_mark_per_row_with_an_estimate() {
        let mut rows = reasons();
        let svg = difference_forest("f", "Detractors minus promoters", &rows);
        let (_, desc) = check(&svg, "f");
        assert_eq!(
            desc,
            "Detractors minus promoters, in percentage points, for 8 rows: highest +23.1 for \
             Delivery was slow (95% interval +10.2 to +36.0), lowest -9.5 for Other (95% interval \
             -20.0 to +1.0). 2 of the intervals exclude 0."
        );
        assert_eq!(marks(&svg), (8, 0));
        rows[1].estimate = None;
        rows[2].estimate = Some(f64::NAN);
        rows[3].ci95 = ci(f64::NAN, 3.0);
        let svg = difference_forest("f", "Detractors minus promoters", &rows);
        check(&svg, "f");
        assert_eq!(marks(&svg), (6, 0));
        assert_eq!(
            texts(&svg).iter().filter(|t| *t == "no estimate").count(),
            2
        );

        let one = difference_forest("g", "D minus P", &rows[..1]);
        assert_eq!(
            check(&one, "g").1,
            "D minus P: +23.1 percentage points for Delivery was slow (95% interval +10.2 to \
             +36.0). 1 of the intervals exclude 0."
        );
    }

    #[test]
    fn quadrant_places_each_aspect_and_names_the_quadrants() {
        let svg = importance_performance("q", &aspects());
        let (_, desc) = check(&svg, "q");
        assert!(
            desc.contains("Concentrate here: Delivery speed (6.4, 4.1), Price (6.1, 4.8)."),
            "{desc}"
        );
        assert!(
            desc.contains("Keep up the good work: Product quality (6.2, 5.9)."),
            "{desc}"
        );
        assert!(desc.contains("Low priority: Returns (5.0, 4.4)."), "{desc}");
        assert!(
            desc.contains("Possible overkill: Website (4.9, 5.6), Packaging (4.2, 5.8)."),
            "{desc}"
        );
        // Packaging rests on 25 answers: hollow, and the legend says what hollow means.
        assert_eq!(marks(&svg), (5, 1 + 1));
        let t = texts(&svg);
        for want in [
            "Concentrate here",
            "Keep up the good work",
            "Low priority",
            "Possible overkill",
            "Delivery speed",
            "Returns",
        ] {
            assert!(t.contains(&want.to_owned()), "{want}");
        }

        let mut one = aspects();
        one.truncate(1);
        one.push(AspectPoint {
            aspect: "Unanswered".into(),
            importance: None,
            performance: Some(f64::NAN),
            n: 0,
        });
        let svg = importance_performance("q", &one);
        check(&svg, "q");
        assert_eq!(marks(&svg), (1, 0));
    }

    #[test]
    fn labels_from_data_are_escaped() {
        for evil in EVIL {
            let mut points = weeks(3);
            points[1].label = evil.to_owned();
            let mut rows = reasons();
            rows[0].label = evil.to_owned();
            let mut asp = aspects();
            asp[0].aspect = evil.to_owned();
            for svg in [
                nps_trend("x", evil, &points),
                difference_forest("x", evil, &rows),
                importance_performance("x", &asp),
            ] {
                check(&svg, "x");
                assert!(!svg.contains("<script"), "{svg}");
                assert!(!svg.contains("<img"), "{svg}");
                assert!(!svg.contains(evil));
                let doc = roxmltree::Document::parse(&svg).expect("XML");
                let desc = doc
                    .descendants()
                    .find(|n| n.has_tag_name("desc"))
                    .and_then(|n| n.text())
                    .unwrap_or_default();
                assert!(
                    desc.contains(evil),
                    "the text alternative keeps the label: {desc}"
                );
            }
        }
    }

    #[test]
    fn ids_are_kept_to_safe_characters() {
        let svg = score_histogram("a\"b <c>", &SCORES);
        check(&svg, "abc");
        let svg = score_histogram("", &SCORES);
        check(&svg, "chart");
    }

    #[test]
    fn empty_input_says_so() {
        let none: [TrendPoint; 0] = [];
        let unscored = vec![TrendPoint {
            label: "2026-11".into(),
            nps: None,
            ci95: None,
            n: 0,
        }];
        for svg in [
            nps_trend("e", "week", &none),
            nps_trend("e", "week", &unscored),
            score_histogram("e", &[0; 11]),
            difference_forest("e", "D minus P", &[]),
            importance_performance("e", &[]),
        ] {
            let (_, desc) = check(&svg, "e");
            assert_eq!(desc, "No answers in this period.");
            assert_eq!(texts(&svg), vec![EMPTY.to_owned()]);
        }
    }

    #[test]
    fn output_is_deterministic() {
        let a = [
            nps_trend("d", "week", &weeks(12)),
            score_histogram("d", &SCORES),
            difference_forest("d", "D minus P", &reasons()),
            importance_performance("d", &aspects()),
        ];
        let b = [
            nps_trend("d", "week", &weeks(12)),
            score_histogram("d", &SCORES),
            difference_forest("d", "D minus P", &reasons()),
            importance_performance("d", &aspects()),
        ];
        assert_eq!(a, b);
    }

    #[test]
    fn sizes_stay_small() {
        let sizes = [
            nps_trend("d", "week", &weeks(12)).len(),
            score_histogram("d", &SCORES).len(),
            difference_forest("d", "D minus P", &reasons()).len(),
            importance_performance("d", &aspects()).len(),
        ];
        println!("bytes: trend, histogram, forest, quadrant = {sizes:?}");
        assert!(sizes.iter().all(|&s| s < 12_000), "{sizes:?}");
    }

    #[test]
    fn text_is_legible_at_phone_width() {
        // 20 units of a 640-wide chart are 10 px at 320 px.
        for svg in [
            nps_trend("d", "week", &weeks(12)),
            score_histogram("d", &SCORES),
            difference_forest("d", "D minus P", &reasons()),
            importance_performance("d", &aspects()),
        ] {
            let doc = roxmltree::Document::parse(&svg).expect("XML");
            for t in doc.descendants().filter(|n| n.has_tag_name("text")) {
                let size: f64 = t
                    .attribute("font-size")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0.0);
                assert!(size >= 20.0, "{size}");
            }
        }
    }

    fn luminance(c: RGBColor) -> f64 {
        let lin = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(c.0) + 0.7152 * lin(c.1) + 0.0722 * lin(c.2)
    }

    #[test]
    fn colours_contrast_with_white() {
        let contrast = |c| 1.05 / (luminance(c) + 0.05);
        for text in [INK, MUTED] {
            assert!(contrast(text) >= 4.5, "{text:?}: {}", contrast(text));
        }
        for mark in [ACCENT, DETRACTOR, PASSIVE, PROMOTER] {
            assert!(contrast(mark) >= 3.0, "{mark:?}: {}", contrast(mark));
        }
    }

    #[test]
    fn finish_replaces_the_root_and_keeps_the_body() {
        let svg = "<svg width=\"640\" height=\"100\" viewBox=\"0 0 640 100\" xmlns=\"http://www.w3.org/2000/svg\">\n<rect opacity=\"1\" fill=\"#FFFFFF\"/>\n</svg>\n";
        let out = finish(svg, "p-1", "A <b>", "x & y", (640, 100));
        assert_eq!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 640 100\" width=\"100%\" \
             role=\"img\" aria-labelledby=\"p-1-title p-1-desc\">\n<title id=\"p-1-title\">A \
             &lt;b&gt;</title>\n<desc id=\"p-1-desc\">x &amp; y</desc>\n<rect fill=\"#FFFFFF\"/>\n</svg>\n"
        );
    }

    /// `cargo test -p tenpoint-collector --lib charts::tests::preview
    /// -- --ignored` writes `target/chart-preview.html` with every chart, to look at in a
    /// browser at phone and desktop widths.
    #[test]
    #[ignore = "writes a preview page to look at"]
    fn preview() {
        let mut low = weeks(12);
        low[10].n = 9;
        let charts = [
            ("NPS by week", nps_trend("trend", "week", &low)),
            (
                "NPS by day, 200 days",
                nps_trend("days", "day", &weeks(200)),
            ),
            ("Scores", score_histogram("scores", &SCORES)),
            (
                "Reasons",
                difference_forest(
                    "reasons",
                    "Share among detractors minus share among promoters",
                    &reasons(),
                ),
            ),
            ("Aspects", importance_performance("aspects", &aspects())),
            ("Empty", score_histogram("empty", &[0; 11])),
        ];
        let head = "<!doctype html><meta charset=utf-8><meta name=viewport content=\"width=device-width\">\
             <style>body{margin:0;font:16px/1.5 system-ui,sans-serif}main{max-width:72rem;margin:0 auto;padding:1rem}</style><main>";
        let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
        let mut html = String::from(head);
        // Also one page per chart, to screenshot each on its own.
        for (i, (name, svg)) in charts.iter().enumerate() {
            let section = format!("<h2>{name} ({} bytes)</h2>{svg}", svg.len());
            html.push_str(&section);
            let one = target.join(format!("chart-preview-{i}.html"));
            std::fs::write(one, format!("{head}{section}</main>")).expect("write the preview");
        }
        html.push_str("</main>");
        let path = target.join("chart-preview.html");
        std::fs::write(&path, html).expect("write the preview");
        println!("{}", path.display());
    }
}
