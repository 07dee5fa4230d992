import type { Registration } from '../functionsCore';
import { resolveAppSettings } from './appSettings';
import { Backoff } from './backoff';
import type { TriggerListener } from './types';
import { Lifetime } from './lifetime';
import type { ListenerContext } from './listenerContext';
import { parseTimerSchedule, type TimerSchedule } from './ncrontab';
import { NEVER, ScheduleMonitor, type ScheduleStatus } from './scheduleMonitor';
import { describeError } from './storageErrors';

interface Occurrence {
  isPastDue?: boolean;
  runOnStartup?: boolean;
  /** The missed occurrence a past-due run stands for. */
  originalSchedule?: Date;
}

/**
 * A `timerTrigger` function, following the real host's timer listener: one invocation at a time
 * (occurrences that pass during a long run collapse into one), `runOnStartup`, and with `useMonitor` (on
 * by default for schedules a minute apart or more) a persisted schedule status, so that an
 * occurrence missed while the host was down runs once on start with `isPastDue: true`.
 */
export class TimerTriggerListener implements TriggerListener {
  private readonly lifetime = new Lifetime();
  private readonly schedule: TimerSchedule;
  private readonly monitor: ScheduleMonitor | undefined;
  private readonly runOnStartup: boolean;
  private status: ScheduleStatus | undefined;

  constructor(
    private readonly reg: Registration,
    private readonly context: ListenerContext,
  ) {
    const { env } = context.deps;
    const expression = resolveAppSettings(String(reg.trigger.schedule ?? ''), env, 'The timer schedule');
    // Azure runs in UTC unless WEBSITE_TIME_ZONE says otherwise; `func start` uses the machine's zone.
    const tz = env.WEBSITE_TIME_ZONE?.trim() || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
    this.schedule = parseTimerSchedule(expression, tz);
    this.runOnStartup = reg.trigger.runOnStartup === true;
    const useMonitor = typeof reg.trigger.useMonitor === 'boolean' ? reg.trigger.useMonitor : this.intervalMs() >= 60_000;
    this.monitor = useMonitor ? new ScheduleMonitor(context.hosts, context.hostId, reg.name) : undefined;
    context.deps.log.debug(`Timer '${reg.name}': schedule '${this.schedule.description}' (${tz}), next ${this.schedule.next(new Date()).toISOString()}.`);
    this.lifetime.spawn(() => this.run());
  }

  async stop(): Promise<void> {
    await this.lifetime.stop();
  }

  /** Gap between the next two occurrences: how the real host picks the `useMonitor` default. */
  private intervalMs(): number {
    const first = this.schedule.next(new Date());
    return this.schedule.next(first).getTime() - first.getTime();
  }

  private async run(): Promise<void> {
    const now = new Date();
    let pastDue = false;
    if (this.monitor) {
      const errors = new Backoff(1000, 60_000);
      for (;;) {
        if (this.lifetime.stopping) return;
        try {
          const checked = await this.monitor.checkPastDue(now, this.schedule);
          this.status = checked.status;
          pastDue = checked.pastDue;
          break;
        } catch (err) {
          const wait = errors.next();
          this.context.deps.log.warn(`Timer '${this.reg.name}': reading its schedule status failed (${describeError(err)}); retrying in ${wait} ms.`);
          await this.lifetime.sleep(wait);
        }
      }
    }
    this.status ??= { next: this.schedule.next(now), lastUpdated: now };

    if (pastDue) await this.fire({ isPastDue: true, originalSchedule: this.status.next });
    else if (this.runOnStartup) await this.fire({ runOnStartup: true });

    while (!this.lifetime.stopping) {
      const wait = this.status.next.getTime() - Date.now();
      // Long waits wake up early (timer limits, clock changes) and look again.
      if (wait > 0) await this.lifetime.sleep(wait);
      else await this.fire({});
    }
  }

  private async fire(occurrence: Occurrence): Promise<void> {
    const status = this.status!;
    const invocationTime = new Date();
    const timer = {
      schedule: { adjustForDST: this.schedule.adjustForDST },
      // The real host sends no status when the schedule is not monitored.
      scheduleStatus: this.monitor
        ? { last: status.last?.toISOString() ?? NEVER, next: status.next.toISOString(), lastUpdated: status.lastUpdated.toISOString() }
        : null,
      isPastDue: occurrence.isPastDue === true,
    };
    try {
      await this.context.deps.invoker.invoke(this.reg, timer, {
        extraInputs: this.context.deps.extraInputsFor(this.reg),
        reason: `Timer fired at ${invocationTime.toISOString()}`,
      });
    } catch {
      // The Invoker has logged the failure; the schedule goes on, as in the real host.
    }
    // A timer that fired a little early counts as its scheduled occurrence, so that the same
    // occurrence is never recorded (and run) twice.
    const scheduled = !occurrence.isPastDue && !occurrence.runOnStartup && status.next > invocationTime ? status.next : invocationTime;
    this.status = {
      last: occurrence.originalSchedule ?? scheduled,
      next: this.schedule.next(scheduled),
      lastUpdated: scheduled,
    };
    if (!this.monitor) return;
    try {
      await this.monitor.write(this.status);
    } catch (err) {
      this.context.deps.log.warn(`Timer '${this.reg.name}': saving its schedule status failed (${describeError(err)}).`);
    }
  }
}
