#!/usr/bin/env node
/**
 * The `switchyard` executable. Everything happens in `runCli`; this file binds it to the process.
 */
import { runCli } from './cli/run-cli.ts';

const controller = new AbortController();
const stop = () => controller.abort();
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

process.exitCode = await runCli({
  argv: process.argv.slice(2),
  io: { stdout: process.stdout, stderr: process.stderr, env: process.env },
  signal: controller.signal,
});
process.off('SIGINT', stop);
process.off('SIGTERM', stop);
