/**
 * The committee figures (工委数据看板) as one printable HTML page with charts people read at a
 * glance — projects by stage and type, inspection ratings per quarter, rectification rate by
 * unit — drawn as inline SVG on the server, and the tables behind them. A rate with nothing to
 * count reads "—".
 */
import { chartFigure, ratingsPerQuarterChart, rectificationByUnitChart, stageChart, typeChart } from './charts';
import { chineseDate, chineseDateTime, escapeHtml } from './common';
import type { CommitteeFigures } from './figures';
import { htmlDocument, htmlTable } from './html';

export function committeeFiguresTitle(f: Pick<CommitteeFigures, 'year'>): string {
  return `${f.year}年度党建项目工委数据看板`;
}

/** The figures as a complete, self-contained, printable HTML document (Chinese). */
export function renderCommitteeFiguresHtml(f: CommitteeFigures): string {
  const e = escapeHtml;
  const t = f.totals;
  const title = committeeFiguresTitle(f);
  const b: string[] = [`<h1>${e(title)}</h1>`, `<p class="meta">年度周期：${e(f.cycleId)}　统计截至：${e(chineseDateTime(f.asOf))}（北京时间）</p>`];

  b.push('<section><h2>一、总体情况</h2>');
  const key: [string, string][] = [
    ['项目总数', String(t.projects)],
    ['书记项目', String(t.topLevel)],
    ['子项目（1+N）', String(t.subProjects)],
    ['重点项目', String(t.keyProjects)],
    ['整改问题', String(t.ledger.total)],
    ['已销号', String(t.ledger.closed)],
    ['整改率', t.ledger.rectificationRateText],
    ['逾期未销号', String(t.ledger.overdue)],
  ];
  b.push(`<ul class="figures">${key.map(([k, v]) => `<li><b>${e(v)}</b>${e(k)}</li>`).join('')}</ul>`);
  b.push(`<div class="charts">${chartFigure(stageChart(t.byStage, { width: 600, height: 280 }))}${chartFigure(typeChart(t.byType, { width: 360, height: 280 }))}</div>`);
  b.push('</section>');

  b.push('<section><h2>二、季度督查评价</h2>');
  b.push(chartFigure(ratingsPerQuarterChart(f.inspections)));
  b.push(
    htmlTable(
      ['季度', '材料截止', '应督查', '按期推进', '进度滞后', '停滞', '尚未评价'],
      f.inspections.map((q) => [e(q.quarterLabel), e(q.evidenceDeadline ? chineseDate(q.evidenceDeadline) : '—'), ...[q.due, q.onTrack, q.lagging, q.stalled, q.notRated].map(String)]),
      [2, 3, 4, 5, 6],
    ),
  );
  b.push('</section>');

  b.push('<section><h2>三、各单位整改情况</h2>');
  b.push(chartFigure(rectificationByUnitChart(f.byUnit.map((u) => ({ unitName: u.unitName, total: u.ledger.total, closed: u.ledger.closed, rate: u.ledger.rectificationRate })))));
  b.push(
    htmlTable(
      ['单位', '项目数', '问题总数', '已销号', '待整改', '已报整改', '逾期未销号', '整改率'],
      f.byUnit.map((u) => [e(u.unitName), ...[u.projects, u.ledger.total, u.ledger.closed, u.ledger.open, u.ledger.reported, u.ledger.overdue].map(String), e(u.ledger.rectificationRateText)]),
      [1, 2, 3, 4, 5, 6, 7],
    ),
  );
  if (f.overdueLedger.length > 0) {
    b.push('<h3>逾期未销号问题（提醒预警）</h3><ul>');
    for (const o of f.overdueLedger) {
      b.push(`<li><span class="warn">${e(o.responsibleOrgName)}</span>：${e(o.problem)}（${e(o.projectTitle)}，整改时限${e(chineseDateTime(o.deadline))}，${e(o.statusLabel)}）</li>`);
    }
    b.push('</ul>');
  } else {
    b.push('<p class="empty">无逾期未销号问题。</p>');
  }
  b.push('</section>');

  if (f.keyProjectShortfall.length > 0) {
    b.push('<section><h2>四、未按要求领办重点项目的书记</h2>');
    b.push(htmlTable(['书记', '党组织', '重点项目', '应领办'], f.keyProjectShortfall.map((k) => [e(k.secretaryName), e(k.orgNames.join('、')), String(k.keyProjects), String(k.required)]), [2, 3]));
    b.push('</section>');
  }
  b.push(`<footer>${e(title)} · 统计截至${e(chineseDateTime(f.asOf))}</footer>`);
  return htmlDocument(title, b.join('\n'));
}
