// Small inline-SVG plots, drawn here (no library): horizontal bars (one or two series),
// bars around zero, and a sparkline. Each returns an <svg> element with a <title> and
// <text> labels, so the figures are readable without the picture too.

const NS = "http://www.w3.org/2000/svg";

function el(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text != null) e.textContent = String(text);
  return e;
}

function frame(width, height, title) {
  const svg = el("svg", {viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img",
                         "aria-label": title, class: "plot"});
  svg.append(el("title", {}, title));
  return svg;
}

/** Bars for ``rows`` [{label, values: [v1, v2?]}]; ``format(v)`` writes a value; values
 * null are shown as "–". ``max`` fixes the scale (e.g. 1 for rates). */
export function barChart(rows, {title = "", format = (v) => String(v), max = null,
                                series = ["value"]} = {}) {
  const rowH = 18 * series.length + 8;
  const labelW = 96, valueW = 56, width = 340;
  const height = Math.max(rowH, rows.length * rowH) + 4;
  const svg = frame(width, height, title);
  const all = rows.flatMap((r) => r.values.filter((v) => v != null));
  const top = max ?? Math.max(1e-9, ...all);
  const plotW = width - labelW - valueW;
  rows.forEach((r, i) => {
    const y = i * rowH + 4;
    svg.append(el("text", {x: labelW - 6, y: y + rowH / 2, "text-anchor": "end",
                           "dominant-baseline": "middle", class: "label"}, r.label));
    r.values.forEach((v, j) => {
      const yy = y + j * 18;
      const w = v == null ? 0 : Math.max(1, (plotW * Math.min(v, top)) / top);
      svg.append(el("rect", {x: labelW, y: yy, width: w, height: 15, rx: 2,
                             class: `bar series-${j}`}));
      svg.append(el("text", {x: labelW + w + 4, y: yy + 8, "dominant-baseline": "middle",
                             class: "value"}, v == null ? "–" : format(v)));
    });
  });
  return svg;
}

/** Bars from a zero line for values in [-1, 1] (sentiment). */
export function divergingChart(rows, {title = ""} = {}) {
  const rowH = 24, labelW = 96, width = 340;
  const height = Math.max(rowH, rows.length * rowH) + 4;
  const svg = frame(width, height, title);
  const plotW = width - labelW - 50;
  const zero = labelW + plotW / 2;
  svg.append(el("line", {x1: zero, x2: zero, y1: 0, y2: height, class: "axis"}));
  rows.forEach((r, i) => {
    const y = i * rowH + 4;
    const v = r.value;
    svg.append(el("text", {x: labelW - 6, y: y + 8, "text-anchor": "end",
                           "dominant-baseline": "middle", class: "label"}, r.label));
    if (v == null) {
      svg.append(el("text", {x: zero + 4, y: y + 8, "dominant-baseline": "middle", class: "value"}, "–"));
      return;
    }
    const w = Math.max(1, (plotW / 2) * Math.min(1, Math.abs(v)));
    svg.append(el("rect", {x: v >= 0 ? zero : zero - w, y, width: w, height: 15, rx: 2,
                           class: v >= 0 ? "bar positive" : "bar negative"}));
    svg.append(el("text", {x: v >= 0 ? zero + w + 4 : zero + 4, y: y + 8,
                           "dominant-baseline": "middle", class: "value"}, v.toFixed(2)));
  });
  return svg;
}

/** A line of ``values`` (e.g. MOS over the call) between ``low`` and ``high``. */
export function sparkline(values, {low = 1, high = 4.5, width = 120, height = 28, title = ""} = {}) {
  const svg = frame(width, height, title);
  svg.setAttribute("width", String(width));
  if (values.length < 2) return svg;
  const x = (i) => (i * (width - 4)) / (values.length - 1) + 2;
  const y = (v) => height - 2 - ((Math.max(low, Math.min(high, v)) - low) * (height - 4)) / (high - low);
  const target = y(4.0);
  svg.append(el("line", {x1: 0, x2: width, y1: target, y2: target, class: "target"}));
  svg.append(el("polyline", {points: values.map((v, i) => `${x(i)},${y(v)}`).join(" "),
                             class: "spark", fill: "none"}));
  return svg;
}
