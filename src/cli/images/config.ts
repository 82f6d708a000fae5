// Kconfig fragments (Linux and BusyBox use the same .config syntax):
// parsing, applying one to a full .config, and checking that a generated
// .config really contains every line of a fragment.

/** A symbol's value: the text after '=' (y, m, a number, a quoted string), or null for "is not set". */
export type ConfigValue = string | null;

const SET = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/;
const UNSET = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/;

/**
 * Parses a fragment: `CONFIG_X=value` and `# CONFIG_X is not set` lines;
 * other comments and blank lines are ignored. Anything else (a typo such as
 * `CONFIG_X = y` or `CONFIG_X=n`) is an error with its line number, as is a
 * symbol given twice.
 */
export function parseConfigFragment(text: string, name = 'config fragment'): Map<string, ConfigValue> {
  const out = new Map<string, ConfigValue>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const where = `${name}:${i + 1}`;
    let sym: string;
    let value: ConfigValue;
    const set = SET.exec(line);
    const unset = UNSET.exec(line);
    if (set) {
      [, sym, value] = set;
      if (value === 'n') throw new Error(`${where}: write '# ${sym} is not set', not '${sym}=n'`);
      if (value === '') throw new Error(`${where}: ${sym} has no value`);
    } else if (unset) {
      [, sym] = unset;
      value = null;
    } else if (line === '' || line.startsWith('#')) {
      return;
    } else {
      throw new Error(`${where}: not a Kconfig line: '${line}'`);
    }
    if (out.has(sym)) throw new Error(`${where}: ${sym} is given twice`);
    out.set(sym, value);
  });
  return out;
}

/** Reads a full .config into the same form (every symbol it mentions). */
export function parseDotConfig(text: string): Map<string, ConfigValue> {
  const out = new Map<string, ConfigValue>();
  for (const raw of text.split('\n')) {
    const set = SET.exec(raw);
    const unset = UNSET.exec(raw);
    if (set) out.set(set[1], set[2]);
    else if (unset) out.set(unset[1], null);
  }
  return out;
}

const lineFor = (sym: string, value: ConfigValue): string => (value === null ? `# ${sym} is not set` : `${sym}=${value}`);

/**
 * Applies a fragment to a full .config: each symbol's line is replaced in
 * place, or appended when the .config does not mention it. (Kconfig's
 * olddefconfig/oldconfig must run afterwards to settle dependencies.)
 */
export function applyConfigFragment(dotConfig: string, fragment: Map<string, ConfigValue>): string {
  const pending = new Map(fragment);
  const lines = dotConfig.split('\n').map((raw) => {
    const m = SET.exec(raw) ?? UNSET.exec(raw);
    if (!m || !pending.has(m[1])) return raw;
    const v = pending.get(m[1]) as ConfigValue;
    pending.delete(m[1]);
    return lineFor(m[1], v);
  });
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (const [sym, v] of pending) lines.push(lineFor(sym, v));
  return lines.join('\n') + '\n';
}

/**
 * The fragment lines that the final .config does not honour, e.g. an option
 * whose dependencies are not met (Kconfig drops it without an error). A
 * symbol that is "not set" in the fragment is honoured when it is absent.
 */
export function configMismatches(fragment: Map<string, ConfigValue>, dotConfig: Map<string, ConfigValue>): string[] {
  const bad: string[] = [];
  for (const [sym, want] of fragment) {
    const got = dotConfig.has(sym) ? (dotConfig.get(sym) as ConfigValue) : null;
    if (got !== want) bad.push(`${lineFor(sym, want)} (got: ${dotConfig.has(sym) ? lineFor(sym, got) : 'absent'})`);
  }
  return bad;
}
