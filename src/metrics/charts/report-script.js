// Draws the charts of a Strato metrics report (src/metrics/charts/html.ts)
// from the JSON in #strato-metrics: one SVG chart per tag, every run on the
// same axes. Inlined into the page; uses nothing from the network.
(() => {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const WIDTH = 640;
  const HEIGHT = 300;
  const MARGIN = { left: 64, right: 16, top: 12, bottom: 36 };
  const PLOT_WIDTH = WIDTH - MARGIN.left - MARGIN.right;
  const PLOT_HEIGHT = HEIGHT - MARGIN.top - MARGIN.bottom;
  /** Series with at most this many points also get a dot per point. */
  const DOTS_UP_TO = 100;

  const data = JSON.parse(document.getElementById('strato-metrics').textContent);
  const container = document.getElementById('charts');
  for (const chart of data.charts) container.append(drawChart(chart));
  document.body.dataset.chartsDrawn = String(container.querySelectorAll('figure.chart').length);

  function svg(name, attributes, parent) {
    const node = document.createElementNS(SVG_NS, name);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
    parent?.append(node);
    return node;
  }

  function format(value) {
    if (value === 0) return '0';
    const magnitude = Math.abs(value);
    if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(2);
    return String(Number(value.toPrecision(4)));
  }

  /** About `count` round tick values covering [min, max]. */
  function ticks(min, max, count) {
    const span = max - min;
    const rough = span / count;
    const power = 10 ** Math.floor(Math.log10(rough));
    const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? rough;
    const out = [];
    for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step)
      out.push(Number(t.toPrecision(12)));
    return out;
  }

  function boundsOf(runs) {
    let bounds;
    for (const run of runs) {
      for (const [step, value] of run.points) {
        if (value === null) continue;
        if (!bounds) bounds = { minStep: step, maxStep: step, minValue: value, maxValue: value };
        bounds.minStep = Math.min(bounds.minStep, step);
        bounds.maxStep = Math.max(bounds.maxStep, step);
        bounds.minValue = Math.min(bounds.minValue, value);
        bounds.maxValue = Math.max(bounds.maxValue, value);
      }
    }
    if (!bounds) return undefined;
    if (bounds.minStep === bounds.maxStep) {
      bounds.minStep -= 1;
      bounds.maxStep += 1;
    }
    if (bounds.minValue === bounds.maxValue) {
      const pad = Math.abs(bounds.minValue) * 0.5 || 1;
      bounds.minValue -= pad;
      bounds.maxValue += pad;
    }
    return bounds;
  }

  function drawChart(chart) {
    const figure = document.createElement('figure');
    figure.className = 'chart';
    figure.dataset.tag = chart.tag;
    const caption = document.createElement('figcaption');
    caption.textContent = chart.tag;
    figure.append(caption);
    const root = svg(
      'svg',
      { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': chart.tag },
      figure,
    );
    const bounds = boundsOf(chart.runs);
    if (!bounds) {
      svg(
        'text',
        { x: WIDTH / 2, y: HEIGHT / 2, 'text-anchor': 'middle', class: 'empty' },
        root,
      ).textContent = 'no finite values';
      return figure;
    }
    const x = (step) =>
      MARGIN.left + ((step - bounds.minStep) / (bounds.maxStep - bounds.minStep)) * PLOT_WIDTH;
    const y = (value) =>
      MARGIN.top + ((bounds.maxValue - value) / (bounds.maxValue - bounds.minValue)) * PLOT_HEIGHT;
    drawAxes(root, bounds, x, y, chart.axis);
    const legend = document.createElement('div');
    legend.className = 'legend';
    for (const run of chart.runs) {
      drawRun(root, run, x, y);
      const entry = document.createElement('span');
      entry.className = 'legend-entry';
      entry.dataset.run = run.run;
      entry.innerHTML = '<i></i>';
      entry.firstChild.style.background = run.color;
      entry.append(run.run || '(top level)');
      legend.append(entry);
    }
    figure.append(legend);
    addReadout(figure, root, chart, x);
    return figure;
  }

  function drawAxes(root, bounds, x, y, axis) {
    const axes = svg('g', { class: 'axes' }, root);
    for (const value of ticks(bounds.minValue, bounds.maxValue, 5)) {
      svg(
        'line',
        { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(value), y2: y(value), class: 'grid' },
        axes,
      );
      const label = svg('text', { x: MARGIN.left - 6, y: y(value) + 4, 'text-anchor': 'end' }, axes);
      label.textContent = format(value);
    }
    for (const step of ticks(bounds.minStep, bounds.maxStep, 6)) {
      if (!Number.isInteger(step)) continue;
      const label = svg(
        'text',
        { x: x(step), y: HEIGHT - MARGIN.bottom + 16, 'text-anchor': 'middle' },
        axes,
      );
      label.textContent = format(step);
    }
    svg(
      'text',
      { x: MARGIN.left + PLOT_WIDTH / 2, y: HEIGHT - 4, 'text-anchor': 'middle', class: 'axis-title' },
      axes,
    ).textContent = axis;
    svg(
      'rect',
      { x: MARGIN.left, y: MARGIN.top, width: PLOT_WIDTH, height: PLOT_HEIGHT, class: 'frame' },
      axes,
    );
  }

  function drawRun(root, run, x, y) {
    const group = svg('g', { class: 'run', 'data-run': run.run }, root);
    let d = '';
    let vertices = 0;
    let pen = 'M';
    for (const [step, value] of run.points) {
      if (value === null) {
        pen = 'M'; // A gap where the value was NaN or infinite.
        continue;
      }
      d += `${pen}${x(step).toFixed(2)},${y(value).toFixed(2)}`;
      pen = 'L';
      vertices += 1;
    }
    svg(
      'path',
      { d, stroke: run.color, class: 'series', 'data-run': run.run, 'data-vertices': vertices },
      group,
    );
    if (vertices <= DOTS_UP_TO) {
      for (const [step, value] of run.points) {
        if (value !== null)
          svg('circle', { cx: x(step), cy: y(value), r: 2.5, fill: run.color, class: 'dot' }, group);
      }
    }
  }

  /** Hovering shows, for the nearest step, each run's value there. */
  function addReadout(figure, root, chart, x) {
    const cursor = svg(
      'line',
      { y1: MARGIN.top, y2: HEIGHT - MARGIN.bottom, class: 'cursor', visibility: 'hidden' },
      root,
    );
    const readout = document.createElement('div');
    readout.className = 'readout';
    figure.append(readout);
    root.addEventListener('mousemove', (event) => {
      const box = root.getBoundingClientRect();
      const px = ((event.clientX - box.left) / box.width) * WIDTH;
      const parts = [];
      let nearestX;
      for (const run of chart.runs) {
        let best;
        for (const point of run.points) {
          if (point[1] !== null && (!best || Math.abs(x(point[0]) - px) < Math.abs(x(best[0]) - px)))
            best = point;
        }
        if (!best) continue;
        nearestX ??= x(best[0]);
        parts.push(`${run.run || '(top level)'}: ${chart.axis} ${best[0]} = ${format(best[1])}`);
      }
      if (nearestX === undefined) return;
      cursor.setAttribute('x1', nearestX);
      cursor.setAttribute('x2', nearestX);
      cursor.setAttribute('visibility', 'visible');
      readout.textContent = parts.join(' · ');
    });
  }
})();
