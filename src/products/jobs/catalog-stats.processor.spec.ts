import { parseConfig } from '../../config/config.js';
import { catalogStatsRepeat } from './catalog-stats.processor.js';

const base = {
  DATABASE_URL: 'postgres://u@localhost:5432/db',
  REDIS_URL: 'redis://localhost:6379',
};

describe('catalog stats schedule', () => {
  it('is nightly at 03:00 UTC by default; digits mean a period in milliseconds', () => {
    expect(catalogStatsRepeat(parseConfig(base).CATALOG_STATS_SCHEDULE)).toEqual({
      pattern: '0 3 * * *',
      tz: 'UTC',
    });
    expect(catalogStatsRepeat('60000')).toEqual({ every: 60_000 });
  });

  it('refuses at boot what is neither a cron pattern nor a period', () => {
    for (const bad of ['every day', '500']) {
      expect(() => parseConfig({ ...base, CATALOG_STATS_SCHEDULE: bad })).toThrow(
        /CATALOG_STATS_SCHEDULE must be a cron pattern/,
      );
    }
  });
});
