/**
 * The CLI's input and output for a test: writes to stdout and stderr are collected as text, the
 * environment is the one given. What `runCli({ argv, io })` needs, without a process.
 */

/** Collected output, and the `io` to pass to `runCli`. */
export function captureIo(env: Record<string, string | undefined>) {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: { write: (text: string) => (out.stdout += text) },
      stderr: { write: (text: string) => (out.stderr += text) },
      env,
    },
  };
}
