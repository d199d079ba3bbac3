/**
 * Every `hookyard …` command line in the runbooks and the README must name a command and flags the
 * CLI really has (checked against commander's own program object, not a copy of it).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../ops/cli.js';
import { ROOT } from './support.js';

/** The `hookyard …` invocations in inline code spans and fenced code blocks of a Markdown text. */
function hookyardLines(markdown: string): string[] {
  const snippets: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.trim().startsWith('```')) {
      fenced = !fenced;
      continue;
    }
    if (fenced) snippets.push(line.replace(/\s#.*$/, ''));
    else for (const m of line.matchAll(/`([^`]+)`/g)) snippets.push(m[1] as string);
  }
  const found: string[] = [];
  for (const snippet of snippets) {
    for (const m of snippet.matchAll(
      /(?:^|[\s;(&|])(?:npx |npm run -s )?hookyard(?: --)? ([a-z].*?)(?=$|;|&&|\|)/g,
    )) {
      found.push(`hookyard ${(m[1] as string).trim()}`);
    }
    const start = /(?:^|\s)npm start(?: -- (.*))?$/.exec(snippet.trim());
    if (start) found.push(`hookyard dev ${start[1] ?? ''}`.trim());
  }
  return found;
}

/** Why a command line would fail in the CLI, or undefined when commander knows its command and flags. */
function problemOf(program: Command, line: string): string | undefined {
  const tokens = line.split(/\s+/).slice(1);
  let command = program;
  const globals = new Set(program.options.flatMap((o) => [o.long, o.short]).filter(Boolean));
  let i = 0;
  while (i < tokens.length && command.commands.length > 0 && !tokens[i]?.startsWith('-')) {
    const name = tokens[i] as string;
    if (name.startsWith('<')) return undefined; // a placeholder for any command
    const sub = command.commands.find((c) => c.name() === name || c.aliases().includes(name));
    if (!sub) return `unknown command '${name}' in: ${line}`;
    command = sub;
    i++;
  }
  if (command === program) return `no command in: ${line}`;
  const known = new Set([
    ...command.options.flatMap((o) => [o.long, o.short]),
    ...globals,
    '--help',
    '-h',
    ...(command.options.some((o) => o.long === '--no-color') ? [] : ['--color']),
  ]);
  for (const token of tokens.slice(i).map((t) => t.replace(/^\[+|\]+$/g, ''))) {
    if (!token.startsWith('-') || token === '--') continue;
    const flag = token.split('=')[0] as string;
    if (!known.has(flag)) return `'${command.name()}' has no option ${flag}: ${line}`;
  }
  return undefined;
}

const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs', 'runbooks'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', 'runbooks', f)),
];

describe('hookyard commands in the docs', () => {
  const program = buildProgram();

  it.each(DOCS)('%s names only commands and flags the CLI has', (file) => {
    // Act
    const lines = hookyardLines(readFileSync(join(ROOT, file), 'utf8'));
    const problems = lines.map((line) => problemOf(program, line)).filter(Boolean);
    // Assess
    expect(problems).toEqual([]);
  });

  it('every runbook gives hookyard commands for its first checks and its fix', () => {
    for (const file of DOCS.filter((f) => f.startsWith('docs'))) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      const checks = text.slice(text.indexOf('## First checks'), text.indexOf('## What to do'));
      const fix = text.slice(text.indexOf('## What to do'));
      expect({ file, checks: hookyardLines(checks).length > 0 }).toEqual({ file, checks: true });
      expect({ file, fix: hookyardLines(fix).length > 0 }).toEqual({ file, fix: true });
    }
  });

  it('fails when a doc names a command or a flag the CLI does not have', () => {
    // Prepare
    const doc = [
      'Run `npx hookyard dlq purge acme-orders` then',
      '```sh',
      'hookyard redrive acme-orders --force',
      'npm run -s hookyard -- status --json',
      '```',
    ].join('\n');
    // Act
    const lines = hookyardLines(doc);
    const problems = lines.map((line) => problemOf(program, line));
    // Assess
    expect(lines).toEqual([
      'hookyard dlq purge acme-orders',
      'hookyard redrive acme-orders --force',
      'hookyard status --json',
    ]);
    expect(problems[0]).toContain("unknown command 'purge'");
    expect(problems[1]).toContain('no option --force');
    expect(problems[2]).toBeUndefined();
  });
});
