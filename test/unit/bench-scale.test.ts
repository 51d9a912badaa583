/**
 * The scale bench's pure parts: several generated cities share one database under their own
 * project-id prefixes, and the results page shows each figure with its ratio and target.
 */
import { describe, expect, it } from 'vitest';
import { scaleHtml, withProjectPrefix } from '../../bench/scale';
import { generateCity } from '../../db/seed/city';

describe('bench/scale', () => {
  it('renames every top-level and planned sub-project id under the prefix, leaving the rest of the city as generated', () => {
    const city = generateCity({ seed: 3, projects: 300 });
    const renamed = withProjectPrefix(city, 'PS');
    const ids = (c: typeof city) => c.projects.flatMap((p) => [p.create.projectId, ...p.children.map((k) => k.id)]);
    expect(ids(renamed)).toHaveLength(300);
    expect(ids(renamed).every((id) => id.startsWith('PS-'))).toBe(true);
    expect(ids(renamed).map((id) => id.replace(/^PS-/, 'P-'))).toEqual(ids(city));
    expect(new Set([...ids(city), ...ids(renamed)]).size).toBe(600);
    expect(renamed.orgs).toEqual(city.orgs);
    expect(renamed.projects[0]!.create.proposal).toEqual(city.projects[0]!.create.proposal);
  });

  it('the results page lists each measured part with its ratio, and leaves out the parts a run did not reach', () => {
    const html = scaleHtml({
      measuredAt: '2026-12-01T22:00:00Z',
      cityLaunch: { launchStartsPerSecond: 20, baselineEmptyStartsPerSecond: 50, ratio: 0.4, topLevelWorkflows: 2442, workflowsCounted: 2442, projectionsCounted: 2442 },
      verification: { projectsPerSecond: 30, topLevelVerified: 2442, seconds: 81.4, failures: 0, replayWorkersMade: 2, ratioToLaunchRate: 1.5 },
      memory: { withCity: { rssMiB: 800, openWorkflows: 2442 } },
    });
    expect(html).toContain('city launch starts/s ÷ empty starts/s');
    expect(html).toContain('<b>0.4</b>');
    expect(html).toContain('audit projects/s ÷ launch starts/s');
    expect(html).toContain('<b>1.5</b>');
    expect(html).toContain('800 MiB with 2442 open');
    expect(html).not.toContain('province launch');
    expect(html).not.toContain('deadline storm');
  });
});
