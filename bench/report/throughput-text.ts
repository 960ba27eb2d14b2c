/**
 * The words that describe the throughput method, for the Method list and the Throughput section.
 * Results from before the continuous closed loop (`settings.durationMs`, one window per rung and
 * round) keep the words that describe how they were measured.
 */

/** Settings of a throughput result, either method. */
export type ThroughputSettings = {
  concurrencies: number[];
  rounds: number;
  warmupMs: number;
  /** Continuous closed loop: the shortest counted window. */
  windowMs?: number;
  /** Continuous closed loop: SDK windows per round. */
  sdkWindowsPerRound?: number;
  /** Continuous closed loop: rungs with more than one window per round. */
  focus?: string[];
  windowsPerRoundFocus?: number;
  /** Earlier method: one window per rung and round, after its own warm-up. */
  durationMs?: number;
};

const words = ['zero', 'one', 'two', 'three', 'four', 'five'];
const word = (count: number) => words[count] ?? String(count);

/** The Method list's throughput entry. */
export function throughputMethod(settings: ThroughputSettings | undefined): string {
  if (settings?.windowMs === undefined) {
    return `- **Throughput**: closed loop, c callers making plain calls back to back${settings === undefined ? '' : ` for ${settings.durationMs} ms after a ${settings.warmupMs} ms warm-up, ${settings.rounds} rounds, every rung once per round in a fresh random order`}; the calls that end inside the window count. Each rung's requests per second are divided by the SDK's of the same round; the figure is the median of those ratios with a sign-test interval, and the A/A control's ratio shows the spread of the method.`;
  }
  const sdkWindows = settings.sdkWindowsPerRound ?? 3;
  return `- **Throughput** (\`bench/lib/closed-loop.ts\`): closed loop, c callers making plain calls back to back without ever stopping, while the client they call changes from one short window to the next, so that connections stay open and compiled code stays warm. After each switch, counting waits until the previous client's calls have all ended (every call in flight is then the new client's) and c calls of the new client have ended (about one per caller: its connections are open, the loop is steady); the window then counts the calls that end inside it for ${settings.windowMs} ms, or three times the client's median latency when that is longer (a slow client's calls end in waves). Elapsed time and CPU time are read at the same two moments. Per concurrency: a discarded warm-up window per client, then ${settings.rounds} rounds; a round is one window of each client (${word(settings.windowsPerRoundFocus ?? 2)} of the A/A control and of the clients the targets are set for) in a fresh random order, with ${word(sdkWindows)} SDK windows at its start, middle and end. A client's requests per second over its windows of a round are divided by the SDK's over the SDK's windows of the same round, so that drift slower than a round (a few seconds) moves both alike and cancels; the figure is the Hodges–Lehmann estimate over rounds (the median of all pairwise means of the rounds' log-ratios) with its 95% interval from the exact Wilcoxon signed-rank distribution, which assumes only independent rounds whose log-ratios are symmetric about the centre (an A/A comparison's are by construction); on the same rounds it was about a third narrower than the sign test's interval. The A/A control, measured exactly like the others, shows the spread of the method. An earlier version ran one 1.2 s window per client and round for 8 rounds: the A/A control read ±40%, because requests per second in a window swing by ±20–30% on a shared 2-core machine (the event loop gets a varying share of a core), and 8 values give an interval from the smallest to the largest.`;
}

/** The paragraph under the Throughput heading. */
export function throughputIntro(settings: ThroughputSettings): string {
  const cpu =
    '"Per CPU-second" counts the calls completed per second of the client process\'s own CPU time (user + system, all threads) in the same windows: when other work shares the machine, req/s also measures the CPU share the process got, while calls per CPU-second measure the cost of a call under concurrency alone; its ratio to the SDK is shown the same way.';
  if (settings.windowMs === undefined) {
    return `Closed loop at c=${settings.concurrencies.join(' and c=')}; ${settings.rounds} rounds of ${settings.durationMs} ms windows, every client once per round in a random order. "vs SDK" is the median over rounds of the client's req/s divided by the SDK's in the same round, with its sign-test interval; req/s is the median over rounds. The A/A control row is the method's own spread. ${cpu}`;
  }
  return `Closed loop at c=${settings.concurrencies.join(' and c=')} that never stops between windows; ${settings.rounds} rounds per concurrency, each of short windows (${settings.windowMs} ms or more, see [Method](#method)) of every client in a random order between SDK windows. "vs SDK" is the client's req/s in a round divided by the SDK's in the same round, as a Hodges–Lehmann estimate over rounds with its Wilcoxon signed-rank interval; req/s is the median over rounds. The A/A control row is the method's own spread. ${cpu}`;
}
