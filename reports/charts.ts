/**
 * Charts for the committee's reports, rendered on the server as inline SVG with ECharts'
 * server-side rendering (`ssr: true`, SVG renderer, no DOM), so a report stays one printable,
 * self-contained file: ratings per quarter (督查评价分布), rectification rate by unit (各单位整改率),
 * projects by stage and by type. Each builder takes the reports' own figures and answers an
 * `<svg>` string (text escaped by ECharts); the output is deterministic for the same input.
 */
import * as echarts from 'echarts/core';
import { BarChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TitleComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';
import type { CountItem, QuarterRatings } from './figures';

echarts.use([BarChart, PieChart, GridComponent, LegendComponent, TitleComponent, SVGRenderer]);

/** The reports' palette: party red first, then muted companions that print well in grey. */
export const CHART_COLORS = {
  on_track: '#2e7d32',
  lagging: '#e0a100',
  stalled: '#b5121b',
  not_rated: '#9e9e9e',
  series: ['#b5121b', '#d9822b', '#3a6ea5', '#5b8c5a', '#8e6c8a', '#6d6d6d', '#c9a227', '#2f8f9d', '#a15c38', '#4d4d80'],
} as const;

const FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif';

export interface ChartSize {
  width: number;
  height: number;
}

/** A rendered chart: the SVG and what it shows, for the figure's caption and accessible name. */
export interface Chart {
  id: string;
  title: string;
  svg: string;
}

/**
 * Renders one ECharts option to an SVG string. zrender numbers its instances and its class names
 * process-wide (`zr0-cls-0`, `zr1-cls-4`…); they are renamed per chart (`<id>-cls-0`…), so the same
 * figures give the same bytes whatever was rendered before, and several charts share one document.
 */
export function renderSvg(id: string, option: EChartsCoreOption, size: ChartSize): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: FONT }, color: [...CHART_COLORS.series], ...option });
    const names = new Map<string, string>();
    const counters = new Map<string, number>();
    return chart
      .renderToSVGString()
      .replace(/\bzr\d+-([A-Za-z]+)-\d+/g, (whole: string, kind: string) => {
        let name = names.get(whole);
        if (!name) {
          const n = counters.get(kind) ?? 0;
          counters.set(kind, n + 1);
          name = `${id}-${kind}-${n}`;
          names.set(whole, name);
        }
        return name;
      })
      .replace(/\bzr\d+-/g, `${id}-`)
      .replace('<svg ', `<svg role="img" aria-labelledby="${id}-title" `)
      .replace(/(<svg[^>]*>)/, `$1<title id="${id}-title">${escapeXml(String((option.title as { text?: string } | undefined)?.text ?? id))}</title>`);
  } finally {
    chart.dispose();
  }
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const title = (text: string) => ({ text, left: 'center', top: 4, textStyle: { fontSize: 15, fontWeight: 'bold' as const, fontFamily: FONT } });

// ---------------------------------------------------------------------------------------------
// The charts
// ---------------------------------------------------------------------------------------------

/** Inspection ratings per quarter (各季度督查评价分布): stacked bars of on track, lagging, stalled and not yet rated. */
export function ratingsPerQuarterChart(quarters: readonly QuarterRatings[], size: ChartSize = { width: 640, height: 320 }): Chart {
  const id = 'chart-ratings';
  const text = '各季度督查评价分布（项目数）';
  const series = (
    [
      ['onTrack', '按期推进', CHART_COLORS.on_track],
      ['lagging', '进度滞后', CHART_COLORS.lagging],
      ['stalled', '停滞', CHART_COLORS.stalled],
      ['notRated', '尚未评价', CHART_COLORS.not_rated],
    ] as const
  ).map(([key, name, color]) => ({
    type: 'bar',
    name,
    stack: 'ratings',
    barMaxWidth: 48,
    itemStyle: { color },
    label: { show: true, formatter: (p: { value: number }) => (p.value > 0 ? String(p.value) : ''), color: '#fff', fontSize: 11 },
    data: quarters.map((q) => q[key]),
  }));
  const option = {
    title: title(text),
    legend: { bottom: 0, textStyle: { fontFamily: FONT } },
    grid: { left: 48, right: 24, top: 44, bottom: 44 },
    xAxis: { type: 'category', data: quarters.map((q) => q.quarterLabel) },
    yAxis: { type: 'value', minInterval: 1 },
    series,
  };
  return { id, title: text, svg: renderSvg(id, option, size) };
}

/** One unit's rectification figures for the rate chart; `rate` is null when the unit has no entry. */
export interface UnitRate {
  unitName: string;
  total: number;
  closed: number;
  rate: number | null;
}

/**
 * Rectification rate by unit (各单位整改率): horizontal bars in percent, labelled with the rate and
 * closed/total; a unit with nothing to count has no bar and reads "—".
 */
export function rectificationByUnitChart(units: readonly UnitRate[], size?: ChartSize): Chart {
  const id = 'chart-rectification';
  const text = '各单位整改率';
  const height = size?.height ?? Math.max(160, 70 + units.length * 34);
  const width = size?.width ?? 640;
  const option = {
    title: title(text),
    grid: { left: 200, right: 130, top: 40, bottom: 28 },
    xAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } },
    yAxis: { type: 'category', inverse: true, data: units.map((u) => u.unitName), axisLabel: { width: 188, overflow: 'truncate' } },
    series: [
      {
        type: 'bar',
        barMaxWidth: 22,
        itemStyle: { color: CHART_COLORS.series[0] },
        label: {
          show: true,
          position: 'right',
          formatter: (p: { dataIndex: number }) => {
            const u = units[p.dataIndex];
            return u.rate === null ? '—（无整改问题）' : `${percent(u.rate)}（${u.closed}/${u.total}）`;
          },
        },
        // A unit without entries gets no visible bar (0 would read as a 0% rate), only its "—".
        data: units.map((u) => (u.rate === null ? { value: 0, itemStyle: { opacity: 0 } } : Math.round(u.rate * 10000) / 100)),
      },
    ],
  };
  return { id, title: text, svg: renderSvg(id, option, { width, height }) };
}

function percent(rate: number): string {
  const pct = Math.round(rate * 10000) / 100;
  return `${Number.isInteger(pct) ? pct.toFixed(0) : pct.toFixed(2)}%`;
}

/** Projects by stage (按阶段): a bar per stage that has projects, in lifecycle order. */
export function stageChart(byStage: readonly CountItem<string>[], size: ChartSize = { width: 640, height: 300 }): Chart {
  const id = 'chart-stages';
  const text = '项目按阶段分布';
  const shown = byStage.filter((s) => s.count > 0);
  const option = {
    title: title(text),
    grid: { left: 40, right: 16, top: 44, bottom: 56 },
    xAxis: { type: 'category', data: shown.map((s) => s.label), axisLabel: { interval: 0, rotate: shown.length > 6 ? 30 : 0 } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'bar', barMaxWidth: 40, label: { show: true, position: 'top' }, itemStyle: { color: CHART_COLORS.series[0] }, data: shown.map((s) => s.count) }],
  };
  return { id, title: text, svg: renderSvg(id, option, size) };
}

/** Projects by type (服务型/提升型/破题型): a ring with counts. */
export function typeChart(byType: readonly CountItem<string>[], size: ChartSize = { width: 420, height: 300 }): Chart {
  const id = 'chart-types';
  const text = '项目按类型分布';
  const option = {
    title: title(text),
    legend: { bottom: 0, textStyle: { fontFamily: FONT } },
    series: [
      {
        type: 'pie',
        radius: ['38%', '66%'],
        center: ['50%', '52%'],
        label: { formatter: '{b}\n{c}个' },
        data: byType.filter((t) => t.count > 0).map((t) => ({ name: t.label, value: t.count })),
      },
    ],
  };
  return { id, title: text, svg: renderSvg(id, option, size) };
}

/** A chart as a printable figure of the HTML reports. */
export function chartFigure(chart: Chart): string {
  return `<figure class="chart" id="${chart.id}">${chart.svg}</figure>`;
}
