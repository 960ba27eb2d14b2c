/**
 * The idle limit's watch on its own, with faked timers and clock: a wait that lasts the limit
 * aborts the attempt with a timeout; body activity restarts the wait; time outside a wait does
 * not count; the timer lapses when it fires with no wait in progress (a stream nobody reads
 * keeps no timer) and the next wait arms it again; a stopped watch never aborts. The same watch
 * through real HTTP is covered in stream-body.test.ts and real-failures.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PreCommitStreamError } from '../../src/router/attempt-errors.ts';
import { IdleWatch } from '../../src/router/idle-watch.ts';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

function watch(idleMs = 1000) {
  const controller = new AbortController();
  return { controller, idle: new IdleWatch(controller, idleMs, 'chunk') };
}

describe('IdleWatch', () => {
  it('aborts with a timeout once a wait lasts the limit, naming what did not come', () => {
    const { controller, idle } = watch();
    idle.begin();
    vi.advanceTimersByTime(999);
    expect(controller.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(controller.signal.reason).toBeInstanceOf(PreCommitStreamError);
    expect((controller.signal.reason as PreCommitStreamError).message).toBe('no chunk for 1000 ms');
    expect((controller.signal.reason as PreCommitStreamError).errorClass).toBe('timeout');
  });

  it('restarts the wait on body activity (an SSE comment line, say)', () => {
    const { controller, idle } = watch();
    idle.begin();
    vi.advanceTimersByTime(800);
    idle.touch();
    vi.advanceTimersByTime(800);
    expect(controller.signal.aborted).toBe(false);
    vi.advanceTimersByTime(200);
    expect(controller.signal.aborted).toBe(true);
  });

  it('does not count the time between waits (the caller busy with a chunk)', () => {
    const { controller, idle } = watch();
    idle.begin();
    vi.advanceTimersByTime(900);
    idle.end();
    vi.advanceTimersByTime(5000);
    expect(controller.signal.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    idle.begin();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(999);
    expect(controller.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(controller.signal.aborted).toBe(true);
  });

  it('keeps no timer before the first wait, and none once stopped', () => {
    const { controller, idle } = watch();
    expect(vi.getTimerCount()).toBe(0);
    idle.begin();
    idle.stop();
    expect(vi.getTimerCount()).toBe(0);
    idle.begin();
    vi.advanceTimersByTime(10_000);
    expect(controller.signal.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('its message can change with the phase of the stream', () => {
    const controller = new AbortController();
    const idle = new IdleWatch(controller, 500, 'data');
    idle.begin();
    idle.end();
    idle.what = 'chunk';
    idle.begin();
    vi.advanceTimersByTime(500);
    expect((controller.signal.reason as Error).message).toBe('no chunk for 500 ms');
  });
});
