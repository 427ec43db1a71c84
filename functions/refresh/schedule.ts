/** The part of an EventBridge scheduled event the scheduled functions read (the local timers send the same shape). */
export interface ScheduledEvent {
  readonly source: string;
  readonly 'detail-type': string;
  /** ISO-8601 time of the schedule tick. */
  readonly time: string;
}

export function isScheduledEvent(event: unknown): event is ScheduledEvent {
  if (typeof event !== 'object' || event === null) return false;
  const e = event as Record<string, unknown>;
  return typeof e.source === 'string' && typeof e['detail-type'] === 'string' && typeof e.time === 'string' && !Number.isNaN(Date.parse(e.time));
}

/** A scheduled event for a tick at `time` (what the local runtime's timers send). */
export function scheduledEvent(time: number): ScheduledEvent {
  return { source: 'aws.events', 'detail-type': 'Scheduled Event', time: new Date(time).toISOString() };
}
