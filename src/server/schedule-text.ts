/**
 * An honest line on how often the digest goes out, from its cron expression: "daily at 08:00",
 * "every Monday at 07:30", "毎日 8:00"; anything less regular is described as "regularly"
 * rather than guessed. Pure; `timeZone` is named as written in the config.
 */
const DAYS_EN = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const DAYS_JA = ['日曜日', '月曜日', '火曜日', '水曜日', '木曜日', '金曜日', '土曜日'];

export function describeSchedule(cron: string, language: string, timeZone: string): string {
  const ja = /^ja\b/i.test(language);
  const fields = cron.trim().split(/\s+/);
  const [minute, hour, dom, month, dow] = fields.length === 6 ? fields.slice(1) : fields;
  const simple = (v: string | undefined): v is string => v !== undefined && /^\d{1,2}$/.test(v);
  if (simple(minute) && simple(hour) && dom === '*' && month === '*') {
    const time = `${hour.padStart(2, '0')}:${minute.padStart(2, '0')}`;
    if (dow === '*') return ja ? `毎日 ${time}（${timeZone}）に届きます` : `daily at ${time} (${timeZone})`;
    if (dow !== undefined && /^[0-7]$/.test(dow)) {
      const day = Number(dow) % 7;
      return ja ? `毎週${DAYS_JA[day]} ${time}（${timeZone}）に届きます` : `every ${DAYS_EN[day]} at ${time} (${timeZone})`;
    }
  }
  return ja ? '定期的に届きます' : 'regularly';
}
