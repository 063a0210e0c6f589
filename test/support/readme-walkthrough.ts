/**
 * The README's walkthrough as a script, and the outputs it promises (used by
 * test/e2e/readme-walkthrough.e2e-spec.ts).
 *
 * The convention, as the README is written:
 *
 * 1. The walkthrough is the chapter `## A first look with curl`: from that heading to the next
 *    level-2 heading, its `###` sections included. Every fenced block there is a ```bash block
 *    and runs, in order, in one shell; no block elsewhere does (Quick start's ```sh blocks start
 *    the service and run the tests).
 * 2. A comment line (`#` in the first column) is expected output when it follows a command line
 *    directly, or another expected-output line: a run of such comment lines is the output of
 *    the commands since the previous run. A comment after a blank line, or at the top of a
 *    block, is prose; so is a comment after a command on the same line.
 * 3. In a run, `# text` (one space) starts an expected line. `#  text` (two or more spaces)
 *    continues the previous expected line: its text, without those spaces, is appended to it
 *    (a long JSON line wrapped for reading).
 * 4. An annotation starts with two or more spaces and `(` and is ignored, to the end of the line;
 *    when its parentheses do not close there, it goes on over the following continuation lines
 *    until they do. A continuation line that starts with `(` is an annotation too.
 * 5. In an expected line, `…` matches any characters (or none): values that differ from one run
 *    to the next (ids, times, counts that depend on what ran before).
 * 6. The commands' standard output since the previous run must contain the expected lines in
 *    order, each as a whole line (trailing spaces and carriage returns ignored); other lines
 *    may come in between.
 */

export const WALKTHROUGH_CHAPTER = '## A first look with curl';

/** Commands, then what their standard output must show. */
export interface Step {
  /** Shell text, as in the README (substitutions applied by the caller). */
  commands: string;
  /** Expected lines (convention 3–5). */
  expected: string[];
  /** Where the step ends in README.md (1-based), for failure messages. */
  line: number;
}

interface Fence {
  info: string;
  body: string[];
  /** Line number of the first body line (1-based). */
  start: number;
}

/** The fenced blocks of the walkthrough chapter. */
export function walkthroughFences(readme: string): Fence[] {
  const lines = readme.split('\n');
  const begin = lines.indexOf(WALKTHROUGH_CHAPTER);
  if (begin < 0) throw new Error(`README.md has no "${WALKTHROUGH_CHAPTER}" chapter`);
  const fences: Fence[] = [];
  let open: Fence | null = null;
  for (let i = begin + 1; i < lines.length; i++) {
    const line = lines[i];
    if (open) {
      if (line.startsWith('```')) {
        fences.push(open);
        open = null;
      } else open.body.push(line);
      continue;
    }
    if (line.startsWith('## ')) break;
    if (line.startsWith('```')) open = { info: line.slice(3).trim(), body: [], start: i + 2 };
  }
  if (open) throw new Error(`README.md: the block at line ${open.start - 1} is never closed`);
  return fences;
}

/** Splits an expected line from its annotation (convention 4); `depth` > 0: left open. */
function stripAnnotation(text: string): { kept: string; depth: number } {
  const at = text.search(/ {2,}\(/);
  if (at < 0) return { kept: text, depth: 0 };
  return { kept: text.slice(0, at), depth: parenDepth(text.slice(at)) };
}

function parenDepth(text: string, depth = 0): number {
  for (const c of text) {
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
  }
  return depth;
}

/** A block's steps: commands up to each run of expected output, then the rest. */
export function blockSteps(fence: Fence): Step[] {
  const steps: Step[] = [];
  let commands: string[] = [];
  let expected: string[] | null = null;
  let annotation = 0;
  let previous: 'blank' | 'command' | 'output' | 'prose' = 'blank';
  const close = (line: number) => {
    if (expected) steps.push({ commands: commands.join('\n'), expected, line });
    commands = [];
    expected = null;
  };
  for (const [i, line] of fence.body.entries()) {
    const number = fence.start + i;
    const comment = line.startsWith('#');
    if (comment && (previous === 'command' || previous === 'output')) {
      expected ??= [];
      const text = line.slice(1);
      const continued = /^ {2,}/.test(text);
      if (annotation > 0 && continued) {
        annotation = parenDepth(text, annotation);
      } else if (continued && text.trimStart().startsWith('(')) {
        annotation = parenDepth(text);
      } else if (continued) {
        if (expected.length === 0) throw new Error(`README.md:${number}: continues nothing`);
        const { kept, depth } = stripAnnotation(text.trimStart());
        expected[expected.length - 1] += kept;
        annotation = depth;
      } else {
        const { kept, depth } = stripAnnotation(text.replace(/^ /, ''));
        expected.push(kept);
        annotation = depth;
      }
      previous = 'output';
      continue;
    }
    if (previous === 'output') close(number - 1);
    annotation = 0;
    commands.push(line);
    previous = line.trim() === '' ? 'blank' : comment ? 'prose' : 'command';
  }
  if (previous === 'output') close(fence.start + fence.body.length - 1);
  if (commands.some((c) => c.trim() !== '' && !c.startsWith('#'))) {
    steps.push({
      commands: commands.join('\n'),
      expected: [],
      line: fence.start + fence.body.length - 1,
    });
  }
  return steps;
}

/** Whether one output line is what an expected line shows (convention 5). */
export function lineMatches(expected: string, actual: string): boolean {
  const pattern = expected
    .trimEnd()
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`, 's').test(actual.replace(/[\r\s]+$/, ''));
}

/**
 * The expected lines not found, in order, in `output` (convention 6): the first one missing
 * and every one after it, or [] when all are there.
 */
export function missingLines(expected: string[], output: string): string[] {
  const lines = output.split('\n');
  let from = 0;
  for (let i = 0; i < expected.length; i++) {
    const at = lines.findIndex((line, j) => j >= from && lineMatches(expected[i], line));
    if (at < 0) return expected.slice(i);
    from = at + 1;
  }
  return [];
}
