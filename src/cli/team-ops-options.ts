/** The team-operations options (src/app/team-ops.ts) as the configuration sets them. */
import type { TeamOpsOptions } from '../app/team-ops.ts';
import type { Config } from '../config/config.ts';

/** Reminders after the first alert of a situation, at most. */
const MAX_REMINDERS = 3;

export function teamOpsOptions(config: Config): TeamOpsOptions {
  const t = config.teamOps;
  return {
    jobs: { limits: { minIntervalMs: t.addIntervalSeconds * 1000, maxPerDay: t.addsPerDay }, privacyFallback: t.privacyFallback },
    alerts: {
      fromAccountId: t.alertAccount,
      defaultChannels: t.alertChannels,
      perMinute: t.alertsPerMinute,
      rules: { mentionAfterMs: t.alertMentionMinutes * 60_000, reminderAfterMs: t.alertReminderMinutes * 60_000, maxReminders: MAX_REMINDERS },
    },
  };
}
