/**
 * The team-operations services in one place, so the daemon wires them with a few lines: the
 * roster, membership jobs, duty, alerts and admin activity (DESIGN.md §1 rows 16, 17, 20).
 *
 * Order matters at start: duty is loaded before the daemon restores the overdue clock and resets
 * what subscribers were told, so the team summary counts on-duty mentions by the schedules from
 * the first event on; the services that act in Telegram start after the accounts.
 */
import type { Kysely } from 'kysely';
import type { Logger } from '../shared/log.ts';
import type { Database } from '../store/schema.ts';
import type { TelegramAccount } from '../tdlib/port.ts';
import { AdminActivity } from './admin-activity.ts';
import { AlertService, type AlertOptions } from './alerts.ts';
import { DutyService } from './duty.ts';
import type { EventBus } from './event-bus.ts';
import { MembershipJobs, type MembershipJobsOptions } from './membership-jobs.ts';
import type { OverdueClock } from './overdue-clock.ts';
import { RosterService } from './roster.ts';
import type { TeamModel } from './team-model.ts';
import type { Writer } from './writer.ts';

export interface TeamOpsOptions {
  readonly jobs?: Partial<MembershipJobsOptions>;
  readonly alerts?: Partial<AlertOptions>;
  /** Notification changes in flight at once when duty mutes or restores an account's chats. */
  readonly dutyConcurrency?: number;
}

export interface TeamOpsDeps {
  readonly db: Kysely<Database>;
  readonly writer: Writer;
  readonly model: TeamModel;
  readonly clock: OverdueClock;
  readonly bus: EventBus;
  readonly accounts: ReadonlyMap<string, TelegramAccount>;
  readonly teamChatId: number | null;
  readonly now: () => number;
  readonly logger: Logger;
  readonly whenAccountReady: (accountId: string) => Promise<void>;
  readonly options?: TeamOpsOptions;
}

export class TeamOps {
  readonly roster: RosterService;
  readonly jobs: MembershipJobs;
  readonly duty: DutyService;
  readonly alerts: AlertService;
  readonly activity: AdminActivity;

  constructor(d: TeamOpsDeps) {
    const o = d.options ?? {};
    this.roster = new RosterService(d.writer, d.model, d.clock, d.now);
    this.jobs = new MembershipJobs({ db: d.db, writer: d.writer, model: d.model, accounts: d.accounts, now: d.now, logger: d.logger.child('jobs'), ...(o.jobs ? { options: o.jobs } : {}) });
    this.duty = new DutyService({
      db: d.db,
      writer: d.writer,
      model: d.model,
      accounts: d.accounts,
      now: d.now,
      logger: d.logger.child('duty'),
      whenAccountReady: d.whenAccountReady,
      subscribe: (listener) => d.bus.subscribe(listener),
      ...(o.dutyConcurrency ? { concurrency: o.dutyConcurrency } : {}),
    });
    this.alerts = new AlertService({
      db: d.db,
      writer: d.writer,
      model: d.model,
      bus: d.bus,
      accounts: d.accounts,
      duty: this.duty,
      teamChatId: d.teamChatId,
      now: d.now,
      logger: d.logger.child('alerts'),
      ...(o.alerts ? { options: o.alerts } : {}),
    });
    this.activity = new AdminActivity(d.db, d.model, this.duty, d.now);
  }

  /** Before the overdue clock is restored: duty decides who counts as on duty in the summary. */
  async load(): Promise<void> {
    await this.duty.load();
  }

  /** After the accounts started: duty catch-up, resumed jobs, alerts. */
  async start(): Promise<void> {
    this.duty.start();
    await this.jobs.start();
    await this.alerts.start();
  }

  async stop(): Promise<void> {
    await this.alerts.stop();
    await this.jobs.stop();
    await this.duty.stop();
  }

  /** Resolves when no job, duty switch or alert look is under way. */
  async whenIdle(): Promise<void> {
    await Promise.all([this.jobs.whenIdle(), this.duty.whenIdle(), this.alerts.whenIdle()]);
  }
}
