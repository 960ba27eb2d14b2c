/**
 * A router's calls in flight, and their deadlines, with one timer for all of them. A call joins
 * when it starts and leaves when it ends: a few pointer writes, where a timer of its own would
 * cost a `setTimeout` and a `clearTimeout` (and, for a lone call, a fresh timer list in Node)
 * on every call. `close()` and the router's own signal stop every call in the registry.
 *
 * Calls are kept in one list per total time, in the order they started: within a list the
 * deadlines come in order, so the earliest deadline of the whole router is the head of one of
 * a few lists. The timer is armed for that head and, when it fires, stops every call whose
 * deadline has passed and re-arms for the next head; a call that ended early is simply gone from
 * its list by then. A call whose deadline ends early (a stream at its commit point) stays where
 * it is, marked as having none ({@link CallRegistry.endDeadline}); the timer moves it to the
 * list of calls without a deadline when it reaches it. The timer is unreferenced: a call in
 * flight is kept alive by its request, and an idle router never holds the process open.
 */

/** A member of the registry: a call's deadline and where it is linked. */
export type Registered = {
  /**
   * `performance.now()` at which the call's deadline passes; Infinity when it has none (or no
   * longer has one: a stream past its commit point). Changed only while out of the registry, or
   * to Infinity through {@link CallRegistry.endDeadline}.
   */
  expiresAt: number;
  /** The call's total time, in ms (its list, with every call of the same total time). */
  readonly totalMs: number;
  /** Stops the call because its deadline passed. */
  expire(): void;
  /** Stops the call from outside (close, the router's signal) with `reason`. */
  abortWith(reason: unknown): void;
  previous: Registered | undefined;
  next: Registered | undefined;
  /** The list the member is in, or undefined once it left. */
  list: DeadlineList | undefined;
};

/** The members that share one total time, oldest first. */
type DeadlineList = { head: Registered | undefined; tail: Registered | undefined };

/** Options of {@link CallRegistry}. */
export type CallRegistryOptions = {
  /** Monotonic clock in ms. @default performance.now */
  now?: () => number;
};

/** The calls in flight of one router. */
export class CallRegistry {
  readonly #lists = new Map<number, DeadlineList>();
  readonly #now: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer fires (`#now()` time); Infinity when none is armed. */
  #timerAt = Number.POSITIVE_INFINITY;
  #size = 0;
  /** The list of the last call added, and its key: calls of one alias share it (no map lookup). */
  #lastKey = Number.NaN;
  #lastList: DeadlineList | undefined;

  constructor(options: CallRegistryOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
  }

  /** How many calls are in flight. */
  get size(): number {
    return this.#size;
  }

  /** Adds a call (at the end of its list); arms the timer when its deadline is the earliest. */
  add(member: Registered): void {
    // Calls without a deadline share a list of their own, which the timer never looks at.
    const key = member.expiresAt === Number.POSITIVE_INFINITY ? member.expiresAt : member.totalMs;
    let list = key === this.#lastKey ? this.#lastList : this.#lists.get(key);
    if (list === undefined) {
      list = { head: undefined, tail: undefined };
      this.#lists.set(key, list);
    }
    this.#lastKey = key;
    this.#lastList = list;
    member.list = list;
    member.previous = list.tail;
    member.next = undefined;
    if (list.tail === undefined) list.head = member;
    else list.tail.next = member;
    list.tail = member;
    this.#size += 1;
    if (member.expiresAt < this.#timerAt) this.#arm(member.expiresAt);
  }

  /** Removes a call; a call not in the registry is ignored. */
  delete(member: Registered): void {
    const list = member.list;
    if (list === undefined) return;
    if (member.previous === undefined) list.head = member.next;
    else member.previous.next = member.next;
    if (member.next === undefined) list.tail = member.previous;
    else member.next.previous = member.previous;
    member.list = undefined;
    member.previous = undefined;
    member.next = undefined;
    this.#size -= 1;
  }

  /**
   * Ends a call's deadline where it stands (a stream at its commit point): no move now; the
   * timer takes it to the calls without a deadline when it reaches it (close() still finds it).
   */
  endDeadline(member: Registered): void {
    member.expiresAt = Number.POSITIVE_INFINITY;
  }

  /** Every call in flight, as an array (stopping one removes it from the registry). */
  members(): Registered[] {
    const all: Registered[] = [];
    for (const list of this.#lists.values()) {
      for (let member = list.head; member !== undefined; member = member.next) all.push(member);
    }
    return all;
  }

  /** Stops every call in flight with `reason`. */
  abortAll(reason: unknown): void {
    for (const member of this.members()) member.abortWith(reason);
  }

  /** The timer fired: stops every call whose deadline passed, then re-arms for the next one. */
  check(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = this.#now();
    let next = Number.POSITIVE_INFINITY;
    for (const [key, list] of this.#lists) {
      if (key === Number.POSITIVE_INFINITY) continue;
      for (let member = list.head; member !== undefined; member = list.head) {
        if (member.expiresAt > now && member.expiresAt !== Number.POSITIVE_INFINITY) break;
        this.delete(member);
        // A call whose deadline ended joins the calls without one; a stopped call has nothing
        // left for close() to do: it leaves now.
        if (member.expiresAt === Number.POSITIVE_INFINITY) this.add(member);
        else member.expire();
      }
      if (list.head === undefined) {
        this.#lists.delete(key);
        if (this.#lastList === list) this.#lastKey = Number.NaN;
      } else if (list.head.expiresAt < next) next = list.head.expiresAt;
    }
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next);
  }

  #arm(at: number): void {
    if (at === Number.POSITIVE_INFINITY) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    // A timer can fire a little early; check() re-arms for what is left.
    this.#timer = setTimeout(checkRegistry, Math.max(0, at - this.#now()), this);
    this.#timer.unref?.();
  }
}

function checkRegistry(registry: CallRegistry): void {
  registry.check();
}
