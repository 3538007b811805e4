//! The chart of a run: an SVG bar chart of each variant's ratio to the bare server of its
//! framework, per scenario (`untouched`, `read`, `rw`, `new`), ours beside the peers and the
//! floor, grouped per framework.
//!
//! Hand-written SVG text: no dependency, and the file is small enough to read. `bench-runner`
//! and `bench-paired` write one after their run (see [`super::Settings::out_dir`]);
//! `bench-chart` draws one from a markdown table (a saved run, or `BENCHMARKS.md`).

use std::fmt::Write as _;

use super::table::Row;
use super::PairedRow;
use crate::variant::{Framework, Layer, Scenario, Variant};

/// One bar: a variant's ratio to the bare server in one scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    /// The variant.
    pub variant: Variant,
    /// The scenario.
    pub scenario: Scenario,
    /// The ratio to the bare server of the same framework.
    pub ratio: f64,
    /// How far to trust it (the middle half of the pairs), drawn as a whisker.
    pub range: Option<(f64, f64)>,
}

/// A chart: a title and its bars. Bare servers and values that are not finite are left out
/// (the bare server is the dashed line at 1.00).
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// The line at the top.
    pub title: String,
    /// The bars, in any order: they are drawn per framework, scenario and layer.
    pub bars: Vec<Bar>,
}

/// The layers drawn, in their order within a scenario, with their legend label and colour.
const SERIES: [(Layer, &str, &str); 10] = [
    (Layer::OursMemory, "ours, memory", "#1f77b4"),
    (Layer::OursMetrics, "ours, memory, metrics", "#6baed6"),
    (Layer::OursRedis, "ours, Redis", "#9ecae1"),
    (Layer::OursRedisClient, "ours, Redis (redis-rs)", "#c6dbef"),
    (Layer::OursRedisCached, "ours, Redis, cached", "#08519c"),
    (
        Layer::TowerSessionsMemory,
        "tower-sessions, memory",
        "#e6550d",
    ),
    (
        Layer::TowerSessionsRedis,
        "tower-sessions, Redis",
        "#fdae6b",
    ),
    (
        Layer::ActixSessionCookie,
        "actix-session, cookie",
        "#31a354",
    ),
    (Layer::ActixSessionRedis, "actix-session, Redis", "#a1d99b"),
    (Layer::Floor, "floor", "#636363"),
];

/// The framework's name as its users write it.
fn framework_label(f: Framework) -> &'static str {
    match f {
        Framework::Axum => "axum",
        Framework::Actix => "actix-web",
        Framework::Rocket => "Rocket",
        Framework::Warp => "warp",
        Framework::Poem => "poem",
        Framework::Salvo => "salvo",
    }
}

/// The scenario called `name` in the tables.
fn scenario_named(name: &str) -> Option<Scenario> {
    Scenario::WITH_SESSION
        .into_iter()
        .chain([Scenario::Bare])
        .find(|s| s.name() == name)
}

/// `&`, `<`, `>` and `"` escaped for SVG text and attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

// Geometry, in SVG user units (pixels).
const BAR_W: f64 = 24.0;
const BAR_GAP: f64 = 2.0;
const GROUP_GAP: f64 = 14.0;
const FRAMEWORK_GAP: f64 = 34.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 16.0;
const PLOT_H: f64 = 280.0;

impl Chart {
    /// The chart of the interleaved rounds' table (`bench-runner`): median ratios.
    pub fn from_rows(title: impl Into<String>, rows: &[Row]) -> Self {
        let bars = rows
            .iter()
            .filter_map(|r| {
                r.ratio.map(|ratio| Bar {
                    variant: r.variant,
                    scenario: r.scenario,
                    ratio,
                    range: None,
                })
            })
            .collect();
        Self::new(title, bars)
    }

    /// The chart of a paired run (`bench-paired`): median ratios with their middle half.
    pub fn from_paired(title: impl Into<String>, rows: &[PairedRow]) -> Self {
        let bars = rows
            .iter()
            .map(|r| Bar {
                variant: r.variant,
                scenario: r.scenario,
                ratio: r.ratio(),
                range: Some(r.middle_half()),
            })
            .collect();
        Self::new(title, bars)
    }

    /// The chart of the first markdown table in `markdown` that has a column headed
    /// `column`: each row whose first cell names a variant and second a scenario gives a bar
    /// (the first such row wins when a variant's scenario comes twice). The column headed
    /// `range_column` in the same table, if any, gives the whiskers (cells such as
    /// `0.70-0.75`, as `bench-paired` prints its middle halves).
    ///
    /// ```
    /// use session_bench::runner::Chart;
    /// let md = "| variant | scenario | ratio |\n|---|---|---:|\n\
    ///           | ours-axum-memory | read | 0.71 |\n| floor-axum | read | 0.87 |\n";
    /// let chart = Chart::from_markdown("t", md, "ratio", None);
    /// assert_eq!(chart.bars.len(), 2);
    /// assert_eq!(chart.bars[0].ratio, 0.71);
    /// ```
    pub fn from_markdown(
        title: impl Into<String>,
        markdown: &str,
        column: &str,
        range_column: Option<&str>,
    ) -> Self {
        fn cells(line: &str) -> Option<Vec<String>> {
            let line = line.trim();
            let inner = line.strip_prefix('|')?;
            let inner = inner.strip_suffix('|').unwrap_or(inner);
            Some(
                inner
                    .split('|')
                    .map(|c| c.trim().trim_matches('`').trim_matches('*').to_owned())
                    .collect(),
            )
        }
        fn separator(cells: &[String]) -> bool {
            cells
                .iter()
                .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
        }
        let lines: Vec<&str> = markdown.lines().collect();
        let mut bars: Vec<Bar> = Vec::new();
        // (column of the ratio, column of the middle half) of the table being read.
        let mut columns: Option<(usize, Option<usize>)> = None;
        let mut found = false;
        for (i, line) in lines.iter().enumerate() {
            let Some(row) = cells(line) else {
                if columns.is_some() {
                    found = true;
                }
                columns = None;
                continue;
            };
            if found {
                break;
            }
            if separator(&row) {
                continue;
            }
            let next_is_separator = lines
                .get(i + 1)
                .and_then(|l| cells(l))
                .is_some_and(|c| separator(&c));
            if next_is_separator {
                columns = row.iter().position(|c| c == column).map(|at| {
                    let range = range_column.and_then(|r| row.iter().position(|c| c == r));
                    (at, range)
                });
                continue;
            }
            let Some((at, range_at)) = columns else {
                continue;
            };
            let (Some(variant), Some(scenario)) = (
                row.first().and_then(|c| Variant::named(c)),
                row.get(1).and_then(|c| scenario_named(c)),
            ) else {
                continue;
            };
            let Some(ratio) = row.get(at).and_then(|c| c.parse::<f64>().ok()) else {
                continue;
            };
            let range = range_at.and_then(|r| row.get(r)).and_then(|c| {
                let (low, high) = c.split_once('-')?;
                Some((low.trim().parse().ok()?, high.trim().parse().ok()?))
            });
            if !bars
                .iter()
                .any(|b| b.variant == variant && b.scenario == scenario)
            {
                bars.push(Bar {
                    variant,
                    scenario,
                    ratio,
                    range,
                });
            }
        }
        Self::new(title, bars)
    }

    fn new(title: impl Into<String>, bars: Vec<Bar>) -> Self {
        let bars = bars
            .into_iter()
            .filter(|b| b.variant.layer != Layer::Bare && b.ratio.is_finite())
            .map(|b| Bar {
                range: b.range.filter(|(l, h)| l.is_finite() && h.is_finite()),
                ..b
            })
            .collect();
        Self {
            title: title.into(),
            bars,
        }
    }

    /// The bars of framework `f` in scenario `s`, in the order of the legend.
    fn group(&self, f: Framework, s: Scenario) -> Vec<&Bar> {
        SERIES
            .iter()
            .filter_map(|(layer, ..)| {
                self.bars.iter().find(|b| {
                    b.variant.framework == f && b.variant.layer == *layer && b.scenario == s
                })
            })
            .collect()
    }

    /// The SVG document: one `<rect class="bar">` per bar, its value above it, the middle
    /// half as a whisker where known, a dashed line at 1.00 (the bare server), the
    /// scenarios and frameworks under the bars and a legend of the layers drawn.
    ///
    /// ```
    /// use session_bench::runner::{Bar, Chart};
    /// use session_bench::{Scenario, Variant};
    /// let chart = Chart {
    ///     title: "ratio to bare".into(),
    ///     bars: vec![Bar {
    ///         variant: Variant::named("ours-warp-memory").unwrap(),
    ///         scenario: Scenario::Rw,
    ///         ratio: 0.65,
    ///         range: None,
    ///     }],
    /// };
    /// let svg = chart.render();
    /// assert!(svg.starts_with("<svg") && svg.contains(">0.65</text>"));
    /// ```
    pub fn render(&self) -> String {
        // Horizontal layout: frameworks left to right, scenarios within, bars within.
        let mut groups = Vec::new(); // (scenario, x of the first bar, bars)
        let mut frameworks = Vec::new(); // (framework, x from, x to)
        let mut x = LEFT + 12.0;
        for f in Framework::ALL {
            let start = x;
            for s in Scenario::WITH_SESSION {
                let bars = self.group(f, s);
                if bars.is_empty() {
                    continue;
                }
                // Wide enough for the scenario's name under it; the bars centred in it.
                let bars_width = bars.len() as f64 * (BAR_W + BAR_GAP) - BAR_GAP;
                let width = bars_width.max(s.name().len() as f64 * 6.5 + 6.0);
                groups.push((s, x + (width - bars_width) / 2.0, bars));
                x += width + GROUP_GAP;
            }
            if x > start {
                frameworks.push((f, start, x - GROUP_GAP));
                x += FRAMEWORK_GAP - GROUP_GAP;
            }
        }
        let plot_right = (x - FRAMEWORK_GAP + 12.0).max(LEFT + 200.0);
        let width = (plot_right + RIGHT).max(520.0);

        // The legend: the layers drawn, wrapped to the width.
        let drawn: Vec<&(Layer, &str, &str)> = SERIES
            .iter()
            .filter(|(layer, ..)| self.bars.iter().any(|b| b.variant.layer == *layer))
            .collect();
        let mut legend = String::new();
        let (mut lx, mut ly) = (LEFT, 48.0);
        for (_, label, colour) in &drawn {
            let item = 18.0 + label.len() as f64 * 6.5 + 18.0;
            if lx + item > width - RIGHT && lx > LEFT {
                lx = LEFT;
                ly += 18.0;
            }
            let _ = writeln!(
                legend,
                r#"<rect class="swatch" x="{lx:.1}" y="{:.1}" width="12" height="12" fill="{colour}"/><text class="legend" x="{:.1}" y="{ly:.1}">{}</text>"#,
                ly - 10.0,
                lx + 17.0,
                escape(label)
            );
            lx += item;
        }
        let top = ly + 22.0;
        let bottom = top + PLOT_H;
        let height = bottom + 50.0;

        let high = self
            .bars
            .iter()
            .map(|b| b.range.map_or(b.ratio, |(_, h)| h.max(b.ratio)))
            .fold(1.2_f64, f64::max);
        // Room above the highest bar for its value; the axis ends on a multiple of 0.2.
        let y_max = ((high + 0.1) / 0.2).ceil() * 0.2;
        let y = |v: f64| bottom - v.max(0.0) / y_max * PLOT_H;

        let mut out = format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="11">
<rect class="background" x="0" y="0" width="{width:.0}" height="{height:.0}" fill="#ffffff"/>
<text class="title" x="{LEFT:.1}" y="22" font-size="14" font-weight="bold">{}</text>
"##,
            escape(&self.title)
        );
        out.push_str(&legend);

        // Grid and axis labels every 0.2.
        let steps = (y_max / 0.2).round() as usize;
        for i in 0..=steps {
            let v = i as f64 * 0.2;
            let _ = writeln!(
                out,
                r##"<line class="grid" x1="{LEFT:.1}" y1="{0:.1}" x2="{plot_right:.1}" y2="{0:.1}" stroke="#e0e0e0"/><text class="axis" x="{1:.1}" y="{2:.1}" text-anchor="end">{v:.1}</text>"##,
                y(v),
                LEFT - 6.0,
                y(v) + 4.0
            );
        }
        let _ = writeln!(
            out,
            r##"<text class="axis" transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle">ratio to bare (higher is better)</text>"##,
            (top + bottom) / 2.0
        );

        for (s, x0, bars) in &groups {
            for (i, bar) in bars.iter().enumerate() {
                let colour = SERIES
                    .iter()
                    .find(|(layer, ..)| *layer == bar.variant.layer)
                    .map_or("#000000", |(.., c)| c);
                let bx = x0 + i as f64 * (BAR_W + BAR_GAP);
                let centre = bx + BAR_W / 2.0;
                let range = bar
                    .range
                    .map(|(l, h)| format!(" (middle half {l:.2}-{h:.2})"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    r#"<rect class="bar" x="{bx:.1}" y="{:.1}" width="{BAR_W:.1}" height="{:.1}" fill="{colour}"><title>{} {}: {:.2}{range}</title></rect>"#,
                    y(bar.ratio),
                    bottom - y(bar.ratio),
                    escape(bar.variant.name),
                    s.name(),
                    bar.ratio
                );
                let mut label_at = y(bar.ratio);
                if let Some((low, high)) = bar.range {
                    let _ = writeln!(
                        out,
                        r##"<path class="range" d="M{centre:.1} {:.1}V{:.1}M{:.1} {:.1}h8M{:.1} {:.1}h8" stroke="#333333" fill="none"/>"##,
                        y(low),
                        y(high),
                        centre - 4.0,
                        y(low),
                        centre - 4.0,
                        y(high)
                    );
                    label_at = label_at.min(y(high));
                }
                let _ = writeln!(
                    out,
                    r#"<text class="value" x="{centre:.1}" y="{:.1}" text-anchor="middle" font-size="9">{:.2}</text>"#,
                    label_at - 3.0,
                    bar.ratio
                );
            }
            let group_width = bars.len() as f64 * (BAR_W + BAR_GAP) - BAR_GAP;
            let _ = writeln!(
                out,
                r#"<text class="scenario" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x0 + group_width / 2.0,
                bottom + 15.0,
                s.name()
            );
        }
        for (f, from, to) in &frameworks {
            let _ = writeln!(
                out,
                r##"<line class="framework-rule" x1="{from:.1}" y1="{0:.1}" x2="{to:.1}" y2="{0:.1}" stroke="#999999"/><text class="framework" x="{1:.1}" y="{2:.1}" text-anchor="middle" font-weight="bold">{3}</text>"##,
                bottom + 22.0,
                (from + to) / 2.0,
                bottom + 38.0,
                framework_label(*f)
            );
        }
        // The bare server, over the bars so that it shows where a bar crosses it.
        let _ = writeln!(
            out,
            r##"<line class="bare" x1="{LEFT:.1}" y1="{0:.1}" x2="{plot_right:.1}" y2="{0:.1}" stroke="#000000" stroke-dasharray="5 3"/><text class="axis" x="{1:.1}" y="{2:.1}" text-anchor="end">bare = 1.00</text>"##,
            y(1.0),
            plot_right,
            y(1.0) - 4.0
        );
        let _ = writeln!(
            out,
            r##"<line class="axis" x1="{LEFT:.1}" y1="{bottom:.1}" x2="{plot_right:.1}" y2="{bottom:.1}" stroke="#000000"/>"##
        );
        out.push_str("</svg>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(name: &str, scenario: &str, ratio: f64) -> Bar {
        Bar {
            variant: Variant::named(name).expect("a known variant"),
            scenario: scenario_named(scenario).expect("a known scenario"),
            ratio,
            range: Some((ratio - 0.03, ratio + 0.02)),
        }
    }

    /// A small fixed table: ours, both peers and the floor on axum and actix-web, ours alone
    /// on warp.
    fn fixed() -> Chart {
        Chart::new(
            "ratio to bare <paired>",
            vec![
                bar("ours-axum-memory", "untouched", 0.98),
                bar("ours-axum-memory", "read", 0.71),
                bar("ours-axum-redis", "read", 0.66),
                bar("towersessions-memory", "read", 0.74),
                bar("towersessions-redis", "read", 0.61),
                bar("floor-axum", "read", 0.87),
                bar("floor-axum", "new", 0.80),
                bar("ours-actix-memory", "rw", 0.76),
                bar("actixsession-cookie", "rw", 0.57),
                bar("actixsession-redis", "rw", 0.26),
                bar("ours-warp-memory", "new", 0.69),
                // Left out: the bare server is the line at 1.00, NaN has no bar.
                bar("bare-axum", "bare", 1.02),
                bar("ours-warp-memory", "rw", f64::NAN),
            ],
        )
    }

    /// Every tag closed in order, `<svg` first and `</svg>` last: well-formed enough for a
    /// browser, without an XML parser.
    fn check_tags(svg: &str) {
        let mut open: Vec<&str> = Vec::new();
        let mut rest = svg;
        while let Some(at) = rest.find('<') {
            let end = rest[at..].find('>').expect("every tag ends") + at;
            let tag = &rest[at + 1..end];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(open.pop(), Some(name), "closing {name}");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().expect("a tag name");
                open.push(name);
            }
            rest = &rest[end + 1..];
            if open.is_empty() {
                assert!(rest.trim().is_empty(), "text after </svg>: {rest}");
            }
        }
        assert!(open.is_empty(), "left open: {open:?}");
    }

    #[test]
    fn renders_one_bar_per_value_with_its_labels() {
        let chart = fixed();
        assert_eq!(chart.bars.len(), 11, "bare and NaN left out");
        let svg = chart.render();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>\n"));
        check_tags(&svg);
        assert_eq!(svg.matches(r#"<rect class="bar""#).count(), 11, "{svg}");
        assert_eq!(svg.matches(r#"<path class="range""#).count(), 11);
        assert_eq!(svg.matches(r#"<text class="value""#).count(), 11);
        for value in [
            "0.98", "0.71", "0.66", "0.74", "0.61", "0.87", "0.80", "0.76", "0.57",
        ] {
            assert!(svg.contains(&format!(">{value}</text>")), "{value}");
        }
        assert!(svg.contains(">0.26</text>") && svg.contains(">0.69</text>"));
        // Titles are escaped.
        assert!(svg.contains("ratio to bare &lt;paired&gt;"));
        // Frameworks drawn, Rocket (no bars) not.
        for f in ["axum", "actix-web", "warp"] {
            assert!(
                svg.contains(&format!(r#"font-weight="bold">{f}</text>"#)),
                "{f}"
            );
        }
        assert!(!svg.contains(">Rocket</text>"));
        // Scenario labels: one per group with bars (axum untouched, read, new; actix rw;
        // warp new).
        assert_eq!(svg.matches(r#"<text class="scenario""#).count(), 5);
        for s in ["untouched", "read", "rw", "new"] {
            assert!(
                svg.contains(&format!(r#"text-anchor="middle">{s}</text>"#)),
                "{s}"
            );
        }
        // A legend entry for each layer drawn.
        assert_eq!(svg.matches(r#"<rect class="swatch""#).count(), 7);
        for label in [
            "ours, memory",
            "ours, Redis",
            "tower-sessions, memory",
            "tower-sessions, Redis",
            "actix-session, cookie",
            "actix-session, Redis",
            "floor",
        ] {
            assert!(svg.contains(&format!(">{label}</text>")), "{label}");
        }
        assert!(svg.contains(">bare = 1.00</text>"));
    }

    #[test]
    fn bars_within_a_scenario_follow_the_legend_and_scale_with_the_ratio() {
        let svg = fixed().render();
        // axum `read`: ours memory, ours Redis, tower-sessions memory and Redis, the floor.
        let order: Vec<usize> = [
            "ours-axum-memory read",
            "ours-axum-redis read",
            "towersessions-memory read",
            "towersessions-redis read",
            "floor-axum read",
        ]
        .iter()
        .map(|t| svg.find(&format!("<title>{t}:")).expect(t))
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        // Heights are proportional to the ratios.
        let height = |title: &str| -> f64 {
            let at = svg.find(&format!("<title>{title}:")).expect(title);
            let tag = &svg[svg[..at].rfind("<rect").expect("its rect")..at];
            let h = tag.split("height=\"").nth(1).expect("a height");
            h[..h.find('"').expect("quoted")].parse().expect("a number")
        };
        let (floor, ours) = (height("floor-axum read"), height("ours-axum-memory read"));
        assert!((floor / ours - 0.87 / 0.71).abs() < 0.01, "{floor} {ours}");
    }

    #[test]
    fn reads_the_paired_column_of_a_markdown_table() {
        let md = "\
Some text.

| variant | scenario | ratio to bare (median of rounds) | ratio to bare (median of pairs) | middle half of the pairs |
|---|---|---:|---:|---|
| bare-axum | bare | 1.00 | 0.98 | 0.90-1.09 |
| `ours-axum-memory` | read | 0.78 | **0.71** | 0.70-0.75 |
| ours-axum-redis | rw | 0.41 | 0.40 | 0.37-0.41 |
| not-a-variant | read | 0.50 | 0.50 | 0.50-0.50 |
| floor-axum | read | 0.91 | - | - |

| variant | scenario | ratio to bare (median of pairs) |
|---|---|---:|
| ours-warp-memory | read | 0.69 |
";
        let chart = Chart::from_markdown(
            "t",
            md,
            "ratio to bare (median of pairs)",
            Some("middle half of the pairs"),
        );
        assert_eq!(chart.bars.len(), 2, "{chart:?}");
        assert_eq!(chart.bars[0].variant.name, "ours-axum-memory");
        assert_eq!(chart.bars[0].scenario, Scenario::Read);
        assert_eq!(chart.bars[0].ratio, 0.71);
        assert_eq!(chart.bars[0].range, Some((0.70, 0.75)));
        assert_eq!(chart.bars[1].range, Some((0.37, 0.41)));
        let rounds = Chart::from_markdown("t", md, "ratio to bare (median of rounds)", None);
        assert_eq!(rounds.bars.len(), 3);
        assert_eq!(rounds.bars[2].variant.name, "floor-axum");
        assert!(rounds.bars.iter().all(|b| b.range.is_none()));
        assert!(Chart::from_markdown("t", md, "no such column", None)
            .bars
            .is_empty());
    }

    #[test]
    fn an_empty_chart_is_still_a_document() {
        let svg = Chart::new("nothing", Vec::new()).render();
        check_tags(&svg);
        assert!(svg.starts_with("<svg") && !svg.contains(r#"class="bar""#));
    }
}
