import { describe, expect, it } from 'vitest';
import { describeSchedule } from '../../src/server/schedule-text.js';

describe('describeSchedule', () => {
  it('says daily and weekly schedules in words, in English and Japanese', () => {
    expect(describeSchedule('0 8 * * *', 'en', 'UTC')).toBe('daily at 08:00 (UTC)');
    expect(describeSchedule('30 7 * * 1', 'en-GB', 'Europe/Berlin')).toBe('every Monday at 07:30 (Europe/Berlin)');
    expect(describeSchedule('0 0 8 * * 7', 'en', 'UTC')).toBe('every Sunday at 08:00 (UTC)');
    expect(describeSchedule('5 9 * * *', 'ja', 'Asia/Tokyo')).toBe('毎日 09:05（Asia/Tokyo）に届きます');
    expect(describeSchedule('0 8 * * 5', 'ja-JP', 'Asia/Tokyo')).toBe('毎週金曜日 08:00（Asia/Tokyo）に届きます');
  });

  it('does not guess at anything less regular', () => {
    for (const cron of ['*/15 * * * *', '0 8 1 * *', '0 8,18 * * *', '0 8 * * 1-5', '*/2 * * * * *']) {
      expect(describeSchedule(cron, 'en', 'UTC'), cron).toBe('regularly');
      expect(describeSchedule(cron, 'ja', 'UTC'), cron).toBe('定期的に届きます');
    }
  });
});
