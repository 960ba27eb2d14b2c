/**
 * A YAML indentation slip moves a key one level up: `timeout: 10s` de-indented out of its alias
 * reads as an alias named `timeout`. The schema and the compile step then report a symptom
 * ("unknown target "10s""); this names the likely cause and the fix instead.
 */
import type { ConfigIssue } from '../errors.ts';

/** Keys of an alias: one of these directly under `models` is most likely mis-indented. */
const aliasKeys = new Set(['targets', 'retry', 'timeout', 'policy', 'options', 'params']);

/** Rewrites the message of issues on `models.<alias key>` to say what probably happened. */
export function explainMisplacedKeys<T extends Omit<ConfigIssue, 'line' | 'column'>>(
  issues: readonly T[],
): T[] {
  return issues.map((issue) => {
    const [section, name] = issue.path;
    if (issue.path.length !== 2 || section !== 'models' || typeof name !== 'string') return issue;
    if (!aliasKeys.has(name)) return issue;
    return {
      ...issue,
      message: `"${name}" is a setting of an alias, but here it sits directly under models, where it reads as an alias named "${name}" (${issue.message}); it is probably indented too little: indent it to the column of the other keys of the alias it belongs to`,
    };
  });
}
